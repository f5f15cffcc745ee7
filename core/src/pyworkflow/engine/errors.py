"""Errors raised by the workflow engine (all are :class:`~pyworkflow.errors.PyWorkflowError`)."""

from __future__ import annotations

from typing import Any

from pyworkflow.errors import PyWorkflowError

__all__ = [
    "ChildWorkflowFailed",
    "HookTimeout",
    "NonDeterminismError",
    "StepFailed",
    "UnsafeSetup",
    "WaitTimeout",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
]


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
