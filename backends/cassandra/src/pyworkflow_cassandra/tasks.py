"""Tasks on Cassandra: the queue primitives and the *floor* of the due-time index.

``tasks_due`` is one partition ordered by ``(due_at, id)``. Completing or moving a task
deletes its entry, and Cassandra keeps each deletion as a tombstone for ``gc_grace_seconds``
(10 days by default) plus compaction; a scan that meets more than
``tombstone_failure_threshold`` (100,000) of them fails. Scanning from the oldest ``due_at``,
as every claim would, therefore wades through every task completed in the last ten days, and
at a sustained few completions per second ``claim`` stops working.

So a claim scans from a **floor** (the ``tasks_floor`` row), not from the beginning:
``due_at >= floor AND due_at <= now``; the tombstones below the floor are never read. The
invariant is *no live entry lies below the floor*, kept with lightweight transactions:

* a claim that found no entry before ``first`` raises the floor to
  ``min(first, clock - CLAIM_MARGIN)`` with ``IF floor = f AND epoch = e`` (the values it read
  before scanning). ``epoch`` is a random value every writer below changes, so a raise
  fails if anything touched the floor since the claim read it;
* an entry written with ``due_at`` older than ``clock - WRITE_MARGIN`` (a task enqueued or
  released into the past; rare outside tests) is followed, before the task row, by
  ``UPDATE ... SET epoch = ? IF floor <= due`` and, if the floor is above it, by lowering it
  (``IF floor = current``). Either this LWT comes after a concurrent raise and undoes it,
  or before, and the raise's condition fails;
* an entry with a recent ``due_at`` needs nothing: a raise never passes
  ``clock - CLAIM_MARGIN``, and ``CLAIM_MARGIN - WRITE_MARGIN`` (4 minutes) bounds the clock
  skew between hosts plus how long a write may stay in flight.

A claim thus reads the tombstones of at most the tasks due in the last ``CLAIM_MARGIN``, or
since the oldest task still in the index (a leased task keeps its entry until it completes).
Index entries whose task is gone or has moved (crash debris, a refused release) would pin the
floor, so a claim deletes those older than ``STALE_AFTER``: no write stays in flight that long.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from pyworkflow._ids import new_id
from pyworkflow.codec import dumps, from_micros, from_record, loads, record, to_micros
from pyworkflow.errors import StorageUnavailable
from pyworkflow.models import Lease, Task, utcnow

from .records import CAS_ATTEMPTS, RecordsMixin, _gather

__all__ = ["CLAIM_MARGIN", "MIN_MICROS", "STALE_AFTER", "WRITE_MARGIN", "TasksMixin"]

MIN_MICROS = -(2**63)
#: A claim never raises the floor above the clock minus this (microseconds).
CLAIM_MARGIN = 300_000_000
#: An entry due before the clock minus this takes the floor protocol (microseconds).
WRITE_MARGIN = 60_000_000
#: A raise smaller than this is not worth a lightweight transaction (microseconds).
RAISE_STEP = 60_000_000
#: An index entry whose task is gone or moved is deleted once this old (microseconds).
STALE_AFTER = 600_000_000


def _clock() -> int:
    return to_micros(utcnow())


class TasksMixin(RecordsMixin):
    """enqueue, claim, complete, extend, release (see the module docstring for the floor)."""

    def _task(self, row: dict[str, Any]) -> Task:
        task = from_record(Task, loads(row["doc"]))
        return replace(task, due_at=from_micros(row["due_at"]), attempts=int(row["attempts"]))

    # -- the floor ------------------------------------------------------------------------

    async def _floor(self) -> tuple[int, str | None]:
        """The floor and its epoch (``MIN_MICROS, None`` if the row is missing)."""
        row = await self._one("floor_get", ())
        if row is None or row["floor"] is None:
            return MIN_MICROS, None
        return int(row["floor"]), row["epoch"]

    async def _keep_floor_below(self, due: int) -> None:
        """After writing an index entry at ``due``: make sure the floor is not above it."""
        if due >= _clock() - WRITE_MARGIN:
            return
        for _ in range(CAS_ATTEMPTS):
            ok, rows = await self._db.lwt(self._st["floor_touch"], (new_id(), due))
            if ok:
                return
            current = rows[0].get("floor") if rows else None
            if current is None:
                return  # no floor row: claims scan from the start
            ok, _ = await self._db.lwt(self._st["floor_lower"], (due, new_id(), current))
            if ok:
                return
        raise StorageUnavailable("the floor of the task index stayed contended; retry")

    async def _raise_floor(
        self, floor: int, epoch: str | None, first: int | None, now: int
    ) -> None:
        """Raise the floor to just below the first entry seen (or the clock's margin)."""
        if epoch is None:
            return
        target = min(now, _clock()) - CLAIM_MARGIN
        if first is not None:
            target = min(target, first)
        if target < floor + RAISE_STEP:
            return
        # Optional work: if it fails or its outcome is unknown, either floor is valid.
        with contextlib.suppress(Exception):
            await self._db.lwt(self._st["floor_raise"], (target, new_id(), floor, epoch))

    # -- primitives -----------------------------------------------------------------------

    async def _enqueue(self, task: Task) -> bool:
        due = to_micros(task.due_at)
        await self._logged(
            [("due_add", (due, task.id, _clock())), ("trun_add", (task.run_id, task.id))]
        )
        await self._keep_floor_below(due)
        ok, _ = await self._db.lwt(
            self._st["task_new"], (task.id, dumps(record(task)), due, task.attempts)
        )
        return ok

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        now_us, exp_us = to_micros(now), to_micros(expires_at)
        floor, epoch = await self._floor()

        async def try_claim(entry: tuple[int, str, int | None]) -> Lease | None:
            due, task_id, written = entry
            row = await self._one("task_get", (task_id,))
            if row is None or row["due_at"] != due:
                if written is not None and written < _clock() - STALE_AFTER:
                    await self._db.execute(self._st["due_drop"], (due, task_id))
                return None  # gone or moved: a stale entry
            if row["lease_until"] > now_us:
                return None  # leased
            token = new_id()
            attempts = int(row["attempts"])
            ok, _ = await self._db.lwt(
                self._st["task_claim"],
                (attempts + 1, token, worker, exp_us, task_id, attempts, now_us, due),
            )
            if not ok:
                return None
            task = replace(self._task(row), attempts=attempts + 1)
            return Lease(task=task, worker=worker, token=token, expires_at=expires_at)

        leases: list[Lease] = []
        seen: set[str] = set()
        first: int | None = None
        batch: list[tuple[int, str, int | None]] = []
        async for row in self._db.rows(self._st["due_list"], (floor, now_us)):
            if first is None:
                first = int(row["due_at"])
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            batch.append((row["due_at"], row["id"], row["written"]))
            if len(batch) >= limit - len(leases):
                leases.extend(x for x in await _gather(try_claim, batch) if x is not None)
                batch.clear()
                if len(leases) >= limit:
                    break
        else:
            leases.extend(x for x in await _gather(try_claim, batch) if x is not None)
        await self._raise_floor(floor, epoch, first, now_us)
        return leases[:limit]

    async def _complete(self, task_id: str, token: str) -> bool:
        row = await self._one("task_get", (task_id,))
        if row is None or row["lease_token"] != token:
            return False
        ok, _ = await self._db.lwt(self._st["task_done"], (task_id, token))
        if ok:
            run_id = loads(row["doc"])["run_id"]
            await self._logged(
                [("due_drop", (row["due_at"], task_id)), ("trun_drop_one", (run_id, task_id))]
            )
        return ok

    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool:
        ok, _ = await self._db.lwt(self._st["task_extend"], (to_micros(expires_at), task_id, token))
        return ok

    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool:
        row = await self._one("task_get", (task_id,))
        if row is None or row["lease_token"] != token:
            return False
        due = to_micros(due_at)
        # The new entry first, so the task is never unreachable.
        await self._db.execute(self._st["due_add"], (due, task_id, _clock()))
        await self._keep_floor_below(due)
        ok, _ = await self._db.lwt(self._st["task_release"], (due, task_id, token))
        if ok and row["due_at"] != due:
            await self._db.execute(self._st["due_drop"], (row["due_at"], task_id))
        return ok
