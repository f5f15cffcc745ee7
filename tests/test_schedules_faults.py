"""A storage fault at each storage call of a schedule firing: the slot still fires exactly once
after the fault clears, and the fault never becomes a run's outcome.

For every call number k of a fault-free firing's trace and each kind (``fail``: raise
``StorageUnavailable`` before the call; ``lost``: make the call, then raise), the firing is
handled by a wrapper that injects the fault at its k-th call, then handled again with the
fault cleared, as a worker does once the lease of the firing's task expires. The slot's run
must exist once, pending (never failed), the schedule must have moved to its next slot with
its counters counted once, and the next slot's firing must be enqueued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import pytest_asyncio
from pyworkflow import workflow
from pyworkflow.engine.schedules import SCHEDULE, create_schedule_row, fire
from pyworkflow.errors import StorageUnavailable
from pyworkflow.models import RunFilter, RunStatus, Task
from pyworkflow.storage import StorageBackend

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)
SLOT = datetime(2026, 3, 1, 1, tzinfo=UTC)


@workflow(name="sched_fault_noop")
async def noop() -> str:
    return "done"


class _Faulty:
    """Forwards every call to ``inner``; at call number ``at`` raises (see the module doc)."""

    def __init__(self, inner: StorageBackend, at: int | None, kind: str) -> None:
        self.inner, self.at, self.kind, self.calls = inner, at, kind, 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self.at and self.kind == "fail":
                raise StorageUnavailable(f"injected before {name}")
            result = await target(*args, **kwargs)
            if self.calls == self.at:
                raise StorageUnavailable(f"injected after {name}")
            return result

        return call


@pytest_asyncio.fixture
async def store() -> AsyncIterator[StorageBackend]:
    s = StorageBackend.from_url("memory://")
    await s.connect()
    try:
        yield s
    finally:
        await s.close()


async def _due(storage: StorageBackend) -> Task:
    await create_schedule_row(
        storage, noop, (), {}, cron="0 * * * *", schedule_id="f", overlap="skip", now=T0
    )
    (lease,) = await storage.claim("w", lease=60, limit=1, now=SLOT)
    assert lease.task.kind == SCHEDULE
    return lease.task


async def _trace_length() -> int:
    s = StorageBackend.from_url("memory://")
    await s.connect()
    try:
        task = await _due(s)
        probe = _Faulty(s, None, "fail")
        await fire(cast(StorageBackend, probe), task, now=SLOT)
        return probe.calls
    finally:
        await s.close()


@pytest.mark.parametrize("kind", ["fail", "lost"])
async def test_a_fault_at_each_call_of_a_firing_changes_nothing(kind: str) -> None:
    calls = await _trace_length()
    assert calls >= 5  # get_schedule, list_runs, create_run, enqueue x2, update_schedule
    for k in range(1, calls + 1):
        s = StorageBackend.from_url("memory://")
        await s.connect()
        try:
            task = await _due(s)
            with pytest.raises(StorageUnavailable):
                await fire(cast(StorageBackend, _Faulty(s, k, kind)), task, now=SLOT)
            # the firing's lease expires; a worker claims the task again, fires, completes it
            later = SLOT + timedelta(seconds=61)
            again = [x for x in await s.claim("w2", lease=60, limit=10, now=later)]
            firings = [x for x in again if x.task.kind == SCHEDULE]
            assert [x.task.id for x in firings] == [task.id], k
            await fire(s, firings[0].task, now=later)
            await s.complete(firings[0])
            page = await s.list_runs(RunFilter(workflow_name="sched_fault_noop"), limit=10)
            assert [r.status for r in page.items] == [RunStatus.PENDING], (k, page.items)
            row = await s.get_schedule("f")
            assert row is not None
            assert row.next_run_at == SLOT + timedelta(hours=1), k
            assert (row.total_runs, row.skipped_runs) == (1, 0), (k, row.stats)
            nxt = await s.claim("w", lease=60, limit=10, now=SLOT + timedelta(hours=1))
            assert [t.task.id for t in nxt if t.task.kind == SCHEDULE] == [
                f"schedule:f:{int((SLOT + timedelta(hours=1)).timestamp() * 1_000_000)}"
            ], k
        finally:
            await s.close()
