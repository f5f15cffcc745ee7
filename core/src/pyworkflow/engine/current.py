"""The process's configured engine, set by ``configure()`` (and built from the configuration
on first use by :func:`pyworkflow.engine.configuration.default_engine`). Its own module so
that the API, the configuration and the worker read it without importing each other."""

from __future__ import annotations

from .runtime import Engine

__all__ = ["get", "install"]

_engine: Engine | None = None


def get() -> Engine | None:
    """The configured engine, or ``None`` if there is none yet."""
    return _engine


def install(engine: Engine | None) -> Engine | None:
    """Make ``engine`` the configured one (``None``: forget it); return the previous one."""
    global _engine
    previous, _engine = _engine, engine
    return previous
