"""Interval schedules: a workflow started every ``every`` seconds, fired by workers.

A schedule is a :class:`~pyworkflow.models.Schedule` row plus exactly one pending task of kind
``schedule`` for its next firing (id ``schedule:<id>:<epoch µs>``). A worker that claims it
starts the run (idempotency key ``schedule:<id>:<epoch µs>``, so a firing retried after a
crash starts nothing twice), enqueues the next firing, then moves ``next_run_at`` with a
compare-and-swap on the schedule's revision. Firings missed while no worker ran are skipped
(counted in ``stats["skipped"]``), not replayed in a burst. Cron and calendar entries are
stored by the contract but not interpreted by this engine yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pyworkflow._ids import new_id
from pyworkflow.codec import from_micros, to_micros
from pyworkflow.errors import InvalidInput
from pyworkflow.models import Schedule as ScheduleRow
from pyworkflow.models import ScheduleStatus, Task, WorkflowRun, utcnow
from pyworkflow.storage import StorageBackend

from .context import RESUME, encode_input
from .durations import to_seconds
from .registry import get_workflow

__all__ = ["SCHEDULE", "create_schedule_row", "fire"]

SCHEDULE = "schedule"


def _task(schedule_id: str, at: datetime) -> Task:
    micros = to_micros(at)
    return Task(
        id=f"schedule:{schedule_id}:{micros}",
        run_id=f"schedule:{schedule_id}",
        kind=SCHEDULE,
        due_at=at,
        payload={"schedule_id": schedule_id, "at": micros},
    )


async def create_schedule_row(
    storage: StorageBackend,
    fn: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    every: str | float | timedelta,
    schedule_id: str | None = None,
    first_at: datetime | None = None,
) -> ScheduleRow:
    """Store the schedule and its first firing (at ``first_at``, default now + ``every``)."""
    definition = get_workflow(fn)
    interval = to_seconds(every)
    if interval <= 0:
        raise InvalidInput("a schedule's interval must be positive")
    first = first_at or utcnow() + timedelta(seconds=interval)
    stored_input = encode_input(args, kwargs)
    stored_input["workflow"] = definition.metadata()
    row = await storage.create_schedule(
        ScheduleRow(
            id=schedule_id or new_id(),
            workflow_name=definition.name,
            interval=interval,
            input=stored_input,
            next_run_at=first,
            stats={"runs": 0, "skipped": 0},
        )
    )
    await storage.enqueue(_task(row.id, first))
    return row


async def fire(storage: StorageBackend, task: Task) -> None:
    """Handle one claimed ``schedule`` task (idempotent; see the module docstring)."""
    schedule_id = task.payload["schedule_id"]
    at = from_micros(task.payload["at"])
    row = await storage.get_schedule(schedule_id)
    if (
        row is None
        or row.interval is None
        or (row.next_run_at is not None and at < row.next_run_at)
    ):
        return  # deleted, not an interval schedule, or a stale firing already superseded
    step = timedelta(seconds=row.interval)
    now = utcnow()
    stats = dict(row.stats)
    if row.status is ScheduleStatus.ACTIVE:
        stored_input = dict(row.input) if isinstance(row.input, dict) else {}
        metadata = stored_input.pop("workflow", {})
        run, _ = await storage.create_run(
            WorkflowRun(
                id=new_id(),
                workflow_name=row.workflow_name,
                input=stored_input,
                metadata={**metadata, "schedule_id": schedule_id},
                idempotency_key=f"schedule:{schedule_id}:{task.payload['at']}",
            )
        )
        await storage.enqueue(Task(id=f"{run.id}:start", run_id=run.id, kind=RESUME, due_at=now))
        stats["runs"] = int(stats.get("runs", 0)) + 1
    nxt = at + step
    while nxt <= now:
        nxt += step
        stats["skipped"] = int(stats.get("skipped", 0)) + 1
    # The next firing exists before next_run_at moves, so a crash between the two leaves a
    # firing that is still valid (its time is not before next_run_at).
    await storage.enqueue(_task(schedule_id, nxt))
    await storage.update_schedule(
        schedule_id,
        {"last_run_at": at, "next_run_at": nxt, "stats": stats},
        expected_revision=row.revision,
    )
