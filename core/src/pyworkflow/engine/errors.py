"""Errors raised by the workflow engine (all are :class:`~pyworkflow.errors.PyWorkflowError`),
and how any exception is recorded in a run's log (:func:`error_data`)."""

from __future__ import annotations

import traceback
from typing import Any

from pyworkflow.errors import PyWorkflowError

__all__ = [
    "MAX_ERROR_MESSAGE",
    "MAX_TRACEBACK",
    "ChildWorkflowFailed",
    "HookTimeout",
    "NonDeterminismError",
    "StepFailed",
    "UnsafeSetup",
    "WaitTimeout",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
    "error_data",
    "minimal_error",
]

#: Longest exception message and traceback (characters) kept in a recorded error: a failure
#: must always be recordable, whatever the size of the exception's text.
MAX_ERROR_MESSAGE = 2000
MAX_TRACEBACK = 4000


class WorkflowError(PyWorkflowError):
    """Base class of the engine's errors."""


class StepFailed(WorkflowError):
    """A step raised on its last allowed attempt. Raised inside the workflow at the call.

    ``error`` is the recorded ``{"type", "message", ...}`` of the step's last exception; the
    original exception object is not kept (it is not serializable in general), so the same
    ``StepFailed`` is raised on first execution and on replay.
    """

    def __init__(self, step: str, attempts: int, error: dict[str, Any]) -> None:
        self.step = step
        self.attempts = attempts
        self.error = error
        super().__init__(
            f"step {step!r} failed after {attempts} attempt(s): "
            f"{error.get('type')}: {error.get('message')}"
        )


class HookTimeout(WorkflowError):
    """``wait_for_hook`` reached its timeout before a payload arrived."""


class ChildWorkflowFailed(WorkflowError):
    """A child workflow ended failed or cancelled; raised where the parent awaits it."""

    def __init__(self, run_id: str, status: str, error: Any) -> None:
        self.run_id = run_id
        self.status = status
        self.error = error
        detail = error.get("message") if isinstance(error, dict) else error
        super().__init__(f"child run {run_id} ended {status}: {detail}")


class WorkflowFailed(WorkflowError):
    """Raised by ``wait(..., raise_on_failure=True)`` for a run that did not complete."""


class WaitTimeout(WorkflowError, TimeoutError):
    """``wait(..., timeout=...)`` ran out before the run ended (the run itself goes on)."""


class NonDeterminismError(WorkflowError):
    """The workflow code called something else than its recorded history says it did."""


class WorkflowNotFound(WorkflowError):
    """No ``@workflow`` with this name is registered or importable in this process."""


class UnsafeSetup(WorkflowError):
    """The requested setup cannot be correct with this store (for example a worker
    process on ``memory://``, which lives inside one process)."""


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters not recorded]"


def error_data(exc: BaseException) -> dict[str, Any]:
    """A JSON description of an exception: type, message (at most
    :data:`MAX_ERROR_MESSAGE` characters, then a note of how many were cut) and the end of
    the traceback (:data:`MAX_TRACEBACK` characters)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    data: dict[str, Any] = {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": _clip(str(exc), MAX_ERROR_MESSAGE),
        "traceback": tb[-MAX_TRACEBACK:],
    }
    if isinstance(exc, StepFailed):
        data["step"] = exc.step
        data["cause"] = {k: v for k, v in exc.error.items() if k != "traceback"}
    return data


def minimal_error(error: dict[str, Any]) -> dict[str, Any]:
    """``error`` cut to its type and the start of its message: what is recorded when even the
    clipped error does not fit the backend's ``max_event_bytes``."""
    return {
        "type": str(error.get("type"))[:200],
        "message": _clip(str(error.get("message")), 200),
    }
