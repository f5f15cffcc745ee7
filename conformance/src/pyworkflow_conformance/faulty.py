"""A backend wrapper that injects storage faults at an exact call of a workflow's life.

:class:`FaultyBackend` forwards every public call to a real, connected backend. Each call is
attributed to a :class:`Life` (one workflow run with its children and successors): a client
call by the :data:`CLIENT` context variable its caller set, a worker's call by the run it
names (runs, tasks, leases and hook tokens are mapped to their life as they appear). A life
numbers its calls 1, 2, 3... (its ``trace``) and, at the call its :class:`Fault` names:

- ``fail``: raises :class:`StorageUnavailable` without calling the store (nothing written);
- ``lost``: performs the call, then raises :class:`StorageUnavailable` (the acknowledgement
  of a write is lost);
- ``kill``: raises :class:`Killed`, a ``BaseException`` that no engine or workflow code
  catches, so the worker's execution stops right there with its lease held and its
  heartbeat gone, as a SIGKILL would leave it; another worker takes the task over when the
  lease expires. A client "killed" this way retries its action, as a restarted client would.
- ``sigkill``: the process really kills itself (SIGKILL) before making the call.

``claim`` is counted once per task it hands out (the wrapper claims one task at a time, so a
fault hits one life only); claims that find nothing, and ``extend`` (timed by the
heartbeat, not by the workflow), are not counted. A fault on a claim leaves the task leased
(``lost``, ``kill``: the worker never hears of it) or gives it back (``fail``).

Only for tests: real servers cannot fail at an exact call on demand.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pyworkflow import (
    ConflictError,
    Event,
    Hook,
    Lease,
    LeaseLost,
    NewEvent,
    Page,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    StorageBackend,
    StorageUnavailable,
    Task,
    WorkflowRun,
)
from pyworkflow.models import JSON
from pyworkflow.storage import EncodedEvent, EncodedRun
from pyworkflow.task_views import TaskInfo, TaskState

__all__ = ["CLIENT", "WRITES", "Fault", "FaultyBackend", "Killed", "Life"]

T = TypeVar("T")

#: The calls that write: a ``lost`` fault only differs from ``fail`` on these.
WRITES = frozenset(
    {
        "append",
        "create_run",
        "update_run",
        "enqueue",
        "claim",
        "complete",
        "release",
        "create_hook",
        "resolve_hook",
    }
)


class Killed(BaseException):
    """The process making this call died here (simulated)."""


@dataclass(slots=True)
class Fault:
    """Where and how to fail: the ``at``-th call of the life (1-based), or the ``nth`` call of
    ``method``; ``kind`` is ``fail``, ``lost`` or ``kill``."""

    kind: str
    at: int | None = None
    method: str | None = None
    nth: int = 1
    #: what the fault hit, once it fired: (call number, method, event types of an append)
    fired: tuple[int, str, tuple[str, ...]] | None = None


@dataclass(slots=True, eq=False)
class Life:
    """One workflow's life: its calls so far and its fault (if any)."""

    name: str
    fault: Fault | None = None
    trace: list[str] = field(default_factory=list)
    runs: set[str] = field(default_factory=set)
    #: executions that lost to another execution of the same run: an append of a step's result
    #: or failure refused by the guard, or a lease lost while working (the worker abandons the
    #: execution); either way that body's run was not recorded
    lost_races: int = 0

    def matches(self, method: str) -> bool:
        f = self.fault
        if f is None or f.fired is not None:
            return False
        if f.at is not None and f.at != len(self.trace):
            return False
        return f.method is None or (f.method == method and self.trace.count(method) == f.nth)


#: The life a client call belongs to (set by the code driving that workflow).
CLIENT: ContextVar[Life | None] = ContextVar("pyworkflow_faulty_client", default=None)


class FaultyBackend(StorageBackend):
    """``inner`` (connected; its owner closes it) with faults injected per :class:`Life`.

    ``default`` is the life of calls that cannot be attributed otherwise (a test of one
    workflow passes its life here and need not set :data:`CLIENT`).
    """

    def __init__(self, inner: StorageBackend, default: Life | None = None) -> None:
        # Not StorageBackend.__init__: there is no URL of our own to parse or open.
        self.inner = inner
        self.url = inner.url
        self._secrets = set()
        self.retries = inner.retries
        self.features = inner.features
        self._open = True
        self.default = default
        self._lives: dict[str, Life] = {}  # run id or hook token -> life

    def __repr__(self) -> str:
        return f"<FaultyBackend over {self.inner!r}>"

    async def _close(self) -> None:
        """The inner backend is its owner's to close."""

    # -- attribution and injection ------------------------------------------------------------

    def life_of(self, key: str | None) -> Life | None:
        client = CLIENT.get()
        if client is not None:
            return client
        found = self._lives.get(key) if key is not None else None
        return found if found is not None else self.default

    def adopt(self, key: str, life: Life | None, *, run: bool = True) -> None:
        if life is not None:
            self._lives.setdefault(key, life)
            if run:
                life.runs.add(key)

    async def _do(
        self,
        life: Life | None,
        method: str,
        call: Callable[[], Awaitable[T]],
        types: Iterable[str] = (),
    ) -> T:
        if life is None:
            return await call()
        life.trace.append(method)
        if not life.matches(method):
            return await call()
        fault = life.fault
        assert fault is not None
        fault.fired = (len(life.trace), method, tuple(types))
        where = f"{method} (call #{len(life.trace)} of {life.name})"
        if fault.kind == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault.kind == "kill":
            raise Killed(f"injected: killed at {where}")
        if fault.kind == "lost":
            await call()
            raise StorageUnavailable(f"injected: {where} done, acknowledgement lost")
        raise StorageUnavailable(f"injected: {where} failed before writing")

    # -- event log ---------------------------------------------------------------------------

    async def append(
        self, run_id: str, events: Sequence[NewEvent], *, expected_version: int
    ) -> int:
        life = self.life_of(run_id)
        for event in events:  # a hook's token is in the log before the hook exists
            token = event.data.get("token") if event.type == "hook.created" else None
            if isinstance(token, str):
                self.adopt(token, life, run=False)
        types = [e.type for e in events]
        try:
            return await self._do(
                life,
                "append",
                lambda: self.inner.append(run_id, events, expected_version=expected_version),
                types,
            )
        except ConflictError:
            if life is not None and {"step.completed", "step.failed"} & set(types):
                life.lost_races += 1
            raise

    async def read(
        self,
        run_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        types: Iterable[str] | None = None,
    ) -> list[Event]:
        return await self._do(
            self.life_of(run_id),
            "read",
            lambda: self.inner.read(run_id, after=after, limit=limit, types=types),
        )

    async def version(self, run_id: str) -> int:
        return await self._do(self.life_of(run_id), "version", lambda: self.inner.version(run_id))

    # -- runs --------------------------------------------------------------------------------

    async def create_run(self, run: WorkflowRun) -> tuple[WorkflowRun, bool]:
        parent = run.parent_id or run.continued_from
        life = self.life_of(parent)
        self.adopt(run.id, life)
        stored, created = await self._do(life, "create_run", lambda: self.inner.create_run(run))
        self.adopt(stored.id, life)
        return stored, created

    async def get_run(self, run_id: str) -> WorkflowRun | None:
        return await self._do(self.life_of(run_id), "get_run", lambda: self.inner.get_run(run_id))

    async def update_run(
        self,
        run_id: str,
        changes: Mapping[str, Any],
        *,
        expected_status: RunStatus | None = None,
    ) -> bool:
        return await self._do(
            self.life_of(run_id),
            "update_run",
            lambda: self.inner.update_run(run_id, changes, expected_status=expected_status),
        )

    async def list_runs(
        self, filter: RunFilter | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Page[WorkflowRun]:
        key = filter.parent_id if filter is not None else None
        return await self._do(
            self.life_of(key),
            "list_runs",
            lambda: self.inner.list_runs(filter, limit=limit, cursor=cursor),
        )

    # -- tasks -------------------------------------------------------------------------------

    async def enqueue(self, task: Task) -> bool:
        return await self._do(
            self.life_of(task.run_id), "enqueue", lambda: self.inner.enqueue(task)
        )

    async def claim(
        self,
        worker: str,
        *,
        lease: timedelta | float,
        limit: int = 1,
        now: datetime | None = None,
    ) -> list[Lease]:
        got: list[Lease] = []
        for _ in range(limit):
            found = await self.inner.claim(worker, lease=lease, limit=1, now=now)
            if not found:
                break
            (one,) = found
            life = self.life_of(one.task.run_id) if CLIENT.get() is None else None
            if life is None:
                got.append(one)
                continue
            life.trace.append("claim")
            if not life.matches("claim"):
                got.append(one)
                continue
            assert life.fault is not None
            life.fault.fired = (len(life.trace), "claim", ())
            if life.fault.kind == "sigkill":  # dies with the task leased
                os.kill(os.getpid(), signal.SIGKILL)
            if life.fault.kind == "fail":  # as if the claim never happened
                await self.inner.release(one, due_at=one.task.due_at)
            break  # lost / kill: leased, and nobody knows: it waits for the lease to expire
        return got

    async def complete(self, lease: Lease) -> None:
        await self._do(
            self.life_of(lease.task.run_id), "complete", lambda: self.inner.complete(lease)
        )

    async def extend(
        self, lease: Lease, by: timedelta | float, *, now: datetime | None = None
    ) -> Lease:
        try:
            return await self.inner.extend(lease, by, now=now)
        except LeaseLost:
            life = self._lives.get(lease.task.run_id)
            if life is not None:
                life.lost_races += 1
            raise

    async def release(self, lease: Lease, *, due_at: datetime | None = None) -> None:
        await self._do(
            self.life_of(lease.task.run_id),
            "release",
            lambda: self.inner.release(lease, due_at=due_at),
        )

    # -- hooks -------------------------------------------------------------------------------

    async def create_hook(self, hook: Hook) -> Hook:
        life = self.life_of(hook.run_id)
        self.adopt(hook.token, life, run=False)
        return await self._do(life, "create_hook", lambda: self.inner.create_hook(hook))

    async def get_hook(self, token: str) -> Hook | None:
        return await self._do(self.life_of(token), "get_hook", lambda: self.inner.get_hook(token))

    async def resolve_hook(self, token: str, payload: JSON) -> bool:
        return await self._do(
            self.life_of(token),
            "resolve_hook",
            lambda: self.inner.resolve_hook(token, payload),
        )

    # -- primitives: the base class's public methods not overridden above (schedules,
    # -- retention) reach the store through these, uncounted ----------------------------------

    async def _connect(self) -> None:
        await self.inner.connect()

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        return await self.inner._append(run_id, events, expected_version)

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        return await self.inner._read(run_id, after, limit, types)

    async def _version(self, run_id: str) -> int:
        return await self.inner._version(run_id)

    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        return await self.inner._create_run(new)

    async def _get_run(self, run_id: str) -> WorkflowRun | None:
        return await self.inner._get_run(run_id)

    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        return await self.inner._update_run(run_id, changes, expected_status)

    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        return await self.inner._list_runs(flt, limit, after)

    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        # A read nothing in the engine makes: passed through without faults.
        return await self.inner._list_tasks(run_id, state, now, limit, after)

    async def _enqueue(self, task: Task) -> bool:
        return await self.inner._enqueue(task)

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        return await self.inner._claim(worker, now, expires_at, limit)

    async def _complete(self, task_id: str, token: str) -> bool:
        return await self.inner._complete(task_id, token)

    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool:
        return await self.inner._extend(task_id, token, expires_at)

    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool:
        return await self.inner._release(task_id, token, due_at)

    async def _create_hook(self, hook: Hook) -> None:
        await self.inner._create_hook(hook)

    async def _get_hook(self, token: str) -> Hook | None:
        return await self.inner._get_hook(token)

    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        return await self.inner._resolve_hook(token, payload, now)

    async def _create_schedule(self, schedule: Schedule) -> None:
        await self.inner._create_schedule(schedule)

    async def _get_schedule(self, schedule_id: str) -> Schedule | None:
        return await self.inner._get_schedule(schedule_id)

    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        return await self.inner._update_schedule(schedule_id, changes, expected_revision)

    async def _delete_schedule(self, schedule_id: str) -> bool:
        return await self.inner._delete_schedule(schedule_id)

    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        return await self.inner._list_schedules(status, limit, after_id)

    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        return await self.inner._delete_runs(older_than, statuses)
