"""Engine area: each schedule overlap policy on this backend, on a simulated clock, and the
schedule's successful/failed run counters (each run's end counted once).

A firing while an earlier run of the same schedule still goes: ``skip`` starts nothing,
``allow_all`` starts every firing, ``buffer_one``/``buffer_all`` remember one/all firings and
start them one at a time once the running run ended, ``cancel_other``/``terminate_other``
cancel the running run and start the new one.

Runs stay pending until a test executes them (the simulated worker only fires schedule
tasks), so "still running" is under the test's control, and no real time passes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pyworkflow import step, workflow
from pyworkflow.engine.runtime import Engine
from pyworkflow.engine.schedules import SCHEDULE, create_schedule_row, fire
from pyworkflow.models import RunFilter, RunStatus, WorkflowRun
from pyworkflow.storage import StorageBackend

from pyworkflow_conformance.contracts.engine import ConfiguredEngine
from pyworkflow_conformance.helpers import aio

__all__ = ["EngineOverlapContract"]

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)
_NAME = "conformance_sched_overlap"


@step(name="conformance_sched_overlap_touch")
async def co_touch() -> None:
    return None


@workflow(name=_NAME)
async def co_noop() -> str:
    # one checkpoint: a cancelled run is cancelled there
    await co_touch()
    return "done"


def _at(hours: int, seconds: int = 0) -> datetime:
    return T0 + timedelta(hours=hours, seconds=seconds)


async def _fire_due(storage: StorageBackend, now: datetime) -> None:
    """Fire every due schedule task at ``now``; give run tasks back, out of the simulated
    clock's reach (tests execute runs directly), so later passes do not claim them again:
    fewer storage calls keep the contract short on the slower backends."""
    while True:
        fired = 0
        for lease in await storage.claim("w", lease=60, limit=50, now=now):
            if lease.task.kind == SCHEDULE:
                await fire(storage, lease.task, now=now)
                await storage.complete(lease)
                fired += 1
            else:
                await storage.release(lease, due_at=now + timedelta(days=30))
        if not fired:
            return


async def _runs(storage: StorageBackend) -> list[WorkflowRun]:
    page = await storage.list_runs(RunFilter(workflow_name=_NAME), limit=100)
    return sorted(page.items, key=lambda r: (r.created_at, r.id))


async def _finish(storage: StorageBackend, run_id: str) -> WorkflowRun:
    await Engine(storage, inline=False).execute(run_id)
    run = await storage.get_run(run_id)
    assert run is not None
    return run


async def _make(storage: StorageBackend, overlap: str) -> None:
    await create_schedule_row(
        storage, co_noop, (), {}, cron="0 * * * *", schedule_id="o", overlap=overlap, now=T0
    )


async def _stats(storage: StorageBackend) -> dict[str, object]:
    row = await storage.get_schedule("o")
    assert row is not None
    return dict(row.stats)


class EngineOverlapContract(ConfiguredEngine):
    """Schedule overlap policies on this backend."""

    area = "engine"

    @aio
    async def test_overlap_skip_starts_nothing_while_a_run_goes(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        await _make(backend, "skip")
        await _fire_due(backend, _at(1))
        await _fire_due(backend, _at(2))
        runs = await _runs(backend)
        assert len(runs) == 1
        assert (await _stats(backend))["overlap_skipped"] == 1
        assert (await _finish(backend, runs[0].id)).status is RunStatus.COMPLETED
        await _fire_due(backend, _at(3))
        assert len(await _runs(backend)) == 2

    @aio
    async def test_overlap_allow_all_starts_every_firing(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        await _make(backend, "allow_all")
        for n in (1, 2, 3):
            await _fire_due(backend, _at(n))
        runs = await _runs(backend)
        assert len(runs) == 3
        assert all(r.status is RunStatus.PENDING for r in runs)

    @pytest.mark.parametrize(
        ("policy", "buffered", "skipped"), [("buffer_one", 1, 1), ("buffer_all", 2, 0)]
    )
    @aio
    async def test_overlap_buffered_firings_start_one_by_one_after_the_run_ends(
        self, engine: Engine, backend: StorageBackend, policy: str, buffered: int, skipped: int
    ) -> None:
        await _make(backend, policy)
        for n in (1, 2, 3):
            await _fire_due(backend, _at(n))
        stats = await _stats(backend)
        assert stats["buffered"] == buffered
        assert stats.get("overlap_skipped", 0) == skipped
        await _fire_due(backend, _at(3, 5))  # the first run still goes: nothing is released
        runs = await _runs(backend)
        assert len(runs) == 1
        for i in range(buffered):
            await _finish(backend, runs[-1].id)
            await _fire_due(backend, _at(3, 10 + 5 * i))
            runs = await _runs(backend)
            assert len(runs) == 2 + i
            await _fire_due(backend, _at(3, 12 + 5 * i))  # the released run goes: no more
            assert len(await _runs(backend)) == 2 + i
        assert (await _stats(backend))["buffered"] == 0

    @pytest.mark.parametrize("policy", ["cancel_other", "terminate_other"])
    @aio
    async def test_overlap_cancel_and_terminate_other_end_the_running_run(
        self, engine: Engine, backend: StorageBackend, policy: str
    ) -> None:
        await _make(backend, policy)
        await _fire_due(backend, _at(1))
        await _fire_due(backend, _at(2))
        first, second = await _runs(backend)
        assert (await _finish(backend, first.id)).status is RunStatus.CANCELLED
        assert (await _finish(backend, second.id)).status is RunStatus.COMPLETED

    @aio
    async def test_run_outcomes_are_counted_once_each(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        await _make(backend, "allow_all")
        for n in (1, 2, 3):
            await _fire_due(backend, _at(n))
        first, second, third = await _runs(backend)
        assert (await _finish(backend, first.id)).status is RunStatus.COMPLETED
        await Engine(backend, inline=False).cancel(second.id, reason="test")
        assert (await _finish(backend, second.id)).status is RunStatus.CANCELLED
        # two workers race to execute the third run, then its end is re-driven (a crash
        # after the count): still counted once
        e1, e2 = Engine(backend, inline=False), Engine(backend, inline=False)
        await asyncio.gather(e1.execute(third.id), e2.execute(third.id))
        ended = await backend.get_run(third.id)
        assert ended is not None
        assert ended.status is RunStatus.COMPLETED
        await e1.finalize(ended, "workflow.completed", {"result": None})
        await e2.execute(third.id)
        row = await backend.get_schedule("o")
        assert row is not None
        assert (row.successful_runs, row.failed_runs, row.total_runs) == (2, 1, 3)
