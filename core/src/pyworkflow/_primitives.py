"""The primitives a storage backend implements: the second half of the contract.

:class:`~pyworkflow.storage.StorageBackend`'s public methods validate and normalize their
arguments (UTC datetimes, checked ids, event data encoded to JSON text), then call these. Each
primitive must behave exactly as the public method of the same name documents; the
conformance suite checks that it does. Driver exceptions may escape a primitive: the public
method translates them through ``_translate_error``.
"""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from ._encoded import EncodedRun
from ._validate import EncodedEvent
from .models import (
    JSON,
    Event,
    Hook,
    Lease,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    Task,
    WorkflowRun,
)
from .task_views import TaskInfo, TaskState
from .urls import Options

__all__ = ["BackendPrimitives"]


class BackendPrimitives(abc.ABC):
    """What a backend implements (inputs already valid; see the module docstring)."""

    def _configure(self, options: Options) -> None:  # noqa: B027 - optional hook
        """Take this backend's options (``options.take_*``); unknown ones are then refused."""

    @abc.abstractmethod
    async def _connect(self) -> None: ...

    @abc.abstractmethod
    async def _close(self) -> None: ...

    @abc.abstractmethod
    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        """Insert atomically iff the log's version == expected_version, else ConflictError."""

    @abc.abstractmethod
    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]: ...

    @abc.abstractmethod
    async def _version(self, run_id: str) -> int: ...

    @abc.abstractmethod
    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        """Store ``new.run`` unless its id or idempotency key exists (see ``create_run``).

        ``new.run`` is validated and normalized; ``new.input``, ``new.result``, ``new.error``,
        ``new.context`` and ``new.metadata`` are the compact JSON text of those fields, exactly
        what ``codec.dumps`` writes: store these strings rather than encoding the values
        again (:func:`pyworkflow._encoded.run_record_json` builds a whole record's text).
        Return ``(new.run, True)`` on creation, ``(existing_run, False)`` for a used key.
        """

    @abc.abstractmethod
    async def _get_run(self, run_id: str) -> WorkflowRun | None: ...

    @abc.abstractmethod
    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool: ...

    @abc.abstractmethod
    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        """Up to ``limit`` runs, (created_at, id) descending, strictly after ``after``."""

    @abc.abstractmethod
    async def _enqueue(self, task: Task) -> bool: ...

    @abc.abstractmethod
    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]: ...

    @abc.abstractmethod
    async def _complete(self, task_id: str, token: str) -> bool: ...

    @abc.abstractmethod
    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool: ...

    @abc.abstractmethod
    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool: ...

    @abc.abstractmethod
    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        """Up to ``limit`` tasks (of ``run_id``, in ``state`` at ``now``, when given),
        ``(due_at, id)`` ascending, strictly after ``after``; states from ``TaskInfo.at``."""

    @abc.abstractmethod
    async def _create_hook(self, hook: Hook) -> None: ...

    @abc.abstractmethod
    async def _get_hook(self, token: str) -> Hook | None: ...

    @abc.abstractmethod
    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        """True if resolved now, False if not pending/expired, None if no such token."""

    @abc.abstractmethod
    async def _create_schedule(self, schedule: Schedule) -> None: ...

    @abc.abstractmethod
    async def _get_schedule(self, schedule_id: str) -> Schedule | None: ...

    @abc.abstractmethod
    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool: ...

    @abc.abstractmethod
    async def _delete_schedule(self, schedule_id: str) -> bool: ...

    @abc.abstractmethod
    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]: ...

    @abc.abstractmethod
    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int: ...
