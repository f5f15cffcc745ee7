"""``pyworkflow.config.yaml`` and the predecessor's environment variables.

The file is looked up in the working directory only (as the predecessor did). Keys read:
``runtime`` (``local`` or ``celery``), ``storage`` (a storage dict, see
:mod:`pyworkflow.storage.config`), ``module`` / ``modules`` (imported by discovery), and
``celery: {broker, result_backend}`` (kept, informational). Any other top-level key is ignored
with a ``UserWarning`` (the predecessor's docs show a ``recovery:`` block it never read).

A file that exists but cannot be read (bad YAML, not a mapping, a key of the wrong type, a bad
``storage`` dict) raises :class:`~pyworkflow.errors.InvalidConfiguration` in one line naming
the file: the predecessor silently fell back to its defaults, which put runs in a store the
user never chose.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidConfiguration
from .storage.config import config_to_url
from .urls import StorageURL

__all__ = [
    "YAML_NAME",
    "FileConfig",
    "env_modules",
    "env_runtime",
    "env_storage_url",
    "find_yaml",
    "load_yaml",
]

YAML_NAME = "pyworkflow.config.yaml"
_KEYS = {"runtime", "storage", "module", "modules", "celery"}


@dataclass(frozen=True)
class FileConfig:
    """What a ``pyworkflow.config.yaml`` says (``None``: the file does not say)."""

    path: Path
    runtime: str | None = None
    storage: StorageURL | None = None
    modules: tuple[str, ...] = ()
    #: not in the repr: a broker URL may hold a password
    celery: Mapping[str, Any] = field(default_factory=dict, repr=False)


def find_yaml(cwd: Path | None = None) -> Path | None:
    """``pyworkflow.config.yaml`` in ``cwd`` (default: the working directory), if it exists."""
    candidate = (cwd or Path.cwd()) / YAML_NAME
    return candidate if candidate.is_file() else None


def load_yaml(path: str | os.PathLike[str]) -> FileConfig:
    """Read and check a config file; ``FileNotFoundError`` if it does not exist."""
    import yaml  # here: only a program with a config file pays for importing it

    file = Path(path)
    text = file.read_text(encoding="utf-8")  # FileNotFoundError, as the predecessor
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InvalidConfiguration(f"{file}: not valid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidConfiguration(f"{file}: expected a mapping of keys, not {type(data).__name__}")
    ignored = sorted(set(data) - _KEYS)
    if ignored:
        warnings.warn(
            f"{file}: key(s) {ignored} are not read by pyworkflow", UserWarning, stacklevel=3
        )
    runtime = data.get("runtime")
    if runtime is not None and not isinstance(runtime, str):
        raise InvalidConfiguration(f"{file}: runtime must be a name such as 'local' or 'celery'")
    storage = None
    if data.get("storage") is not None:
        if not isinstance(data["storage"], dict):
            raise InvalidConfiguration(f"{file}: 'storage' must be a mapping with a 'type'")
        try:
            storage = config_to_url(data["storage"])
        except InvalidConfiguration as exc:
            raise InvalidConfiguration(f"{file}: storage: {exc}") from None
    celery = data.get("celery") or {}
    if not isinstance(celery, dict):
        raise InvalidConfiguration(f"{file}: 'celery' must be a mapping")
    return FileConfig(file, runtime, storage, _modules(file, data), celery)


def _modules(file: Path, data: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for key in ("module", "modules"):
        value = data.get(key)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(m, str) for m in items):
            raise InvalidConfiguration(f"{file}: {key!r} must be a module name or a list of them")
        out.extend(items)
    return tuple(out)


def env_storage_url() -> StorageURL | None:
    """The store the environment names: ``PYWORKFLOW_STORAGE_URL`` (ours), else the
    predecessor's ``PYWORKFLOW_STORAGE_BACKEND`` (a storage ``type``) with
    ``PYWORKFLOW_STORAGE_PATH`` (its ``base_path``, for file and sqlite)."""
    url = os.environ.get("PYWORKFLOW_STORAGE_URL")
    if url:
        return StorageURL.parse(url)
    kind = os.environ.get("PYWORKFLOW_STORAGE_BACKEND")
    if not kind:
        return None
    config: dict[str, Any] = {"type": kind}
    path = os.environ.get("PYWORKFLOW_STORAGE_PATH")
    if path and kind in ("file", "sqlite"):
        config["base_path"] = path
    try:
        return config_to_url(config)
    except InvalidConfiguration as exc:
        raise InvalidConfiguration(f"PYWORKFLOW_STORAGE_BACKEND: {exc}") from None


def env_runtime() -> str | None:
    """``PYWORKFLOW_RUNTIME`` (``local`` or ``celery``), if set (checked where it is used)."""
    return os.environ.get("PYWORKFLOW_RUNTIME") or None


def env_modules() -> tuple[str, ...]:
    """Modules to import named by ``PYWORKFLOW_MODULE`` and ``PYWORKFLOW_DISCOVER`` (comma
    separated), in that order."""
    out: list[str] = []
    for var in ("PYWORKFLOW_MODULE", "PYWORKFLOW_DISCOVER"):
        out.extend(m.strip() for m in os.environ.get(var, "").split(",") if m.strip())
    return tuple(out)
