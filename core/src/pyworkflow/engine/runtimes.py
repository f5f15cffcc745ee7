"""The predecessor's runtime names over our two execution modes.

A runtime here says only *where* a started run executes: ``local`` (inline: ``start()`` runs
it in the calling process until it ends or suspends) or ``celery`` / ``workers`` (``start()``
stores it and ``pyworkflow worker`` processes run it; there is no Celery, the store is the
queue). ``register_runtime`` adds a name for one of these modes; it cannot add a third way of
executing runs.
"""

from __future__ import annotations

from typing import ClassVar

from pyworkflow.errors import InvalidConfiguration

__all__ = [
    "LocalRuntime",
    "Runtime",
    "WorkerRuntime",
    "get_runtime",
    "register_runtime",
    "runtime_names",
]


class Runtime:
    """Where a started run executes; ``inline`` is the one thing a runtime decides."""

    name: ClassVar[str] = "local"
    #: ``True``: start() executes the run in the calling process
    inline: ClassVar[bool] = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} inline={self.inline}>"


class LocalRuntime(Runtime):
    """The default: runs execute in the process that starts (or waits for) them."""

    name = "local"
    inline = True


class WorkerRuntime(Runtime):
    """Runs execute on ``pyworkflow worker`` processes (the predecessor's ``"celery"``)."""

    name = "workers"
    inline = False


_RUNTIMES: dict[str, type[Runtime]] = {
    "local": LocalRuntime,
    "celery": WorkerRuntime,
    "workers": WorkerRuntime,
}


def runtime_names() -> tuple[str, ...]:
    """Every name :func:`get_runtime` knows."""
    return tuple(sorted(_RUNTIMES))


def get_runtime(name: str) -> Runtime:
    """A new instance of the runtime registered as ``name``; unknown ->
    :class:`~pyworkflow.errors.InvalidConfiguration` (a ``ValueError``)."""
    cls = _RUNTIMES.get(name)
    if cls is None:
        raise InvalidConfiguration(f"unknown runtime {name!r}; known: {', '.join(runtime_names())}")
    return cls()


def register_runtime(name: str, runtime_class: type[Runtime]) -> None:
    """Make ``name`` (for ``default_runtime``, ``PYWORKFLOW_RUNTIME``...) mean
    ``runtime_class``, a :class:`Runtime` subclass choosing ``inline``."""
    if not (isinstance(runtime_class, type) and issubclass(runtime_class, Runtime)):
        raise InvalidConfiguration("runtime_class must be a subclass of pyworkflow.Runtime")
    if not isinstance(name, str) or not name:
        raise InvalidConfiguration("a runtime name is a non-empty string")
    _RUNTIMES[name] = runtime_class
