"""Errors raised by the workflow engine (all are :class:`~pyworkflow.errors.PyWorkflowError`),
and how any exception is recorded in a run's log (:func:`error_data`)."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

from pyworkflow.errors import NotFound, PyWorkflowError

from .durations import NaiveDatetime, to_seconds

__all__ = [
    "MAX_ERROR_MESSAGE",
    "MAX_NESTING_DEPTH",
    "MAX_TRACEBACK",
    "CancellationError",
    "ChildWorkflowError",
    "ChildWorkflowFailed",
    "ChildWorkflowFailedError",
    "FatalError",
    "HookTimeout",
    "MaxNestingDepthError",
    "NaiveDatetime",
    "NonDeterminismError",
    "OutsideWorkflow",
    "RetryableError",
    "StepFailed",
    "StepTimeout",
    "SuspensionSignal",
    "UnsafeSetup",
    "WaitTimeout",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
    "WorkflowNotFoundError",
    "error_data",
    "minimal_error",
]

#: Longest exception message and traceback (characters) kept in a recorded error: a failure
#: must always be recordable, whatever the size of the exception's text.
MAX_ERROR_MESSAGE = 2000
MAX_TRACEBACK = 4000


class WorkflowError(PyWorkflowError):
    """Base class of the engine's errors."""


class OutsideWorkflow(WorkflowError, RuntimeError):
    """A workflow-only call (``hook``, ``start_child``, ``continue_as_new``...) made with no
    running workflow. Also a ``RuntimeError``, which is what the predecessor raised."""


class SuspensionSignal(BaseException):
    """Raised by the engine when a workflow waits (a timer, a hook, a child, a step's retry
    backoff): the execution stops and its wake-up tasks are stored. Internal: do not raise
    or catch it. It is a ``BaseException`` (the predecessor's was an ``Exception``) so that
    a workflow's ``except Exception`` cannot swallow a suspension and run on as if the call
    had returned. ``reason`` says what the run waits for; ``data`` is extra detail."""

    def __init__(self, reason: str = "suspended", **data: Any) -> None:
        super().__init__(f"Workflow suspended: {reason}")
        self.reason = reason
        self.data = data


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


class FatalError(WorkflowError):
    """Raise it in a step to fail the step at once: it is never retried, whatever the retry
    policy. ``metadata`` (keyword arguments) is kept on the exception and, when it is
    JSON-serializable, recorded with the error."""

    def __init__(self, message: str, **metadata: Any) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = metadata


class RetryableError(WorkflowError):
    """Raise it in a step to ask for a retry (within the policy's attempts), optionally after
    ``retry_after`` instead of the policy's wait: seconds, a duration string (``"30s"``,
    ``"1h30m"``), a ``timedelta``, or a ``datetime`` to retry at (a naive one is read as UTC,
    as the predecessor did). It is retried even if its type is listed as non-retryable.
    A malformed ``retry_after`` raises :class:`InvalidInput` here."""

    def __init__(
        self,
        message: str,
        retry_after: float | str | timedelta | datetime | None = None,
        **metadata: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.metadata = metadata
        if retry_after is not None and not isinstance(retry_after, datetime):
            to_seconds(retry_after)

    def retry_delay_from(self, now: datetime) -> float | None:
        """Seconds from ``now`` until the retry ``retry_after`` asks for (never negative), or
        None when it does not say."""
        if self.retry_after is None:
            return None
        if isinstance(self.retry_after, datetime):
            at = self.retry_after
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            return max(0.0, (at - now).total_seconds())
        return to_seconds(self.retry_after)

    def get_retry_delay_seconds(self) -> float | None:
        """The predecessor's name: seconds to wait from now before retrying, or None."""
        return self.retry_delay_from(datetime.now(UTC))


class StepTimeout(WorkflowError, TimeoutError):
    """A step attempt ran longer than its ``@step(timeout=...)``; the attempt failed and is
    retried per the step's policy like any other failure."""


class HookTimeout(WorkflowError):
    """``wait_for_hook`` reached its timeout before a payload arrived."""


class CancellationError(WorkflowError):
    """The run was asked to stop (``cancel``). Raised in workflow code at its next checkpoint:
    a step call, ``sleep``, a hook wait, starting or awaiting a child, ``continue_as_new``
    (never inside ``async with shield():``). Catch it to run cleanup; if it escapes the
    workflow, the run ends ``cancelled``; if the workflow swallows it, the run goes on.
    """

    def __init__(self, message: str = "Workflow was cancelled", reason: str | None = None) -> None:
        self.message = message
        self.reason = reason
        super().__init__(message)


class ChildWorkflowError(WorkflowError):
    """Base class of the errors about child workflows."""


#: a root run has depth 0; its deepest allowed descendant has depth 3
MAX_NESTING_DEPTH = 3


class MaxNestingDepthError(ChildWorkflowError):
    """``start_child`` in a run already at :data:`MAX_NESTING_DEPTH` (raised in the workflow;
    nothing is started or recorded)."""

    MAX_DEPTH = MAX_NESTING_DEPTH

    def __init__(self, current_depth: int) -> None:
        self.current_depth = current_depth
        self.max_depth = self.MAX_DEPTH
        super().__init__(
            f"Maximum nesting depth of {self.MAX_DEPTH} exceeded: this run is at depth "
            f"{current_depth}, so it cannot start a child"
        )


class ChildWorkflowFailed(ChildWorkflowError):
    """A child workflow ended failed or cancelled; raised where the parent awaits it.

    ``child_run_id`` (also ``run_id``), ``child_workflow_name``, ``error`` (the child's error
    message), ``error_type`` (the exception's class name; ``"CancellationError"`` for a
    cancelled child), ``status`` (``"failed"`` or ``"cancelled"``) and ``details`` (the
    recorded error: type, message, traceback). ``ChildWorkflowFailedError`` is this class.
    """

    def __init__(
        self,
        child_run_id: str,
        child_workflow_name: str,
        error: str,
        error_type: str,
        *,
        status: str = "failed",
        details: Any = None,
    ) -> None:
        self.child_run_id = child_run_id
        self.run_id = child_run_id
        self.child_workflow_name = child_workflow_name
        self.error = error
        self.error_type = error_type
        self.status = status
        self.details = details
        super().__init__(f"Child workflow '{child_workflow_name}' ({child_run_id}) failed: {error}")

    @classmethod
    def from_run(cls, run_id: str, name: str, status: str, error: Any) -> ChildWorkflowFailed:
        """The error for a child that ended ``status`` with the recorded ``error``."""
        if status == "cancelled":
            message = "Child workflow was cancelled"
            if isinstance(error, dict) and error.get("message"):
                message = f"{message}: {error['message']}"
            return cls(run_id, name, message, "CancellationError", status=status, details=error)
        if isinstance(error, dict):
            kind = str(error.get("type") or "Unknown").rsplit(".", 1)[-1]
            message = str(error.get("message"))
        else:
            kind, message = "Unknown", str(error)
        return cls(run_id, name, message, kind, status=status, details=error)


#: the predecessor's name of :class:`ChildWorkflowFailed` (the same class)
ChildWorkflowFailedError = ChildWorkflowFailed


class WorkflowFailed(WorkflowError):
    """Raised by ``wait(..., raise_on_failure=True)`` for a run that did not complete."""


class WaitTimeout(WorkflowError, TimeoutError):
    """``wait(..., timeout=...)`` ran out before the run ended (the run itself goes on)."""


class NonDeterminismError(WorkflowError):
    """The workflow code called something else than its recorded history says it did."""


class WorkflowNotFound(WorkflowError, ValueError):
    """No ``@workflow`` with this name is registered or importable in this process. Also a
    ``ValueError``: what the predecessor raised for an unregistered workflow (``resume``,
    ``create_schedule``)."""


class WorkflowNotFoundError(WorkflowError, NotFound):
    """No run with this id exists (``resume``, ``cancel_workflow`` of an unknown run);
    ``run_id`` names it."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"Workflow run not found: {run_id}")


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
    metadata = getattr(exc, "metadata", None)
    if isinstance(exc, FatalError | RetryableError) and metadata:
        try:
            json.dumps(metadata)
        except (TypeError, ValueError):
            data["metadata"] = {"unrecorded": "not JSON-serializable"}
        else:
            data["metadata"] = metadata
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
