"""Errors raised by the workflow engine (all are :class:`~pyworkflow.errors.PyWorkflowError`),
and how any exception is recorded in a run's log (:func:`error_data`)."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

from pyworkflow.errors import PyWorkflowError

from .durations import NaiveDatetime, to_seconds

__all__ = [
    "MAX_ERROR_MESSAGE",
    "MAX_TRACEBACK",
    "ChildWorkflowFailed",
    "FatalError",
    "HookTimeout",
    "NaiveDatetime",
    "NonDeterminismError",
    "RetryableError",
    "StepFailed",
    "StepTimeout",
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
