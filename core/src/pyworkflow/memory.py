"""The in-memory reference backend (``memory://``).

It is the executable specification of the contract: short, obviously correct, and passing the
whole conformance suite. Nothing survives the process (``features.durable`` is false) and one
instance is one store, so it cannot be shared between processes.

Each primitive runs without awaiting once it has started, which makes it atomic under
asyncio; it first yields once so that concurrent callers really interleave between calls
(``_append``, the hot path, only when another callback is ready or every 16th call: see
``pyworkflow._turns``).
Everything is stored as encoded JSON and decoded on the way out, so callers always get fresh
objects and can never mutate stored state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ._encoded import EncodedRun, run_record_json
from ._ids import new_id
from ._rows import decode_checked, decode_plain, event, events_from_rows
from ._turns import turn_due
from ._validate import EncodedEvent
from .codec import dumps, encode_valid, from_record, loads, record, record_changes
from .errors import ConflictError, NotFound
from .features import Features
from .models import (
    JSON,
    Event,
    Hook,
    HookStatus,
    Lease,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    Task,
    WorkflowRun,
)
from .storage import StorageBackend
from .task_views import TaskInfo, TaskState

__all__ = ["MemoryBackend"]


@dataclass
class _TaskRow:
    task: str  # encoded Task record
    worker: str | None = None
    token: str | None = None
    expires_at: datetime | None = None


@dataclass
class _Store:
    events: dict[str, list[tuple[str, str, str, datetime]]] = field(default_factory=dict)
    event_ids: dict[str, set[str]] = field(default_factory=dict)
    #: run id -> how many of its first events' data texts a read found plain (_rows).
    plain: dict[str, int] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, _TaskRow] = field(default_factory=dict)
    hooks: dict[str, str] = field(default_factory=dict)
    schedules: dict[str, str] = field(default_factory=dict)


def _enc(obj: Any) -> str:
    # Every model stored here has been validated by the public method (or was read back from
    # this store), so its record is JSON already: encoded without re-checking it.
    return encode_valid(record(obj))


class MemoryBackend(StorageBackend):
    """Keeps everything in this process's memory. For tests and single-process scripts."""

    schemes = ("memory",)
    features = Features(durable=False, multi_process=False, multi_host=False)

    async def _connect(self) -> None:
        if not hasattr(self, "_s"):
            self._s = _Store()

    async def _close(self) -> None:
        pass  # the data lives as long as the instance, so a reconnect sees it again

    # -- events

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        if turn_due():  # a turn only when another caller could take it (see _turns)
            await asyncio.sleep(0)
        log = self._s.events.setdefault(run_id, [])
        ids = self._s.event_ids.setdefault(run_id, set())
        if len(log) != expected_version:
            raise ConflictError(f"run {run_id!r} is at version {len(log)}, not {expected_version}")
        for e in events:
            if e.id in ids:
                raise ConflictError(f"event id {e.id!r} is already in run {run_id!r}")
        for e in events:
            log.append((e.id, e.type, e.data, e.timestamp))
            ids.add(e.id)
        return len(log)

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        await asyncio.sleep(0)
        log = self._s.events.get(run_id, ())
        if types is None:  # the replay path: a slice, one parse, one builder loop
            chunk = log[after:] if limit is None else log[after : after + limit]
            texts = [row[2] for row in chunk]
            # A log is append-only and its texts never change, so once a read has found its
            # first n texts plain (decode_checked), later reads of them skip the digit scan.
            end = after + len(chunk)
            plain = self._s.plain.get(run_id, 0)
            if end <= plain:
                datas = decode_plain(texts)
            else:
                datas, clean = decode_checked(texts)
                if clean and after <= plain:
                    self._s.plain[run_id] = end
            return [
                event(run_id, seq, eid, etype, data, ts)
                for seq, (eid, etype, _, ts), data in zip(
                    range(after + 1, end + 1), chunk, datas, strict=True
                )
            ]
        rows: list[tuple[int, str, str, str, datetime]] = []
        for seq, (eid, etype, data, ts) in enumerate(log[after:], after + 1):
            if etype not in types:
                continue
            rows.append((seq, eid, etype, data, ts))
            if limit is not None and len(rows) >= limit:
                break
        # One parse for all the data, and events built by the shared fast builder.
        return events_from_rows(run_id, rows)

    async def _version(self, run_id: str) -> int:
        await asyncio.sleep(0)
        return len(self._s.events.get(run_id, ()))

    # -- runs

    def _run(self, run_id: str) -> WorkflowRun | None:
        text = self._s.runs.get(run_id)
        return None if text is None else from_record(WorkflowRun, loads(text))

    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        await asyncio.sleep(0)
        run = new.run
        key = run.idempotency_key
        if key is not None and key in self._s.idempotency:
            existing = self._run(self._s.idempotency[key])
            assert existing is not None
            return existing, False
        if run.id in self._s.runs:
            raise ConflictError(f"run {run.id!r} exists already")
        self._s.runs[run.id] = run_record_json(new)  # the JSON fields as validation encoded them
        if key is not None:
            self._s.idempotency[key] = run.id
        return self._run(run.id) or run, True

    async def _get_run(self, run_id: str) -> WorkflowRun | None:
        await asyncio.sleep(0)
        return self._run(run_id)

    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        await asyncio.sleep(0)
        current = self._run(run_id)
        if current is None:
            raise NotFound(f"run {run_id!r} does not exist")
        if expected_status is not None and current.status != expected_status:
            return False
        data = record(current)
        data.update(record_changes(WorkflowRun, changes))
        self._s.runs[run_id] = dumps(data)
        return True

    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        await asyncio.sleep(0)
        runs = [r for r in map(self._run, self._s.runs) if r is not None and _matches(r, flt)]
        runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        if after is not None:
            runs = [r for r in runs if (r.created_at, r.id) < after]
        return runs[:limit]

    # -- tasks

    async def _enqueue(self, task: Task) -> bool:
        await asyncio.sleep(0)
        if task.id in self._s.tasks:
            return False
        self._s.tasks[task.id] = _TaskRow(_enc(task))
        return True

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        await asyncio.sleep(0)
        due: list[tuple[datetime, str, Task]] = []
        for task_id, row in self._s.tasks.items():
            task = from_record(Task, loads(row.task))
            if task.due_at <= now and (row.expires_at is None or row.expires_at <= now):
                due.append((task.due_at, task_id, task))
        due.sort(key=lambda item: (item[0], item[1]))
        leases = []
        for _, task_id, task in due[:limit]:
            claimed = replace(task, attempts=task.attempts + 1)
            token = new_id()
            self._s.tasks[task_id] = _TaskRow(_enc(claimed), worker, token, expires_at)
            leases.append(Lease(task=claimed, worker=worker, token=token, expires_at=expires_at))
        return leases

    def _held(self, task_id: str, token: str) -> _TaskRow | None:
        row = self._s.tasks.get(task_id)
        return row if row is not None and row.token == token else None

    async def _complete(self, task_id: str, token: str) -> bool:
        await asyncio.sleep(0)
        if self._held(task_id, token) is None:
            return False
        del self._s.tasks[task_id]
        return True

    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool:
        await asyncio.sleep(0)
        row = self._held(task_id, token)
        if row is None:
            return False
        row.expires_at = expires_at
        return True

    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool:
        await asyncio.sleep(0)
        row = self._held(task_id, token)
        if row is None:
            return False
        task = from_record(Task, loads(row.task))
        self._s.tasks[task_id] = _TaskRow(_enc(replace(task, due_at=due_at)))
        return True

    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        await asyncio.sleep(0)
        found = []
        for row in self._s.tasks.values():
            task = from_record(Task, loads(row.task))
            info = TaskInfo.at(task, row.worker, row.expires_at, now)
            if run_id is not None and task.run_id != run_id:
                continue
            if state is not None and info.state is not state:
                continue
            if after is not None and (task.due_at, task.id) <= after:
                continue
            found.append(info)
        found.sort(key=lambda i: (i.task.due_at, i.task.id))
        return found[:limit]

    # -- hooks

    async def _create_hook(self, hook: Hook) -> None:
        await asyncio.sleep(0)
        if hook.token in self._s.hooks:
            raise ConflictError("a hook with this token exists already")
        self._s.hooks[hook.token] = _enc(hook)

    async def _get_hook(self, token: str) -> Hook | None:
        await asyncio.sleep(0)
        text = self._s.hooks.get(token)
        return None if text is None else from_record(Hook, loads(text))

    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        await asyncio.sleep(0)
        text = self._s.hooks.get(token)
        if text is None:
            return None
        hook = from_record(Hook, loads(text))
        if hook.status is not HookStatus.PENDING or (
            hook.expires_at is not None and hook.expires_at <= now
        ):
            return False
        data = loads(text)
        data.update(
            record_changes(
                Hook, {"status": HookStatus.RECEIVED, "payload": payload, "received_at": now}
            )
        )
        self._s.hooks[token] = dumps(data)
        return True

    # -- schedules

    async def _create_schedule(self, schedule: Schedule) -> None:
        await asyncio.sleep(0)
        if schedule.id in self._s.schedules:
            raise ConflictError(f"schedule {schedule.id!r} exists already")
        self._s.schedules[schedule.id] = _enc(schedule)

    async def _get_schedule(self, schedule_id: str) -> Schedule | None:
        await asyncio.sleep(0)
        text = self._s.schedules.get(schedule_id)
        return None if text is None else from_record(Schedule, loads(text))

    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        await asyncio.sleep(0)
        text = self._s.schedules.get(schedule_id)
        if text is None:
            raise NotFound(f"schedule {schedule_id!r} does not exist")
        data = loads(text)
        if expected_revision is not None and data["revision"] != expected_revision:
            return False
        data.update(record_changes(Schedule, changes))
        data["revision"] += 1
        self._s.schedules[schedule_id] = dumps(data)
        return True

    async def _delete_schedule(self, schedule_id: str) -> bool:
        await asyncio.sleep(0)
        return self._s.schedules.pop(schedule_id, None) is not None

    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        await asyncio.sleep(0)
        items = [from_record(Schedule, loads(t)) for t in self._s.schedules.values()]
        items = [
            s
            for s in items
            if (status is None or s.status == status) and (after_id is None or s.id > after_id)
        ]
        return sorted(items, key=lambda s: s.id)[:limit]

    # -- retention

    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        await asyncio.sleep(0)
        doomed = [
            r
            for r in map(self._run, list(self._s.runs))
            if r is not None
            and r.status in statuses
            and r.completed_at is not None
            and r.completed_at < older_than
        ]
        for run in doomed:
            del self._s.runs[run.id]
            if run.idempotency_key is not None:
                self._s.idempotency.pop(run.idempotency_key, None)
            self._s.events.pop(run.id, None)
            self._s.event_ids.pop(run.id, None)
            self._s.plain.pop(run.id, None)
            for task_id, row in list(self._s.tasks.items()):
                if loads(row.task)["run_id"] == run.id:
                    del self._s.tasks[task_id]
            for token, text in list(self._s.hooks.items()):
                if loads(text)["run_id"] == run.id:
                    del self._s.hooks[token]
        return len(doomed)


def _matches(run: WorkflowRun, flt: RunFilter) -> bool:
    return (
        (flt.workflow_name is None or run.workflow_name == flt.workflow_name)
        and (flt.statuses is None or run.status in flt.statuses)
        and (flt.created_after is None or run.created_at >= flt.created_after)
        and (flt.created_before is None or run.created_at < flt.created_before)
        and (flt.parent_id is None or run.parent_id == flt.parent_id)
    )
