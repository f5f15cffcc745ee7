"""The predecessor's configuration API over ours: ``get_config``, ``reset_config``,
``get_storage``, ``configure_from_yaml``, and the keys ``configure(**keys)`` accepts.

Precedence, for each setting, the first that says wins:

1. code: ``configure(...)`` / ``configure_from_yaml(path)``;
2. the environment (``PYWORKFLOW_STORAGE_URL``, ``PYWORKFLOW_STORAGE_BACKEND`` +
   ``PYWORKFLOW_STORAGE_PATH``, ``PYWORKFLOW_RUNTIME``);
3. a file: ``./pyworkflow.config.yaml``, then ``[tool.pyworkflow]`` in ``pyproject.toml``;
4. the defaults (``sqlite:///pyworkflow.db``, runtime ``local``).

Unlike the predecessor's (whichever of ``configure()`` and the YAML came first won), these
merge: ``configure(default_retries=5)`` keeps the YAML's storage.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from pyworkflow.config import resolve_url
from pyworkflow.config_file import env_runtime, find_yaml, load_yaml
from pyworkflow.errors import InvalidConfiguration
from pyworkflow.storage import StorageBackend
from pyworkflow.storage.config import config_to_url
from pyworkflow.urls import StorageURL

from . import current, settings
from .runtime import Engine
from .runtimes import get_runtime

__all__ = [
    "PyWorkflowConfig",
    "apply",
    "build_engine",
    "configure_from_yaml",
    "default_engine",
    "get_config",
    "get_storage",
    "reset_config",
    "runtime_name",
]

StorageSpec = str | StorageURL | StorageBackend | Mapping[str, Any]
_EVENT_LIMITS = ("event_soft_limit", "event_hard_limit", "event_warning_interval")
#: settings given in code (configure / configure_from_yaml), which beat env and file
_from_code: set[str] = set()
#: engines replaced while their store is open: kept until their event loop closes the store
#: (the loop holds the closing task weakly; dropping the engine would destroy it pending)
_retired: list[Engine] = []


def _install(engine: Engine | None) -> None:
    previous = current.install(engine)
    if previous is not None and previous is not engine:
        _retired.append(previous)
    _retired[:] = [e for e in _retired if e._closer is not None and not e._closer.done()]


@dataclass(frozen=True)
class PyWorkflowConfig:
    """The configuration in effect (a snapshot; change it with ``configure``)."""

    default_runtime: str
    default_durable: bool
    default_retries: int
    default_recover_on_worker_loss: bool | None
    default_max_recovery_attempts: int
    storage: StorageBackend | None
    #: not in the repr: a broker URL may hold a password
    celery_broker: str | None = field(repr=False)
    aws_region: str | None
    event_soft_limit: int
    event_hard_limit: int
    event_warning_interval: int


def runtime_name() -> str:
    """``local`` (start() runs the workflow here) or ``celery``/``workers`` (workers do),
    by the precedence above; an unknown name raises, naming where it came from."""
    if "default_runtime" not in _from_code:
        found, source = env_runtime(), "PYWORKFLOW_RUNTIME"
        if found is None:
            yaml_file = find_yaml()
            found = load_yaml(yaml_file).runtime if yaml_file is not None else None
            source = str(yaml_file)
        if found is not None:
            try:
                get_runtime(found)
            except InvalidConfiguration as exc:
                raise InvalidConfiguration(f"{source}: {exc}") from None
            return found
    return settings.current().default_runtime


def _inline(inline: bool | None) -> bool:
    return get_runtime(runtime_name()).inline if inline is None else inline


def _storage(spec: StorageSpec | None) -> str | StorageURL | StorageBackend:
    if spec is None:
        return resolve_url()
    if isinstance(spec, Mapping):
        return config_to_url(spec)
    if isinstance(spec, str | StorageURL | StorageBackend):
        return spec
    raise InvalidConfiguration(
        f"storage must be a URL, a StorageBackend or a storage dict, not {type(spec).__name__}"
    )


def build_engine(storage: StorageSpec | None = None, inline: bool | None = None) -> Engine:
    """An engine on ``storage`` (default: by the precedence above), inline unless the
    runtime is ``celery``/``workers`` or ``inline`` says otherwise."""
    return Engine(_storage(storage), inline=_inline(inline))


def apply(storage: StorageSpec | None, inline: bool | None, keys: Mapping[str, Any]) -> Engine:
    """What ``configure()`` does: check every key first (nothing changes on an error), then
    set the engine defaults and install a new engine."""
    keys = dict(keys)
    if "storage" in keys:
        if storage is not None:
            raise InvalidConfiguration("storage is given twice (positional and keyword)")
        storage = keys.pop("storage")
    target = _storage(storage)  # a bad URL or dict fails here, before anything changes
    if keys:
        settings.update(**keys)  # validates all keys first, then sets them together
        _from_code.update(keys)
    for name in _EVENT_LIMITS:
        if name in keys:
            warnings.warn(
                f"Modifying event limits ({name}) is not recommended: the defaults stop a "
                "runaway workflow before its history grows too large to replay",
                UserWarning,
                stacklevel=4,
            )
    engine = Engine(target, inline=_inline(inline))
    _install(engine)
    return engine


def default_engine() -> Engine:
    """The configured engine; on first use, one built by the precedence above."""
    engine = current.get()
    if engine is None:
        engine = build_engine()
        _install(engine)
    return engine


def get_config() -> PyWorkflowConfig:
    """The configuration in effect; the first call without ``configure()`` reads the
    environment and ``./pyworkflow.config.yaml`` (an unreadable one raises)."""
    engine = default_engine()
    now = settings.current()
    values = {f.name: getattr(now, f.name) for f in fields(now)}
    values["default_runtime"] = runtime_name()
    if "celery_broker" not in _from_code and values["celery_broker"] is None:
        values["celery_broker"] = _file_broker()
    return PyWorkflowConfig(storage=_backend_of(engine), **values)


def _file_broker() -> str | None:
    # ``celery: {broker: ...}`` of ./pyworkflow.config.yaml: shown as ``celery_broker``
    # (informational: there is no broker), unless code set it
    yaml_file = find_yaml()
    broker = load_yaml(yaml_file).celery.get("broker") if yaml_file is not None else None
    return broker if isinstance(broker, str) else None


def _backend_of(engine: Engine) -> StorageBackend:
    # The engine keeps the backend it was given; one it opens from a URL is (re)opened per
    # event loop, so the caller gets its own, unconnected instance for the same store.
    backend: StorageBackend | None = engine._backend
    if backend is not None and engine._url is None:
        return backend
    assert engine._url is not None
    return StorageBackend.from_url(engine._url)


def get_storage() -> StorageBackend:
    """``get_config().storage``: the backend given to ``configure()`` (the same object), or
    a new, unconnected one for the configured URL (use it as ``async with``)."""
    return _backend_of(default_engine())


def reset_config() -> None:
    """Forget the configuration: defaults again, and the next use reads env and files anew.
    The previous engine's store is not closed (call ``shutdown()`` first for that)."""
    settings.reset()
    _from_code.clear()
    _install(None)


def configure_from_yaml(path: str | os.PathLike[str], discover: bool = True) -> None:
    """Replace the whole configuration with the file's (``FileNotFoundError`` if it does not
    exist, :class:`InvalidConfiguration` if it cannot be read); a file without ``storage``
    uses the environment's or the default store. ``discover`` imports its ``module(s)``
    (:class:`~pyworkflow.engine.discovery.DiscoveryError` if one fails)."""
    loaded = load_yaml(path)
    settings.reset()
    _from_code.clear()
    if loaded.runtime is not None:
        settings.update(default_runtime=loaded.runtime)
        _from_code.add("default_runtime")
    broker = loaded.celery.get("broker")
    if isinstance(broker, str):
        settings.update(celery_broker=broker)
    _install(build_engine(loaded.storage))
    if discover and loaded.modules:
        from .discovery import discover_workflows

        for module in loaded.modules:
            discover_workflows(module_path=module)
