"""Process-wide engine settings that are not the store: the defaults a workflow or a call
falls back to when it does not say.

One mutable object, read at call time (never copied at import), so that ``configure(...)``
and the predecessor's configuration keys take effect for every later call. Precedence is
always: the call's own argument, then the workflow's or step's decorator, then these.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from pyworkflow.errors import InvalidInput

__all__ = ["Settings", "current", "reset", "update"]


@dataclass
class Settings:
    """The defaults; see docs/engine.md for each one's effect."""

    #: runs are stored and survive crashes; ``False`` runs a workflow in process, storing nothing
    default_durable: bool = True
    #: ``"local"``: ``start()`` runs the workflow in the calling process until it ends or
    #: suspends; ``"celery"`` (the predecessor's name) or ``"workers"``: ``start()`` only stores
    #: the run, and workers (``pyworkflow worker``) execute it
    default_runtime: str = "local"
    #: retries of a ``@step`` that does not say (the predecessor's default, 3)
    default_retries: int = 3


_current = Settings()


def current() -> Settings:
    """The settings in effect now."""
    return _current


def update(**changes: Any) -> Settings:
    """Change some settings; an unknown name raises :class:`InvalidInput`, changing nothing."""
    global _current
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InvalidInput(f"unknown setting(s): {', '.join(unknown)}; known: {sorted(known)}")
    _current = replace(_current, **changes)
    return _current


def reset() -> Settings:
    """Back to the defaults (for tests)."""
    global _current
    _current = Settings()
    return _current
