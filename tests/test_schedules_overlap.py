"""Overlap policies on a simulated clock: what a firing does while an earlier run still goes.

Runs stay pending until the test executes them (the simulated worker below only fires
schedule tasks), so "still running" is under the test's control.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from pyworkflow import step, workflow
from pyworkflow.engine import configured
from pyworkflow.engine.runtime import Engine
from pyworkflow.engine.schedules import SCHEDULE, create_schedule_row, fire
from pyworkflow.errors import InvalidInput
from pyworkflow.models import RunFilter, RunStatus, WorkflowRun
from pyworkflow.storage import StorageBackend

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)


@step(name="sched_overlap_touch")
async def touch() -> None:
    return None


@workflow(name="sched_overlap_noop")
async def noop() -> str:
    # one checkpoint: a cancelled run is cancelled there (a workflow without any
    # checkpoint simply completes, see docs/engine.md "Cancellation")
    await touch()
    return "done"


@pytest_asyncio.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBackend]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/s.db"
    s = StorageBackend.from_url(url)
    await s.connect()
    try:
        with configured(s):
            yield s
    finally:
        await s.close()


async def _fire_due(storage: StorageBackend, now: datetime) -> None:
    """Fire every due schedule task at ``now``; leave run tasks for :func:`_finish`."""
    while True:
        fired = 0
        for lease in await storage.claim("w", lease=60, limit=50, now=now):
            if lease.task.kind == SCHEDULE:
                await fire(storage, lease.task, now=now)
                await storage.complete(lease)
                fired += 1
            else:  # a run's task: give it back untouched
                await storage.release(lease, due_at=now)
        if not fired:
            return


async def _runs(storage: StorageBackend) -> list[WorkflowRun]:
    page = await storage.list_runs(RunFilter(workflow_name="sched_overlap_noop"), limit=100)
    return sorted(page.items, key=lambda r: r.created_at)


async def _finish(storage: StorageBackend, run_id: str) -> WorkflowRun:
    await Engine(storage, inline=False).execute(run_id)
    run = await storage.get_run(run_id)
    assert run is not None
    return run


def hour(n: int, seconds: int = 0) -> datetime:
    return T0 + timedelta(hours=n, seconds=seconds)


async def _make(storage: StorageBackend, overlap: str) -> None:
    await create_schedule_row(
        storage, noop, (), {}, cron="0 * * * *", schedule_id="o", overlap=overlap, now=T0
    )


async def _stats(storage: StorageBackend) -> dict[str, object]:
    row = await storage.get_schedule("o")
    assert row is not None
    return dict(row.stats)


async def test_skip_starts_nothing_while_a_run_goes(store: StorageBackend) -> None:
    await _make(store, "skip")
    await _fire_due(store, hour(1))
    await _fire_due(store, hour(2))
    runs = await _runs(store)
    assert len(runs) == 1
    assert (await _stats(store))["overlap_skipped"] == 1
    assert (await _finish(store, runs[0].id)).status is RunStatus.COMPLETED
    await _fire_due(store, hour(3))
    assert len(await _runs(store)) == 2


async def test_allow_all_starts_every_firing(store: StorageBackend) -> None:
    await _make(store, "allow_all")
    for n in (1, 2, 3):
        await _fire_due(store, hour(n))
    assert len(await _runs(store)) == 3


@pytest.mark.parametrize(
    ("policy", "buffered", "skipped"), [("buffer_one", 1, 1), ("buffer_all", 2, 0)]
)
async def test_buffered_firings_start_after_the_run_ends(
    store: StorageBackend, policy: str, buffered: int, skipped: int
) -> None:
    await _make(store, policy)
    for n in (1, 2, 3):
        await _fire_due(store, hour(n))
    stats = await _stats(store)
    assert stats["buffered"] == buffered
    assert stats.get("overlap_skipped", 0) == skipped
    await _fire_due(store, hour(3, 5))  # the first run still goes: nothing is released
    runs = await _runs(store)
    assert len(runs) == 1
    for i in range(buffered):
        await _finish(store, runs[-1].id)
        await _fire_due(store, hour(3, 10 + 5 * i))
        runs = await _runs(store)
        assert len(runs) == 2 + i
        await _fire_due(store, hour(3, 12 + 5 * i))  # the released run goes: no second release
        assert len(await _runs(store)) == 2 + i
    assert (await _stats(store))["buffered"] == 0


@pytest.mark.parametrize("policy", ["cancel_other", "terminate_other"])
async def test_cancel_and_terminate_other_end_the_running_run(
    store: StorageBackend, policy: str
) -> None:
    await _make(store, policy)
    await _fire_due(store, hour(1))
    await _fire_due(store, hour(2))
    first, second = await _runs(store)
    assert (await _finish(store, first.id)).status is RunStatus.CANCELLED
    assert (await _finish(store, second.id)).status is RunStatus.COMPLETED


async def test_an_unknown_policy_is_a_typed_error(store: StorageBackend) -> None:
    with pytest.raises(InvalidInput):
        await _make(store, "sometimes")
    assert await store.get_schedule("o") is None
