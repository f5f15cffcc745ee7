"""``FilesBackend``: pyworkflow's store in a local directory (``file:///path/to/dir``).

Layout (see README.md)::

    FORMAT                     "pyworkflow-files 1": refuses a store of another format
    events/<run>/log, idx      one append-only event log per run (see ._eventlog)
    runs.log, runs.lock        journaled tables (see ._table)
    tasks.log, tasks.lock
    hooks.log, hooks.lock
    schedules.log, schedules.lock
    trash/                     event logs being deleted by retention

All file I/O and every lock acquisition runs in this backend's thread pool, never on the
event loop.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from pyworkflow._encoded import EncodedRun, run_record_json
from pyworkflow._ids import new_id
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import from_record, loads, record, record_changes, to_micros
from pyworkflow.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInput,
    NotFound,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)
from pyworkflow.features import Features
from pyworkflow.models import (
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
from pyworkflow.storage import StorageBackend
from pyworkflow.urls import Options

from ._disk import Durability, atomic_write, fsync_dir
from ._eventlog import RunLog, RunLogs
from ._indexes import HookIndex, RunIndex, ScheduleIndex, TaskIndex
from ._pool import Pool
from ._table import Table
from ._task_list import TaskListing

__all__ = ["FORMAT", "FilesBackend"]

FORMAT = "pyworkflow-files 1\n"
T = TypeVar("T")
#: No retry fixes these: permissions, a read-only file system, a file where a folder goes.
_CONFIGURATION = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR}
_TRANSIENT = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EIO,
    errno.EAGAIN,
    errno.EINTR,
    errno.EMFILE,
    errno.ENFILE,
    errno.ENOLCK,
}


class FilesBackend(TaskListing, StorageBackend):
    """Append-only files on a local disk, shared safely by the processes of one host.

    Options: ``durability`` = ``fsync`` (default: fdatasync before acknowledging), ``flush``
    (survives a crash of the process, not of the machine) or ``none``; ``max_open_runs``
    (default 256) bounds the event logs kept open; ``lock_timeout`` (seconds, default 5)
    bounds the wait for a lock another process holds, then ``StorageUnavailable``.
    """

    schemes = ("file",)
    features = Features(durable=True, multi_process=True, multi_host=False)

    def _configure(self, options: Options) -> None:
        if self.url.username is not None or self.url.password is not None:
            raise InvalidInput("a file URL takes no credentials: file:///abs/path")
        if self.url.hosts and self.url.hosts != (("localhost", None),):
            raise InvalidInput(
                f"{self.url.render()}: a file URL names a local directory: file:///abs/path"
            )
        if not self.url.path or self.url.path == "/":
            raise InvalidInput(f"{self.url.render()}: the URL names no directory")
        self.root = self.url.path
        self.durability = options.take_choice("durability", list(Durability), Durability.FSYNC)
        self.max_open_runs = options.take_int("max_open_runs", 256, minimum=1)
        self.lock_timeout = options.take_float("lock_timeout", 5.0, minimum=0.01)
        self.features = Features(
            durable=self.durability is Durability.FSYNC, multi_process=True, multi_host=False
        )

    # -- plumbing ----------------------------------------------------------------------------

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._pool.run(fn, *args)

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        text = self._redact(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, OSError) and exc.errno in _TRANSIENT:
            return StorageUnavailable(text)
        if isinstance(exc, OSError) and exc.errno in _CONFIGURATION:
            return ConfigurationError(f"cannot use the directory {self.root}: {text}")
        if isinstance(exc, ValueError | KeyError | TypeError | IndexError):
            return SchemaError(f"unreadable data in {self.root}: {text}")
        return StorageError(text)

    async def _connect(self) -> None:
        self._pool = Pool(8, "pyworkflow-files")
        events, wait = os.path.join(self.root, "events"), self.lock_timeout
        self._logs = RunLogs(events, self.durability, self.max_open_runs, wait)
        self.runs = Table(self.root, "runs", self.durability, RunIndex(), wait)
        self.tasks = Table(self.root, "tasks", self.durability, TaskIndex(), wait)
        self.hooks = Table(self.root, "hooks", self.durability, HookIndex(), wait)
        self.schedules = Table(self.root, "schedules", self.durability, ScheduleIndex(), wait)
        try:
            await self._io(self._open_store)
        except BaseException:
            self._pool.shutdown()
            raise

    def _open_store(self) -> None:
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise ConfigurationError(f"{self.root} exists and is not a directory")
        for sub in ("events", "trash"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        if self.durability is Durability.FSYNC:
            # The directories may have just been created: make their entries durable once.
            fsync_dir(self.root)
            fsync_dir(os.path.dirname(self.root.rstrip("/")) or "/")
        marker = os.path.join(self.root, "FORMAT")
        try:
            with open(marker, encoding="utf-8") as f:
                found = f.read()
        except FileNotFoundError:
            atomic_write(marker, FORMAT.encode(), self.durability is not Durability.NONE)
            found = FORMAT
        if found != FORMAT:
            raise SchemaError(
                f"{marker} says {found.strip()!r}; this code reads {FORMAT.strip()!r}"
            )
        for table in (self.runs, self.tasks, self.hooks, self.schedules):
            table.open()
        self._finish_deletions(self._pending_deletions())

    async def _close(self) -> None:
        try:
            await self._io(self._close_files)
        finally:
            self._pool.shutdown()

    def _close_files(self) -> None:
        self._logs.close()
        for table in (self.runs, self.tasks, self.hooks, self.schedules):
            with table.mutex:
                table.close()

    # -- event logs --------------------------------------------------------------------------

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        return await self._io(
            self._logs.use, run_id, True, True, lambda log: log.append(events, expected_version), 0
        )

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        def read(log: RunLog) -> list[Event]:
            return log.read(after, limit, types)

        empty: list[Event] = []
        return await self._io(self._logs.use, run_id, False, False, read, empty)

    async def _version(self, run_id: str) -> int:
        return await self._io(self._logs.use, run_id, False, False, RunLog.version, 0)

    # -- runs --------------------------------------------------------------------------------

    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        return await self._io(self._create_run_sync, new)

    def _create_run_sync(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        run = new.run
        with self.runs.locked(True) as t:
            index: RunIndex = t.index  # type: ignore[assignment]
            key = run.idempotency_key
            if key is not None and key in index.keys:
                existing = t.get(index.keys[key])
                assert existing is not None
                return from_record(WorkflowRun, existing), False
            if run.id in t.rows:
                raise ConflictError(f"run {run.id!r} exists already")
            # The frame is the text validation produced, written as is. Decoded once, it is
            # both the record the table's index reads and the run returned: exactly what a
            # read of the row gives, with no second walk of the run (record) or of the
            # written bytes.
            text = run_record_json(new)
            stored = loads(text)
            t.put([(run.id, stored)], [text])
            return from_record(WorkflowRun, stored), True

    async def _get_run(self, run_id: str) -> WorkflowRun | None:
        return await self._io(self._get_run_sync, run_id)

    def _get_run_sync(self, run_id: str) -> WorkflowRun | None:
        with self.runs.locked(False) as t:
            data = t.get(run_id)
        if data is None or data.get("_deleting"):
            return None
        return from_record(WorkflowRun, data)

    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        return await self._io(self._update_run_sync, run_id, changes, expected_status)

    def _update_run_sync(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        with self.runs.locked(True) as t:
            data = t.get(run_id)
            if data is None or data.get("_deleting"):
                raise NotFound(f"run {run_id!r} does not exist")
            if expected_status is not None and data["status"] != expected_status.value:
                return False
            data.update(record_changes(WorkflowRun, changes))
            t.put([(run_id, data)])
            return True

    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        return await self._io(self._list_runs_sync, flt, limit, after)

    def _list_runs_sync(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        with self.runs.locked(False) as t:
            index: RunIndex = t.index  # type: ignore[assignment]
            ids = index.select(flt, limit, after)
            found = [t.get(run_id) for run_id in ids]
        return [from_record(WorkflowRun, data) for data in found if data is not None]

    # -- tasks -------------------------------------------------------------------------------

    async def _enqueue(self, task: Task) -> bool:
        return await self._io(self._enqueue_sync, task)

    def _enqueue_sync(self, task: Task) -> bool:
        with self.tasks.locked(True) as t:
            if task.id in t.rows:
                return False
            t.put([(task.id, {"task": record(task), "token": None, "expires_at": None})])
            return True

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        return await self._io(self._claim_sync, worker, now, expires_at, limit)

    def _claim_sync(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        with self.tasks.locked(True) as t:
            index: TaskIndex = t.index  # type: ignore[assignment]
            leases: list[Lease] = []
            changes: list[tuple[str, dict[str, Any] | None]] = []
            for task_id in index.due(to_micros(now), limit):
                data = t.get(task_id)
                assert data is not None
                task = from_record(Task, data["task"])
                claimed = replace(task, attempts=task.attempts + 1)
                token = new_id()
                changes.append(
                    (
                        task_id,
                        {
                            "task": record(claimed),
                            "worker": worker,
                            "token": token,
                            "expires_at": to_micros(expires_at),
                        },
                    )
                )
                leases.append(
                    Lease(task=claimed, worker=worker, token=token, expires_at=expires_at)
                )
            t.put(changes)
            return leases

    def _leased(
        self, task_id: str, token: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> bool:
        with self.tasks.locked(True) as t:
            data = t.get(task_id)
            if data is None or data.get("token") != token:
                return False
            t.put([(task_id, change(data))])
            return True

    async def _complete(self, task_id: str, token: str) -> bool:
        return await self._io(self._leased, task_id, token, lambda data: None)

    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool:
        def extend(data: dict[str, Any]) -> dict[str, Any]:
            return {**data, "expires_at": to_micros(expires_at)}

        return await self._io(self._leased, task_id, token, extend)

    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool:
        def release(data: dict[str, Any]) -> dict[str, Any]:
            task = {**data["task"], "due_at": to_micros(due_at)}
            return {"task": task, "token": None, "expires_at": None}

        return await self._io(self._leased, task_id, token, release)

    # -- hooks -------------------------------------------------------------------------------

    async def _create_hook(self, hook: Hook) -> None:
        await self._io(self._create_hook_sync, hook)

    def _create_hook_sync(self, hook: Hook) -> None:
        with self.hooks.locked(True) as t:
            if hook.token in t.rows:
                raise ConflictError("a hook with this token exists already")
            t.put([(hook.token, record(hook))])

    async def _get_hook(self, token: str) -> Hook | None:
        return await self._io(self._get_sync, self.hooks, Hook, token)

    def _get_sync(self, table: Table, cls: type[T], key: str) -> T | None:
        with table.locked(False) as t:
            data = t.get(key)
        return None if data is None else from_record(cls, data)

    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        return await self._io(self._resolve_hook_sync, token, payload, now)

    def _resolve_hook_sync(self, token: str, payload: JSON, now: datetime) -> bool | None:
        with self.hooks.locked(True) as t:
            data = t.get(token)
            if data is None:
                return None
            hook = from_record(Hook, data)
            if hook.status is not HookStatus.PENDING or (
                hook.expires_at is not None and hook.expires_at <= now
            ):
                return False
            data.update(
                record_changes(
                    Hook, {"status": HookStatus.RECEIVED, "payload": payload, "received_at": now}
                )
            )
            t.put([(token, data)])
            return True

    # -- schedules ---------------------------------------------------------------------------

    async def _create_schedule(self, schedule: Schedule) -> None:
        await self._io(self._create_schedule_sync, schedule)

    def _create_schedule_sync(self, schedule: Schedule) -> None:
        with self.schedules.locked(True) as t:
            if schedule.id in t.rows:
                raise ConflictError(f"schedule {schedule.id!r} exists already")
            t.put([(schedule.id, record(schedule))])

    async def _get_schedule(self, schedule_id: str) -> Schedule | None:
        return await self._io(self._get_sync, self.schedules, Schedule, schedule_id)

    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        return await self._io(self._update_schedule_sync, schedule_id, changes, expected_revision)

    def _update_schedule_sync(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        with self.schedules.locked(True) as t:
            data = t.get(schedule_id)
            if data is None:
                raise NotFound(f"schedule {schedule_id!r} does not exist")
            if expected_revision is not None and data["revision"] != expected_revision:
                return False
            data.update(record_changes(Schedule, changes))
            data["revision"] += 1
            t.put([(schedule_id, data)])
            return True

    async def _delete_schedule(self, schedule_id: str) -> bool:
        return await self._io(self._delete_schedule_sync, schedule_id)

    def _delete_schedule_sync(self, schedule_id: str) -> bool:
        with self.schedules.locked(True) as t:
            if schedule_id not in t.rows:
                return False
            t.put([(schedule_id, None)])
            return True

    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        return await self._io(self._list_schedules_sync, status, limit, after_id)

    def _list_schedules_sync(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        with self.schedules.locked(False) as t:
            index: ScheduleIndex = t.index  # type: ignore[assignment]
            found = [t.get(key) for key in index.select(status, limit, after_id)]
        return [from_record(Schedule, data) for data in found if data is not None]

    # -- retention ---------------------------------------------------------------------------

    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        return await self._io(self._delete_runs_sync, older_than, statuses)

    def _delete_runs_sync(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        with self.runs.locked(True) as t:
            index: RunIndex = t.index  # type: ignore[assignment]
            doomed = index.expired(to_micros(older_than), {s.value for s in statuses})
            marks: list[tuple[str, dict[str, Any] | None]] = []
            for run_id in doomed:
                data = t.get(run_id)
                assert data is not None
                marks.append((run_id, {**data, "_deleting": True}))
            # From this write on the runs are gone for readers; a crash before the end is
            # finished by the next connect() or delete_runs().
            t.put(marks)
        self._finish_deletions(self._pending_deletions())
        return len(doomed)

    def _pending_deletions(self) -> list[str]:
        with self.runs.locked(False) as t:
            index: RunIndex = t.index  # type: ignore[assignment]
            return sorted(index.deleting)

    def _finish_deletions(self, run_ids: list[str]) -> None:
        """Remove the events, tasks and hooks of runs marked for deletion, then the runs."""
        if not run_ids:
            return
        with self.runs.locked(True) as runs:
            index: RunIndex = runs.index  # type: ignore[assignment]
            run_ids = [r for r in run_ids if r in index.deleting]
            trash = os.path.join(self.root, "trash")
            for run_id in run_ids:
                self._logs.destroy(run_id, trash)
            for table in (self.tasks, self.hooks):
                with table.locked(True) as t:
                    owned: TaskIndex | HookIndex = t.index  # type: ignore[assignment]
                    t.put([(key, None) for key in owned.of_runs(run_ids)])
            runs.put([(run_id, None) for run_id in run_ids])
        for leftover in os.listdir(trash):  # logs a crash left behind mid-delete
            shutil.rmtree(os.path.join(trash, leftover), ignore_errors=True)
