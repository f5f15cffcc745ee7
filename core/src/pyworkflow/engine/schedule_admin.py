"""Managing schedules: get, list, pause, resume, delete, trigger and backfill.

Every function takes ``storage=None`` (the configured engine's store). A schedule that does
not exist raises :class:`~pyworkflow.errors.NotFound` and changes nothing. Updates of the
schedule row use a compare-and-swap on its revision and retry on a lost race with a worker
that is firing it at the same moment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pyworkflow._ids import new_id
from pyworkflow.errors import ConflictError, InvalidInput, NotFound
from pyworkflow.models import Schedule as ScheduleRow
from pyworkflow.models import ScheduleStatus, utcnow
from pyworkflow.storage import StorageBackend

from .schedule_overlap import buffer_task
from .schedules import next_after, schedule_task, slot_key, start_scheduled_run

__all__ = [
    "MAX_BACKFILL",
    "backfill_schedule",
    "delete_schedule",
    "get_schedule",
    "list_schedules",
    "pause_schedule",
    "resume_schedule",
    "trigger_schedule",
]

MAX_BACKFILL = 10_000  # slots one backfill call may start (the predecessor's bound)
_CAS_ATTEMPTS = 20


async def _store(storage: StorageBackend | None) -> StorageBackend:
    if storage is not None:
        return storage
    from .api import default_engine  # late: api imports this package's schedule helpers

    return await default_engine().storage()


async def _row(storage: StorageBackend, schedule_id: str) -> ScheduleRow:
    row = await storage.get_schedule(schedule_id)
    if row is None:
        raise NotFound(f"no schedule {schedule_id!r}")
    return row


async def _cas(
    storage: StorageBackend,
    schedule_id: str,
    change: Callable[[ScheduleRow], Awaitable[dict[str, Any]]],
) -> ScheduleRow:
    """Apply ``change(row)`` with a compare-and-swap, re-reading the row on a lost race."""
    for _ in range(_CAS_ATTEMPTS):
        row = await _row(storage, schedule_id)
        changes = await change(row)
        if await storage.update_schedule(schedule_id, changes, expected_revision=row.revision):
            return await _row(storage, schedule_id)
    raise ConflictError(f"schedule {schedule_id!r} kept changing; try again")


async def get_schedule(schedule_id: str, *, storage: StorageBackend | None = None) -> ScheduleRow:
    """The schedule row; :class:`NotFound` if there is none."""
    return await _row(await _store(storage), schedule_id)


async def list_schedules(
    *,
    workflow_name: str | None = None,
    status: ScheduleStatus | str | None = None,
    limit: int = 100,
    storage: StorageBackend | None = None,
) -> list[ScheduleRow]:
    """Up to ``limit`` schedules (of one workflow / status if given) in ascending id order."""
    store = await _store(storage)
    wanted = None if status is None else ScheduleStatus(status)
    out: list[ScheduleRow] = []
    cursor: str | None = None
    while len(out) < limit:
        page = await store.list_schedules(status=wanted, limit=100, cursor=cursor)
        out.extend(r for r in page.items if workflow_name in (None, r.workflow_name))
        cursor = page.next_cursor
        if cursor is None:
            break
    return out[:limit]


async def pause_schedule(schedule_id: str, *, storage: StorageBackend | None = None) -> ScheduleRow:
    """Stop starting runs (firings keep ticking and count nothing). Idempotent."""

    async def change(row: ScheduleRow) -> dict[str, Any]:
        return {"status": ScheduleStatus.PAUSED}

    return await _cas(await _store(storage), schedule_id, change)


async def resume_schedule(
    schedule_id: str, *, storage: StorageBackend | None = None, now: datetime | None = None
) -> ScheduleRow:
    """Start runs again from the first slot after ``now``: slots that passed while paused are
    not replayed (use :func:`backfill_schedule` for that). The firing pending from before is
    superseded (it is dropped when claimed, being before the new ``next_run_at``)."""
    store = await _store(storage)
    at = now or utcnow()

    async def change(row: ScheduleRow) -> dict[str, Any]:
        nxt = next_after(row, at)
        if nxt is not None:
            # the firing exists before next_run_at names it (see schedules.fire)
            await store.enqueue(schedule_task(row.id, nxt))
        if int(row.stats.get("buffered", 0)) > 0:  # firings buffered before the pause
            await store.enqueue(buffer_task(row.id, at))
        return {"status": ScheduleStatus.ACTIVE, "next_run_at": nxt}

    return await _cas(store, schedule_id, change)


async def delete_schedule(schedule_id: str, *, storage: StorageBackend | None = None) -> None:
    """Remove the schedule; its pending firing is dropped when claimed. Runs it started stay."""
    if not await (await _store(storage)).delete_schedule(schedule_id):
        raise NotFound(f"no schedule {schedule_id!r}")


async def trigger_schedule(
    schedule_id: str, *, storage: StorageBackend | None = None, now: datetime | None = None
) -> str:
    """Start one run now, outside the spec (also when paused); return its run id. The next
    regular firing is unchanged; ``stats["runs"]`` and ``last_run_at`` record it."""
    store = await _store(storage)
    at = now or utcnow()
    row = await _row(store, schedule_id)
    run = await start_scheduled_run(store, row, f"schedule:{schedule_id}:trigger:{new_id()}", at)

    async def change(row: ScheduleRow) -> dict[str, Any]:
        stats = dict(row.stats)
        stats["runs"] = int(stats.get("runs", 0)) + 1
        return {"stats": stats, "last_run_at": at}

    await _cas(store, schedule_id, change)
    return run.id


async def backfill_schedule(
    schedule_id: str,
    start_time: datetime,
    end_time: datetime,
    *,
    storage: StorageBackend | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Start one run per slot of the spec in ``[start_time, end_time)``; return their run ids.

    A slot's run has the same idempotency key as a regular firing of that slot, so a slot
    that already ran (or a backfill repeated) starts nothing twice: its existing run's id is
    returned. An interval schedule's slots count from ``start_time``. More than
    :data:`MAX_BACKFILL` slots -> :class:`InvalidInput`, nothing started.
    """
    if end_time <= start_time:
        raise InvalidInput("backfill needs start_time < end_time")
    store = await _store(storage)
    row = await _row(store, schedule_id)
    slots: list[datetime] = []
    # next_after is strictly-after: step back a microsecond so a slot at start_time counts
    nxt = next_after(row, start_time - timedelta(microseconds=1))
    while nxt is not None and nxt < end_time:
        slots.append(nxt)
        if len(slots) > MAX_BACKFILL:
            raise InvalidInput(f"backfill covers more than {MAX_BACKFILL} slots")
        nxt = next_after(row, nxt)
    at = now or utcnow()
    ids = [(await start_scheduled_run(store, row, slot_key(row.id, s), at)).id for s in slots]
    return ids
