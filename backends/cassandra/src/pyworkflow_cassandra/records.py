"""Runs, tasks, hooks, schedules and retention on Cassandra (the non-event primitives).

Each record is one row holding its JSON record (:func:`pyworkflow.codec.record`) plus the
columns a condition needs (``status``/``rev``, ``revision``, lease columns), so every
compare-and-swap is a lightweight transaction on that row. Lookup tables (listing indexes,
per-run children) are written *before* the row they point to, and every reader verifies an
index entry against the row, so a crash between the two leaves a harmless dangling entry,
never an unreachable record.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from cassandra.query import BatchStatement, BatchType, PreparedStatement
from pyworkflow._encoded import EncodedRun, run_record_json
from pyworkflow.codec import (
    dumps,
    from_record,
    loads,
    record,
    record_changes,
    to_micros,
)
from pyworkflow.errors import ConflictError, NotFound, StorageUnavailable
from pyworkflow.models import (
    JSON,
    Hook,
    HookStatus,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    WorkflowRun,
)
from pyworkflow.storage import StorageBackend

from . import buckets
from .aio import Runner
from .closed_ids import ClosedIds

__all__ = ["MAX_MICROS", "RecordsMixin", "list_bounds", "run_matches"]

T = TypeVar("T")
MAX_MICROS = 2**63 - 1
MIN_DAY = -(2**62)
CAS_ATTEMPTS = 50
FETCH_CONCURRENCY = 64
#: Statements per LOGGED batch of retention: a multi-partition batch is refused above
#: ``batch_size_fail_threshold`` (50 KiB by default); 100 index deletions are about 5 KiB.
PURGE_CHUNK = 100


def list_bounds(
    flt: RunFilter, after: tuple[datetime, str] | None
) -> tuple[tuple[int, str], int | None]:
    """The exclusive keyset upper bound ``(created_at micros, id)`` and inclusive lower bound.

    ``created_before`` becomes ``(micros, "")``: no id sorts below ``""``, so the bound
    excludes exactly the runs created at or after it. The tighter of cursor and
    ``created_before`` wins.
    """
    upper: tuple[int, str] = (MAX_MICROS, "")
    if after is not None:
        upper = (to_micros(after[0]), after[1])
    if flt.created_before is not None:
        upper = min(upper, (to_micros(flt.created_before), ""))
    lower = None if flt.created_after is None else to_micros(flt.created_after)
    return upper, lower


def run_matches(run: WorkflowRun, flt: RunFilter, created_micros: int) -> bool:
    """Whether ``run`` (found through an index entry with ``created_micros``) is listed.

    An entry whose ``created_at`` disagrees with the run is a leftover of a refused create
    (another run had that id) and is skipped.
    """
    return (
        to_micros(run.created_at) == created_micros
        and (flt.workflow_name is None or run.workflow_name == flt.workflow_name)
        and (flt.statuses is None or run.status in flt.statuses)
        and (flt.created_after is None or run.created_at >= flt.created_after)
        and (flt.created_before is None or run.created_at < flt.created_before)
        and (flt.parent_id is None or run.parent_id == flt.parent_id)
    )


#: Day-index rows remembered as written before the memory is dropped.
DAYS_WRITTEN = 4096


async def _gather(fn: Callable[[Any], Awaitable[T]], items: Sequence[Any]) -> list[T]:
    """``fn`` over ``items`` concurrently (bounded), results in input order."""
    out: list[T] = []
    for start in range(0, len(items), FETCH_CONCURRENCY):
        out.extend(await asyncio.gather(*(fn(i) for i in items[start : start + FETCH_CONCURRENCY])))
    return out


class RecordsMixin(StorageBackend):
    """The record primitives; :class:`~.backend.CassandraBackend` adds lifecycle and events."""

    _db: Runner
    _st: dict[str, PreparedStatement]
    _opened: dict[str, int]  # run id -> an event bucket known to exist (backend.py)
    _closed: ClosedIds  # ids of closed buckets held in memory (backend.py)
    #: (workflow name or None for run_days, day) of day-index rows written by this process.
    _days_written: set[tuple[str | None, int]]
    page_size: int

    # -- helpers -------------------------------------------------------------------------

    def _batch(self, kind: Any = BatchType.UNLOGGED) -> BatchStatement:
        """A new batch (UNLOGGED: single-partition conditional; LOGGED: multi-partition)."""
        return BatchStatement(batch_type=kind)

    async def _one(self, name: str, params: Sequence[Any]) -> dict[str, Any] | None:
        page = await self._db.execute(self._st[name], params)
        return page.rows[0] if page.rows else None

    async def _logged(self, items: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """A LOGGED batch: Cassandra applies all of it or (after batchlog replay) none."""
        batch = self._batch(BatchType.LOGGED)
        for name, params in items:
            batch.add(self._st[name], params)
        await self._db.execute(batch)

    # -- runs ----------------------------------------------------------------------------

    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        run = new.run
        doc = run_record_json(new)  # dumps(record(run)), the JSON fields not encoded again
        key = run.idempotency_key
        for _ in range(CAS_ATTEMPTS):
            if key is not None:
                ok, rows = await self._db.lwt(self._st["key_new"], (key, run.id, doc))
                if not ok:
                    existing = await self._claimed_run(key, rows[0]["run_id"], rows[0]["doc"])
                    if existing is None:  # a dead claim was just removed: claim again
                        continue
                    return existing, False
            if await self._materialize(run, doc):
                return run, True
            current = await self._get_run(run.id)
            if key is not None and current is not None and current.idempotency_key == key:
                return current, True  # another caller rolled our claim forward
            if key is not None:
                await self._db.lwt(self._st["key_undo"], (key, run.id))
            raise ConflictError(f"run {run.id!r} exists already")
        raise StorageUnavailable(f"idempotency key {key!r} stayed contended; retry")

    async def _claimed_run(self, key: str, run_id: str, doc: str) -> WorkflowRun | None:
        """The run an existing key claim names, rolling its creation forward if it crashed.

        Returns ``None`` after removing a claim that can never complete (its run id belongs
        to a run with another key), so the caller claims again.
        """
        current = await self._get_run(run_id)
        if current is None:
            claimed = from_record(WorkflowRun, loads(doc))
            if await self._materialize(claimed, doc):
                return claimed
            current = await self._get_run(run_id)
        if current is not None and current.idempotency_key == key:
            return current
        await self._db.lwt(self._st["key_undo"], (key, run_id))
        return None

    async def _materialize(self, run: WorkflowRun, doc: str) -> bool:
        """Index entries first (idempotent), then the run row ``IF NOT EXISTS``.

        The index entries go in one UNLOGGED batch (one request; a batchlog buys nothing
        here) awaited before the run row is written, so a run row never exists without them
        (a failure part-way leaves entries that name no run, which listings skip, and the
        retry writes them again).
        A day-index row (``run_days``, ``workflow_days``) is never deleted, so one this
        process has written once is not written again (:attr:`_days_written`).
        """
        created = to_micros(run.created_at)
        day = buckets.day_of(created)
        items: list[tuple[str, Sequence[Any]]] = [
            ("by_day_add", (day, created, run.id)),
            ("by_wf_add", (run.workflow_name, day, created, run.id)),
        ]
        days = [k for k in ((None, day), (run.workflow_name, day)) if k not in self._days_written]
        for name, wday in days:
            items.append(("day_add", (wday,)) if name is None else ("wf_day_add", (name, wday)))
        if run.parent_id is not None:
            items.append(("by_parent_add", (run.parent_id, created, run.id)))
        if run.completed_at is not None:
            items.extend(_completed_items(run.id, to_micros(run.completed_at)))
        batch = self._batch(BatchType.UNLOGGED)
        for name, params in items:
            batch.add(self._st[name], params)
        await self._db.execute(batch)
        if days:
            if len(self._days_written) >= DAYS_WRITTEN:
                self._days_written.clear()  # a bound, not a correctness matter
            self._days_written.update(days)
        ok, _ = await self._db.lwt(self._st["run_new"], (run.id, run.status.value, doc))
        return ok

    async def _get_run(self, run_id: str) -> WorkflowRun | None:
        row = await self._one("run_get", (run_id,))
        return None if row is None else from_record(WorkflowRun, loads(row["doc"]))

    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        for _ in range(CAS_ATTEMPTS):
            row = await self._one("run_get", (run_id,))
            if row is None:
                raise NotFound(f"run {run_id!r} does not exist")
            if expected_status is not None and row["status"] != expected_status.value:
                return False
            data = loads(row["doc"])
            data.update(record_changes(WorkflowRun, changes))
            rev = row["rev"]
            completed = data.get("completed_at")
            if "completed_at" in changes and completed is not None:
                # Retention's index entry goes first: an entry whose CAS then loses is
                # skipped by the sweep (it checks the run's completed_at), never missed.
                await self._logged(_completed_items(run_id, completed))
            ok, _ = await self._db.lwt(
                self._st["run_cas"], (dumps(data), data["status"], rev + 1, run_id, rev)
            )
            if ok:
                return True
        raise StorageUnavailable(f"run {run_id!r} stayed contended; retry")

    async def _run_keys(
        self, flt: RunFilter, upper: tuple[int, str], lower: int | None
    ) -> AsyncIterator[tuple[int, str]]:
        """(created_at, id) index entries below ``upper``, newest first."""
        low_day = MIN_DAY if lower is None else buckets.day_of(lower)
        high_day = buckets.day_of(upper[0])
        if flt.parent_id is not None:
            sources: AsyncIterator[tuple[str, tuple[Any, ...]]] = _single(
                "by_parent_list", (flt.parent_id, *upper)
            )
        elif flt.workflow_name is not None:
            name = flt.workflow_name
            sources = self._per_day(
                "wf_day_list", (name, high_day, low_day), "by_wf_list", lambda d: (name, d, *upper)
            )
        else:
            sources = self._per_day(
                "day_list", (high_day, low_day), "by_day_list", lambda d: (d, *upper)
            )
        async for name, params in sources:
            async for row in self._db.rows(self._st[name], params):
                if lower is not None and row["created_at"] < lower:
                    return
                yield row["created_at"], row["id"]

    async def _per_day(
        self,
        days: str,
        day_params: tuple[Any, ...],
        rows: str,
        row_params: Callable[[int], tuple[Any, ...]],
    ) -> AsyncIterator[tuple[str, tuple[Any, ...]]]:
        async for day in self._db.rows(self._st[days], day_params):
            yield rows, row_params(day["day"])

    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        upper, lower = list_bounds(flt, after)
        out: list[WorkflowRun] = []
        pending: list[tuple[int, str]] = []

        async def flush() -> None:
            runs = await _gather(self._get_run, [rid for _, rid in pending])
            for (created, _), run in zip(pending, runs, strict=True):
                if run is not None and run_matches(run, flt, created) and len(out) < limit:
                    out.append(run)
            pending.clear()

        async for entry in self._run_keys(flt, upper, lower):
            pending.append(entry)
            if len(pending) >= max(8, limit - len(out)):
                await flush()
                if len(out) >= limit:
                    return out
        await flush()
        return out

    # -- hooks ---------------------------------------------------------------------------

    async def _create_hook(self, hook: Hook) -> None:
        await self._db.execute(self._st["hrun_add"], (hook.run_id, hook.token))
        ok, _ = await self._db.lwt(
            self._st["hook_new"], (hook.token, hook.status.value, dumps(record(hook)))
        )
        if not ok:
            raise ConflictError("a hook with this token exists already")

    async def _get_hook(self, token: str) -> Hook | None:
        row = await self._one("hook_get", (token,))
        return None if row is None else from_record(Hook, loads(row["doc"]))

    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        row = await self._one("hook_get", (token,))
        if row is None:
            return None
        hook = from_record(Hook, loads(row["doc"]))
        if hook.status is not HookStatus.PENDING or (
            hook.expires_at is not None and hook.expires_at <= now
        ):
            return False
        data = loads(row["doc"])
        data.update(
            record_changes(
                Hook, {"status": HookStatus.RECEIVED, "payload": payload, "received_at": now}
            )
        )
        pending, received = HookStatus.PENDING.value, HookStatus.RECEIVED.value
        ok, _ = await self._db.lwt(self._st["hook_set"], (received, dumps(data), token, pending))
        return ok

    # -- schedules -----------------------------------------------------------------------

    async def _create_schedule(self, schedule: Schedule) -> None:
        await self._db.execute(self._st["sid_add"], (schedule.id,))
        ok, _ = await self._db.lwt(
            self._st["sched_new"], (schedule.id, schedule.revision, dumps(record(schedule)))
        )
        if not ok:
            raise ConflictError(f"schedule {schedule.id!r} exists already")

    async def _get_schedule(self, schedule_id: str) -> Schedule | None:
        row = await self._one("sched_get", (schedule_id,))
        return None if row is None else from_record(Schedule, loads(row["doc"]))

    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        for _ in range(CAS_ATTEMPTS):
            row = await self._one("sched_get", (schedule_id,))
            if row is None:
                raise NotFound(f"schedule {schedule_id!r} does not exist")
            revision = int(row["revision"])
            if expected_revision is not None and revision != expected_revision:
                return False
            data = loads(row["doc"])
            data.update(record_changes(Schedule, changes))
            data["revision"] = revision + 1
            ok, _ = await self._db.lwt(
                self._st["sched_cas"], (revision + 1, dumps(data), schedule_id, revision)
            )
            if ok:
                return True
        raise StorageUnavailable(f"schedule {schedule_id!r} stayed contended; retry")

    async def _delete_schedule(self, schedule_id: str) -> bool:
        ok, _ = await self._db.lwt(self._st["sched_del"], (schedule_id,))
        if ok:
            await self._db.execute(self._st["sid_drop"], (schedule_id,))
        return ok

    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        out: list[Schedule] = []
        ids: list[str] = []

        async def flush() -> None:
            for item in await _gather(self._get_schedule, ids):
                if item is not None and (status is None or item.status == status):
                    out.append(item)
            ids.clear()

        async for row in self._db.rows(self._st["sid_list"], (after_id or "",)):
            ids.append(row["id"])
            if len(ids) >= max(8, limit - len(out)):
                await flush()
                if len(out) >= limit:
                    break
        await flush()
        return out[:limit]

    # -- retention -----------------------------------------------------------------------

    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        """Walk the completed-at index up to the cutoff; delete each qualifying run."""
        cut = to_micros(older_than)
        doomed: dict[str, WorkflowRun] = {}
        async for day in self._db.rows(self._st["done_days"], (buckets.day_of(cut),)):
            keys = await self._db.all(self._st["done_list"], (day["day"], cut))
            runs = await _gather(self._get_run, [k["id"] for k in keys])
            for key, run in zip(keys, runs, strict=True):
                if (
                    run is not None
                    and run.status in statuses
                    and run.completed_at is not None
                    and to_micros(run.completed_at) == key["completed_at"]
                    and run.completed_at < older_than
                ):
                    doomed[run.id] = run
        for run in doomed.values():
            await self._purge(run)
        return len(doomed)

    async def _purge(self, run: WorkflowRun) -> None:
        """Delete the run and everything it owns; re-drivable after a crash at any point.

        Rows that lightweight transactions write (events, tasks, hooks, the idempotency key,
        the run) are deleted so that a later LWT write of the same key is never shadowed:
        conditional deletes, and event partitions at the timestamp of their last append.
        Index entries (plain writes) go in LOGGED batches of at most ``PURGE_CHUNK``
        statements, below ``batch_size_fail_threshold`` whatever the run's size. The run's
        retention entry goes last, so a sweep interrupted half-way finds the run again.
        """
        bucket = 0
        self._opened.pop(run.id, None)  # its buckets are about to go
        self._closed.forget(run.id)
        while (stamp := await self._one("ev_stamp", (run.id, bucket))) is not None:
            if stamp["stamp"] is not None:
                await self._db.execute(self._st["ev_drop"], (stamp["stamp"], run.id, bucket))
            bucket += 1
        index: list[tuple[str, Sequence[Any]]] = []
        task_ids = [row["id"] for row in await self._db.all(self._st["trun_list"], (run.id,))]
        tasks = await _gather(lambda i: self._one("task_get", (i,)), task_ids)
        await _gather(
            lambda i: self._db.lwt(self._st["task_drop"], (i,)),
            [i for i, t in zip(task_ids, tasks, strict=True) if t is not None],
        )
        for task_id, task in zip(task_ids, tasks, strict=True):
            if task is not None:
                index.append(("due_drop", (task["due_at"], task_id)))
        tokens = [row["hook_token"] for row in await self._db.all(self._st["hrun_list"], (run.id,))]
        hooks = await _gather(lambda t: self._one("hook_get", (t,)), tokens)
        await _gather(
            lambda t: self._db.lwt(self._st["hook_drop"], (t,)),
            [t for t, h in zip(tokens, hooks, strict=True) if h is not None],
        )
        created = to_micros(run.created_at)
        day = buckets.day_of(created)
        index.append(("by_day_drop", (day, created, run.id)))
        index.append(("by_wf_drop", (run.workflow_name, day, created, run.id)))
        if run.parent_id is not None:
            index.append(("by_parent_drop", (run.parent_id, created, run.id)))
        for start in range(0, len(index), PURGE_CHUNK):
            await self._logged(index[start : start + PURGE_CHUNK])
        await self._logged([("trun_drop", (run.id,)), ("hrun_drop", (run.id,))])
        if run.idempotency_key is not None:
            await self._db.lwt(self._st["key_undo"], (run.idempotency_key, run.id))
        await self._db.lwt(self._st["run_drop"], (run.id,))
        if run.completed_at is not None:
            done = to_micros(run.completed_at)
            await self._db.execute(self._st["done_drop"], (buckets.day_of(done), done, run.id))


def _completed_items(run_id: str, completed: int) -> list[tuple[str, Sequence[Any]]]:
    day = buckets.day_of(completed)
    return [("done_add", (day, completed, run_id)), ("done_day_add", (day,))]


async def _single(name: str, params: tuple[Any, ...]) -> AsyncIterator[tuple[str, tuple[Any, ...]]]:
    yield name, params
