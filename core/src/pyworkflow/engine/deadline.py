"""``@workflow(max_duration=...)``: a run older than its maximum duration fails.

Measured from the run's creation (``created_at``). The check is made at each execution of
the run, before any workflow code runs; so that a run which sleeps or waits for a hook past
its deadline is executed then, its first execution stores a task due at the deadline
(``<run>:deadline``). A run that ends earlier leaves that task to complete as a no-op. The
run fails with :class:`WorkflowTimeout` (recorded as any failure: ``workflow.failed``);
work in flight at that moment (a step running on a worker) finishes, but its result is no
longer recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pyworkflow.models import Task, WorkflowRun, utcnow

from .context import RESUME
from .errors import WorkflowError

__all__ = ["WorkflowTimeout", "WorkflowTimeoutError", "deadline_of", "deadline_task", "overdue"]

#: the clock the check reads (tests replace it rather than wait)
clock: Callable[[], datetime] = utcnow


class WorkflowTimeout(WorkflowError, TimeoutError):
    """The run outlived its workflow's ``max_duration``."""


#: the predecessor's name
WorkflowTimeoutError = WorkflowTimeout


def deadline_of(run: WorkflowRun) -> datetime | None:
    """When ``run`` must have ended (``None``: no maximum duration)."""
    seconds = run.metadata.get("max_duration") if isinstance(run.metadata, dict) else None
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    return run.created_at + timedelta(seconds=seconds)


def deadline_task(run: WorkflowRun) -> Task | None:
    """The task that executes ``run`` at its deadline, if it has one."""
    due = deadline_of(run)
    if due is None:
        return None
    return Task(id=f"{run.id}:deadline", run_id=run.id, kind=RESUME, due_at=due)


def overdue(run: WorkflowRun) -> WorkflowTimeout | None:
    """The error to fail ``run`` with if its deadline has passed, else ``None``."""
    due = deadline_of(run)
    if due is None or clock() < due:
        return None
    return WorkflowTimeout(
        f"run {run.id} of {run.workflow_name!r} exceeded its max_duration of "
        f"{run.metadata['max_duration']:g}s (deadline {due.isoformat()})"
    )
