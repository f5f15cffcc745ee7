"""How control leaves a workflow function, and the small pieces every durable call shares.

The signals are ``BaseException`` subclasses so that a user's ``except Exception`` cannot
swallow them (see :mod:`.context`); :class:`Suspend` is the engine's
:class:`~pyworkflow.engine.errors.SuspensionSignal`. They live apart from
:class:`~.context.RunContext` so that the modules of the durable calls (:mod:`.waits`) and
the context can both import them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pyworkflow.codec import to_micros
from pyworkflow.errors import StorageError

from .errors import SuspensionSignal
from .serializer import encode

__all__ = [
    "RESUME",
    "START_SAFETY_NET",
    "Abandon",
    "Conflict",
    "ContinueAsNew",
    "Suspend",
    "encode_input",
    "micros",
]

#: The kind of the task that resumes (or starts) a run.
RESUME = "resume"
#: a run started in-process also gets a task due this much later, so that a crash of the
#: starting process before the run suspends or ends still leaves a worker something to resume
#: (a cancellation gets one too, for the bookkeeping after its append)
START_SAFETY_NET = timedelta(seconds=30)


class Suspend(SuspensionSignal):
    """The workflow waits (timer, hook, child, retry backoff); its wake-up task is stored.
    The engine's :class:`~pyworkflow.engine.errors.SuspensionSignal`."""


class Conflict(BaseException):
    """Another writer extended the log first: drop this execution and replay again."""


class Abandon(BaseException):
    """A storage call made for the workflow failed (the store is down, timed out, or broke):
    drop this execution. ``error`` is the storage error; the engine re-raises it to whoever
    drives the execution (a worker gives the task back with a backoff)."""

    def __init__(self, error: StorageError) -> None:
        super().__init__(str(error))
        self.error = error


class ContinueAsNew(BaseException):
    """Raised by :func:`continue_as_new`: end this run, start its successor."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        super().__init__("continue_as_new")
        self.args_ = args
        self.kwargs = kwargs


def encode_input(args: tuple[Any, ...], kwargs: dict[str, Any], context: Any = None) -> Any:
    """A run's stored input: encoded args, kwargs and the initial step context."""
    return {
        "args": encode(list(args), "workflow arguments"),
        "kwargs": encode(kwargs, "workflow keyword arguments"),
        "context": context,
    }


def micros(dt: datetime) -> int:
    """A timestamp as stored in event data: integer microseconds since the epoch."""
    return to_micros(dt)
