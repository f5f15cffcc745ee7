"""Schedules: a workflow started on an interval, a cron expression or calendar entries.

A schedule is a :class:`~pyworkflow.models.Schedule` row plus exactly one pending task of kind
``schedule`` for its next firing (id ``schedule:<id>:<epoch µs>``). A worker that claims it
starts the run (idempotency key ``schedule:<id>:<epoch µs>``, so a firing retried after a
crash starts nothing twice), enqueues the next firing, then moves ``next_run_at`` with a
compare-and-swap on the schedule's revision. Firings missed while no worker ran follow the
schedule's catch-up policy (:mod:`.schedule_catchup`; by default one run, the other missed
slots counted in ``stats["skipped"]``). Every spec kind (interval, cron
in a time zone, calendar entries, see :mod:`.schedule_specs`) fires through this one path; the
optional ``start_at``/``end_at`` bounds are kept in the row's stored input under
``"schedule"`` (epoch µs), so no storage field is added for them.
"""

from __future__ import annotations

import random
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
from .schedule_catchup import CatchupPolicy, catchup_extras, plan_catchup
from .schedule_overlap import (
    OverlapPolicy,
    buffer_task,
    cancel_runs,
    overlap_policy,
    running_runs,
    stored_policy,
)
from .schedule_specs import CalendarSpec, next_fire_time

__all__ = [
    "SCHEDULE",
    "create_schedule_row",
    "fire",
    "next_after",
    "schedule_task",
    "slot_key",
    "start_scheduled_run",
]

SCHEDULE = "schedule"
# Slots remembered in ``stats["fired"]`` (see ``_save``): enough for the firings that can
# race within one lease.
_REMEMBERED_SLOTS = 32


def schedule_task(schedule_id: str, at: datetime, jitter: float = 0.0) -> Task:
    """The firing of ``schedule_id``'s slot ``at``, due up to ``jitter`` seconds later (random,
    so many schedules on one slot do not all start at once; the slot itself is unchanged)."""
    micros = to_micros(at)
    due = at + timedelta(seconds=random.uniform(0, jitter)) if jitter > 0 else at
    return Task(
        id=f"schedule:{schedule_id}:{micros}",
        run_id=f"schedule:{schedule_id}",
        kind=SCHEDULE,
        due_at=due,
        payload={"schedule_id": schedule_id, "at": micros},
    )


async def create_schedule_row(
    storage: StorageBackend,
    fn: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    every: str | float | timedelta | None = None,
    schedule_id: str | None = None,
    first_at: datetime | None = None,
    cron: str | None = None,
    calendar: list[CalendarSpec | dict[str, Any]] | None = None,
    timezone: str = "UTC",
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    overlap: OverlapPolicy | str = OverlapPolicy.ALLOW_ALL,
    catchup: CatchupPolicy | str | None = None,
    catchup_window: str | float | timedelta | None = None,
    now: datetime | None = None,
) -> ScheduleRow:
    """Store the schedule and its first firing: at ``first_at`` if given, else the first slot
    of the spec after ``now`` (default: the current time). Bad specs (no kind given, an invalid
    cron expression or time zone, a non-positive interval) raise :class:`InvalidInput` and store
    nothing. ``overlap`` is what a firing does while an earlier run still goes
    (:mod:`.schedule_overlap`); ``catchup``/``catchup_window`` what missed slots do after a
    downtime (:mod:`.schedule_catchup`; default ``"one"``, no window)."""
    policy = overlap_policy(overlap)
    catchup_bag = catchup_extras(catchup, catchup_window)
    definition = get_workflow(fn)
    interval = None if every is None else to_seconds(every)
    entries = [c.to_dict() if isinstance(c, CalendarSpec) else dict(c) for c in calendar or []]
    first = first_at or next_fire_time(
        after=now or utcnow(),
        cron=cron,
        calendar=entries,
        interval=interval,
        timezone=timezone,
        start_at=start_at,
        end_at=end_at,
    )
    if first is None:
        raise InvalidInput("the schedule has no firing before its end_at")
    stored_input = encode_input(args, kwargs)
    stored_input["workflow"] = definition.metadata()
    bounds = {"start_at": start_at, "end_at": end_at}
    extras: dict[str, Any] = {k: to_micros(t) for k, t in bounds.items() if t is not None}
    extras["overlap"] = policy.value
    extras.update(catchup_bag)
    stored_input["schedule"] = extras
    row = await storage.create_schedule(
        ScheduleRow(
            id=schedule_id or new_id(),
            workflow_name=definition.name,
            interval=interval,
            cron=cron,
            calendar=entries,
            timezone=timezone,
            input=stored_input,
            next_run_at=first,
            stats={"runs": 0, "skipped": 0},
        )
    )
    await storage.enqueue(schedule_task(row.id, first))
    return row


_task = schedule_task  # the name engine/copy.py imports


def slot_key(schedule_id: str, at: datetime) -> str:
    """The idempotency key of the run for ``schedule_id``'s slot at ``at`` (firing or backfill)."""
    return f"schedule:{schedule_id}:{to_micros(at)}"


async def start_scheduled_run(
    storage: StorageBackend, row: ScheduleRow, key: str, now: datetime
) -> WorkflowRun:
    """Create (once per ``key``) and enqueue the run of ``row``'s workflow and arguments."""
    stored_input = dict(row.input) if isinstance(row.input, dict) else {}
    metadata = stored_input.pop("workflow", {})
    stored_input.pop("schedule", None)
    run, _ = await storage.create_run(
        WorkflowRun(
            id=new_id(),
            workflow_name=row.workflow_name,
            input=stored_input,
            metadata={**metadata, "schedule_id": row.id},
            idempotency_key=key,
        )
    )
    # enqueue is idempotent by task id, so a retried start adds no second task
    await storage.enqueue(Task(id=f"{run.id}:start", run_id=run.id, kind=RESUME, due_at=now))
    return run


def next_after(row: ScheduleRow, after: datetime) -> datetime | None:
    extras = row.input.get("schedule", {}) if isinstance(row.input, dict) else {}
    bounds = extras if isinstance(extras, dict) else {}
    start, end = bounds.get("start_at"), bounds.get("end_at")
    return next_fire_time(
        after=after,
        cron=row.cron,
        calendar=row.calendar,
        interval=row.interval,
        timezone=row.timezone,
        start_at=from_micros(start) if isinstance(start, int) else None,
        end_at=from_micros(end) if isinstance(end, int) else None,
    )


async def fire(storage: StorageBackend, task: Task, *, now: datetime | None = None) -> None:
    """Handle one claimed ``schedule`` task (idempotent; see the module docstring).

    ``now`` (default: the current time) is injectable so tests can simulate days of firings
    without waiting. A schedule whose spec has no further slot (past ``end_at``) stops: no
    next firing is enqueued.
    """
    schedule_id = task.payload["schedule_id"]
    if task.payload.get("buffer"):
        await _release_buffered(storage, schedule_id, now or utcnow())
        return
    at = from_micros(task.payload["at"])
    row = await storage.get_schedule(schedule_id)
    if row is None or (row.next_run_at is not None and at < row.next_run_at):
        return  # deleted, or a stale firing already superseded
    if row.interval is None and not row.cron and not row.calendar:
        return  # no spec this engine can interpret
    now = now or utcnow()
    stats = dict(row.stats)
    in_time, nxt, skipped = plan_catchup(row, at, now, lambda t: next_after(row, t))
    if not in_time:
        skipped += 1  # this slot itself fell out of the catch-up window
    elif row.status is ScheduleStatus.ACTIVE and await _may_start(
        storage, row, stats, now, slot_key(schedule_id, at)
    ):
        await start_scheduled_run(storage, row, slot_key(schedule_id, at), now)
        stats["runs"] = int(stats.get("runs", 0)) + 1
    if skipped:
        stats["skipped"] = int(stats.get("skipped", 0)) + skipped
    if nxt is None:  # the schedule is over (end_at passed): no further firing
        await _save(storage, row, stats, {"last_run_at": at, "next_run_at": None}, to_micros(at))
        return
    # The next firing exists before next_run_at moves, so a crash between the two leaves a
    # firing that is still valid (its time is not before next_run_at).
    await storage.enqueue(schedule_task(schedule_id, nxt, row.jitter))
    await _save(storage, row, stats, {"last_run_at": at, "next_run_at": nxt}, to_micros(at))


async def _save(
    storage: StorageBackend,
    row: ScheduleRow,
    stats: dict[str, Any],
    fields: dict[str, Any],
    slot: int,
) -> None:
    """Store a firing's outcome with a compare-and-swap on ``row``'s revision. When the row
    changed meanwhile (a run's outcome was counted, or, catching up, the next slot's firing
    was handled first), the firing's counter changes are applied again to the fresh row, and
    ``next_run_at``/``last_run_at`` only move forward. The slot is remembered among the last
    :data:`_REMEMBERED_SLOTS` in ``stats["fired"]``, so a duplicate firing of the same slot
    (a task claimed again after its lease expired) counts nothing twice."""
    delta = {
        k: int(v) - int(row.stats.get(k, 0) or 0)
        for k, v in stats.items()
        if isinstance(v, int) and v != row.stats.get(k, 0)
    }
    current: ScheduleRow | None = row
    for _ in range(50):
        if current is None:
            return
        fired = list(current.stats.get("fired") or [])
        if slot in fired:
            return  # another firing of this slot was stored
        merged = dict(current.stats)
        for key, by in delta.items():
            merged[key] = int(merged.get(key, 0) or 0) + by
        merged["fired"] = [*fired, slot][-_REMEMBERED_SLOTS:]
        changes = {**fields, "stats": merged}
        for name in ("next_run_at", "last_run_at"):
            mine, theirs = fields.get(name), getattr(current, name)
            if mine is not None and theirs is not None and theirs > mine:
                changes[name] = theirs
        if await storage.update_schedule(row.id, changes, expected_revision=current.revision):
            return
        current = await storage.get_schedule(row.id)


def _bump(stats: dict[str, Any], key: str, by: int = 1) -> int:
    stats[key] = int(stats.get(key, 0)) + by
    return int(stats[key])


async def _may_start(
    storage: StorageBackend, row: ScheduleRow, stats: dict[str, Any], now: datetime, key: str
) -> bool:
    """Apply the overlap policy to a due firing; ``True`` if it starts its run now. A running
    run with the slot's own ``key`` was started by an earlier attempt of this firing (which
    then failed, say on a storage fault): the retry goes on with it, not against it."""
    policy = stored_policy(row)
    if policy is OverlapPolicy.ALLOW_ALL:
        return True
    running = await running_runs(storage, row)
    if not running or await _is_release(storage, running, key):
        return True
    if policy is OverlapPolicy.SKIP:
        _bump(stats, "overlap_skipped")
        return False
    if policy in (OverlapPolicy.BUFFER_ONE, OverlapPolicy.BUFFER_ALL):
        if policy is OverlapPolicy.BUFFER_ONE and int(stats.get("buffered", 0)) >= 1:
            _bump(stats, "overlap_skipped")
        else:
            _bump(stats, "buffered")
            await storage.enqueue(buffer_task(row.id, now))
        return False
    reason = (
        "terminated by schedule overlap policy"
        if policy is OverlapPolicy.TERMINATE_OTHER
        else "cancelled by schedule overlap policy"
    )
    await cancel_runs(storage, running, reason)
    return True


async def _release_buffered(storage: StorageBackend, schedule_id: str, now: datetime) -> None:
    """Start one buffered firing if the schedule's runs have ended; else look again later.

    The run's idempotency key names the release's sequence number (``stats["released"]``,
    which only grows with a compare-and-swap together with the count's drop), so a retried
    release, or one racing another write to the row, starts nothing twice. A paused schedule
    keeps its buffer (resuming it releases the buffer again).
    """
    for _ in range(50):
        row = await storage.get_schedule(schedule_id)
        if row is None or row.status is not ScheduleStatus.ACTIVE:
            return
        stats = dict(row.stats)
        if int(stats.get("buffered", 0)) <= 0:
            return
        key = f"schedule:{schedule_id}:buffer:{int(stats.get('released', 0) or 0) + 1}"
        running = await running_runs(storage, row)
        # a running run with this release's key is this release, started by an attempt that
        # lost its compare-and-swap: only the row's update is left to do
        if running and not await _is_release(storage, running, key):
            await storage.enqueue(buffer_task(schedule_id, now))
            return
        await start_scheduled_run(storage, row, key, now)
        left = _bump(stats, "buffered", -1)
        _bump(stats, "runs")
        _bump(stats, "released")
        if await storage.update_schedule(
            schedule_id, {"stats": stats, "last_run_at": now}, expected_revision=row.revision
        ):
            if left > 0:
                await storage.enqueue(buffer_task(schedule_id, now))
            return
    await storage.enqueue(buffer_task(schedule_id, now))  # kept losing races: look again


async def _is_release(storage: StorageBackend, run_ids: list[str], key: str) -> bool:
    for run_id in run_ids:
        run = await storage.get_run(run_id)
        if run is not None and run.idempotency_key == key:
            return True
    return False
