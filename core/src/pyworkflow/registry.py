"""One registry from URL scheme to a lazily imported backend class.

Built-in schemes are listed here with the extra that installs them, so a missing package
gives the exact install line (:mod:`pyworkflow.install_line`). Third-party backends join
through the entry-point group ``pyworkflow.backends`` (name = scheme, value =
``"module:Class"``), or :func:`register`.
Nothing is imported until a URL with that scheme is opened.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, cast

from ._primitives import BackendPrimitives
from .errors import InvalidInput, MissingDependency
from .install_line import install_hint
from .urls import StorageURL

if TYPE_CHECKING:
    from .storage import StorageBackend

__all__ = ["BackendSpec", "known_schemes", "open_backend", "register", "resolve"]

ENTRY_POINT_GROUP = "pyworkflow.backends"


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """Where a scheme's class lives (``"module:Class"``) and which extra installs it."""

    target: str
    extra: str | None = None


_BUILTIN: dict[str, BackendSpec] = {
    "memory": BackendSpec("pyworkflow.memory:MemoryBackend"),
    "sqlite": BackendSpec("pyworkflow_sqlite:SqliteBackend", "sqlite"),
    "postgresql": BackendSpec("pyworkflow_postgres:PostgresBackend", "postgres"),
    "postgres": BackendSpec("pyworkflow_postgres:PostgresBackend", "postgres"),
    "mysql": BackendSpec("pyworkflow_mysql:MySQLBackend", "mysql"),
    "mariadb": BackendSpec("pyworkflow_mysql:MySQLBackend", "mysql"),
    "cassandra": BackendSpec("pyworkflow_cassandra:CassandraBackend", "cassandra"),
    "dynamodb": BackendSpec("pyworkflow_dynamodb:DynamoDBBackend", "dynamodb"),
    "file": BackendSpec("pyworkflow_files:FilesBackend", "files"),
}
_registered: dict[str, BackendSpec] = {}


def register(scheme: str, target: str, extra: str | None = None) -> None:
    """Map ``scheme`` to ``"module:Class"`` (wins over entry points and built-ins)."""
    if ":" not in target:
        raise InvalidInput(f"target must be 'module:Class', got {target!r}")
    _registered[scheme.lower()] = BackendSpec(target, extra)


def _spec(scheme: str) -> BackendSpec | None:
    if scheme in _registered:
        return _registered[scheme]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=scheme):
        builtin = _BUILTIN.get(scheme)
        return BackendSpec(ep.value, builtin.extra if builtin else None)
    return _BUILTIN.get(scheme)


def known_schemes() -> list[str]:
    """Every scheme that has a spec: built-in, registered or from an entry point."""
    names = set(_BUILTIN) | set(_registered)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def resolve(scheme: str) -> type[StorageBackend]:
    """The backend class for ``scheme``, imported now.

    Raises :class:`MissingDependency` for an unknown scheme, or with the exact
    install line (:func:`~pyworkflow.install_line.install_hint`) when the package is not installed.
    """
    spec = _spec(scheme.lower())
    if spec is None:
        raise MissingDependency(
            f"no storage backend for scheme {scheme!r}; known schemes: "
            f"{', '.join(known_schemes())}. A third-party backend registers itself in the "
            f"{ENTRY_POINT_GROUP!r} entry-point group."
        )
    module_name, _, attr = spec.target.partition(":")
    top = module_name.split(".")[0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # The backend package or its driver is absent: both are fixed by the same extra.
        hint = install_hint(spec.extra) if spec.extra else f"pip install {top}"
        raise MissingDependency(
            f"the {scheme!r} storage backend cannot be imported ({exc.name or exc} is "
            f"missing). Install it with: {hint}"
        ) from exc
    cls = getattr(module, attr, None)
    # The storage module imports this one (StorageBackend.from_url), so the check is against
    # the primitives' base class, which every StorageBackend is and storage.py builds on.
    if not (isinstance(cls, type) and issubclass(cls, BackendPrimitives)):
        raise MissingDependency(f"{spec.target} is not a StorageBackend subclass")
    return cast("type[StorageBackend]", cls)


def open_backend(url: str | StorageURL, **options: Any) -> StorageBackend:
    """A backend instance for ``url`` (not yet connected)."""
    parsed = StorageURL.parse(url)
    return resolve(parsed.scheme)(parsed, **options)
