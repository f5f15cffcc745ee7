"""What a schedule's firing does while an earlier run of the same schedule is still going.

The policy is kept in the schedule row's stored input (``input["schedule"]["overlap"]``), so
no storage field is added. A schedule's running runs are found by their metadata
(``schedule_id``) among the workflow's non-terminal runs: the run rows are the truth, so a run
that ends frees its slot without any bookkeeping that a crash could lose.

- ``allow_all``: start regardless (the default of ``schedule(fn, every=...)`` rows).
- ``skip``: start nothing; ``stats["overlap_skipped"]`` counts it (the default of
  ``create_schedule``).
- ``buffer_one`` / ``buffer_all``: remember the firing (``stats["buffered"]``, at most 1 for
  ``buffer_one``) and start it once the running run ended; a ``schedule`` task polls for that
  every :data:`BUFFER_POLL` (no hook into the run's terminal transition is needed).
- ``cancel_other``: cancel the running run(s) through the durable ``cancel`` (their
  cancellation handlers run), then start.
- ``terminate_other``: the same cancellation, recorded with the reason ``"terminated by
  schedule overlap policy"``; this engine has no cleanup-free kill, so both end the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pyworkflow.codec import to_micros
from pyworkflow.errors import InvalidInput
from pyworkflow.models import RunFilter, RunStatus, Task
from pyworkflow.models import Schedule as ScheduleRow
from pyworkflow.storage import StorageBackend

__all__ = [
    "BUFFER_POLL",
    "OverlapPolicy",
    "buffer_task",
    "cancel_runs",
    "overlap_policy",
    "running_runs",
    "stored_policy",
]

BUFFER_POLL = timedelta(seconds=1)
_ACTIVE = frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.SUSPENDED})


class OverlapPolicy(StrEnum):
    """Temporal's overlap policies (see the module docstring)."""

    SKIP = "skip"
    BUFFER_ONE = "buffer_one"
    BUFFER_ALL = "buffer_all"
    CANCEL_OTHER = "cancel_other"
    TERMINATE_OTHER = "terminate_other"
    ALLOW_ALL = "allow_all"


def overlap_policy(value: Any) -> OverlapPolicy:
    """``value`` as a policy; :class:`InvalidInput` if it is none of them."""
    try:
        return OverlapPolicy(value)
    except ValueError as exc:
        names = ", ".join(p.value for p in OverlapPolicy)
        raise InvalidInput(f"unknown overlap policy {value!r} (one of {names})") from exc


def stored_policy(row: ScheduleRow) -> OverlapPolicy:
    extras = row.input.get("schedule") if isinstance(row.input, dict) else None
    raw = extras.get("overlap") if isinstance(extras, dict) else None
    return OverlapPolicy.ALLOW_ALL if raw is None else overlap_policy(raw)


async def running_runs(storage: StorageBackend, row: ScheduleRow) -> list[str]:
    """Ids of the schedule's runs that have not ended."""
    found: list[str] = []
    cursor: str | None = None
    flt = RunFilter(workflow_name=row.workflow_name, statuses=_ACTIVE)
    while True:
        page = await storage.list_runs(flt, limit=500, cursor=cursor)
        found.extend(r.id for r in page.items if r.metadata.get("schedule_id") == row.id)
        cursor = page.next_cursor
        if cursor is None:
            return found


async def cancel_runs(storage: StorageBackend, run_ids: list[str], reason: str) -> None:
    """Cancel each run durably (idempotent: an ended run is left as it is)."""
    from .runtime import Engine  # late: the runtime imports the worker, which imports us

    engine = Engine(storage, inline=False)
    for run_id in run_ids:
        await engine.cancel(run_id, reason=reason)


def buffer_task(schedule_id: str, now: datetime) -> Task:
    """The task that starts a buffered firing once the running run ended."""
    due = now + BUFFER_POLL
    return Task(
        id=f"schedule:{schedule_id}:buffer:{to_micros(due)}",
        run_id=f"schedule:{schedule_id}",
        kind="schedule",
        due_at=due,
        payload={"schedule_id": schedule_id, "buffer": True},
    )
