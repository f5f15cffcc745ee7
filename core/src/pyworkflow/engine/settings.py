"""Process-wide engine settings that are not the store: the defaults a workflow or a call
falls back to when it does not say.

One mutable object, read at call time (never copied at import), so that ``configure(...)``
and the predecessor's configuration keys take effect for every later call. Precedence is
always: the call's own argument, then the workflow's or step's decorator, then these.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from pyworkflow.errors import InvalidConfiguration

from .runtimes import get_runtime

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
    # The predecessor's keys below are kept and shown by ``get_config()`` but change nothing:
    # a run is recovered after a worker loss by its task's lease expiring, always and without
    # an attempt limit; the broker of ``pyworkflow worker`` is the store itself.
    #: kept for the predecessor's programs; recovery is always on here (lease expiry)
    default_recover_on_worker_loss: bool | None = None
    #: kept for the predecessor's programs; not used
    default_max_recovery_attempts: int = 3
    #: kept for the predecessor's programs; workers take tasks from the store, not a broker
    celery_broker: str | None = None
    #: kept for the predecessor's programs; a DynamoDB URL names its own ``?region=``
    aws_region: str | None = None
    #: the event-count limits of one durable run (see limits.py): a warning from
    #: ``event_soft_limit`` events on, every ``event_warning_interval`` events; at
    #: ``event_hard_limit`` the run fails with EventLimitExceededError (a long-lived
    #: workflow uses ``continue_as_new`` to start a fresh log instead)
    event_soft_limit: int = 10_000
    event_hard_limit: int = 50_000
    event_warning_interval: int = 100


_current = Settings()


def current() -> Settings:
    """The settings in effect now."""
    return _current


_TYPES: dict[str, tuple[type, ...]] = {
    "default_durable": (bool,),
    "default_runtime": (str,),
    "default_retries": (int,),
    "default_recover_on_worker_loss": (bool, type(None)),
    "default_max_recovery_attempts": (int,),
    "celery_broker": (str, type(None)),
    "aws_region": (str, type(None)),
    "event_soft_limit": (int,),
    "event_hard_limit": (int,),
    "event_warning_interval": (int,),
}


def update(**changes: Any) -> Settings:
    """Change some settings; an unknown name or a bad value raises
    :class:`~pyworkflow.errors.InvalidConfiguration` (a ``ValueError``), changing nothing."""
    global _current
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InvalidConfiguration(
            f"Unknown config option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    for name, value in changes.items():
        expected = _TYPES[name]
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            raise InvalidConfiguration(
                f"{name} must be {' or '.join(t.__name__ for t in expected)}"
            )
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise InvalidConfiguration(f"{name} must be >= 0")
    if "default_runtime" in changes:
        get_runtime(changes["default_runtime"])  # InvalidConfiguration for an unknown name
    _current = replace(_current, **changes)
    return _current


def reset() -> Settings:
    """Back to the defaults (for tests)."""
    global _current
    _current = Settings()
    return _current
