"""``copy_storage``: full histories copied with ids, types, data and timestamps; resumable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import pyworkflow
from pyworkflow import (
    NewEvent,
    RunFilter,
    RunStatus,
    Schedule,
    StorageBackend,
    Worker,
    pending_hooks,
    resume_hook,
    start,
    wait,
)
from pyworkflow.engine import configured
from pyworkflow.engine.copy import copy_storage
from pyworkflow.engine.runtime import Engine, read_all

from .cli_flows import add, approval, boom, loop


@pytest_asyncio.fixture
async def source() -> AsyncIterator[StorageBackend]:
    store = StorageBackend.from_url("memory://")
    await store.connect()
    with configured(store):
        for flow, args in ((add, (1, 2)), (boom, ()), (loop, (0,))):
            await wait(await start(flow, *args), timeout=30)
        await start(approval, "pending-item")
        await store.create_schedule(Schedule(id="nightly", workflow_name="cli_add", interval=60))
        yield store
    await store.close()


@pytest.fixture(params=["file", "sqlite"])
def dst_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    pytest.importorskip(f"pyworkflow_{'files' if request.param == 'file' else 'sqlite'}")
    return f"file://{tmp_path}/store" if request.param == "file" else f"sqlite:///{tmp_path}/c.db"


async def test_copy_is_exact_and_resumable(source: StorageBackend, dst_url: str) -> None:
    runs = (await source.list_runs()).items
    assert len(runs) >= 5  # add, boom, loop chain members, approval
    # an interrupted earlier copy: one run's row and the first two events of its log
    victim = next(r for r in runs if r.workflow_name == "cli_add")
    prefix = await source.read(victim.id, limit=2)
    async with StorageBackend.from_url(dst_url) as dst:
        await dst.create_run(victim)
        await dst.append(
            victim.id,
            [NewEvent(type=e.type, data=e.data, id=e.id, timestamp=e.timestamp) for e in prefix],
            expected_version=0,
        )
        report = await copy_storage(source, dst)
        assert report.errors == []
        assert report.runs == len(runs)
        assert report.copied == len(runs)
        assert report.schedules == 1
        assert report.hooks == 1
        total = sum([len(await read_all(source, r.id)) for r in runs])
        assert report.events == total - 2
        for run in runs:
            assert await read_all(dst, run.id) == await read_all(source, run.id)
            assert await dst.get_run(run.id) == run
        again = await copy_storage(source, dst)
        assert (again.skipped, again.copied, again.events) == (len(runs), 0, 0)
        schedule = await dst.get_schedule("nightly")
        assert schedule is not None
        assert schedule.interval == 60

        # the copied store carries on: the waiting run's hook is delivered there
        with configured(dst):
            waiting = next(r for r in runs if r.workflow_name == "cli_approval")
            [hook] = await pending_hooks(waiting.id)
            await resume_hook(hook.token, "approved")
            done = await wait(waiting.id, timeout=30)
        assert done.status is RunStatus.COMPLETED
        assert done.result == "pending-item: approved"


async def test_a_destination_log_longer_than_the_source_is_reported(
    source: StorageBackend, dst_url: str
) -> None:
    run = (await source.list_runs(limit=1)).items[0]
    async with StorageBackend.from_url(dst_url) as dst:
        await dst.create_run(run)
        extra = [NewEvent(type="x") for _ in range(await source.version(run.id) + 1)]
        await dst.append(run.id, extra, expected_version=0)
        report = await copy_storage(source, dst)
    assert len(report.errors) == 1
    assert run.id in report.errors[0]


async def test_copied_schedules_and_unfinished_runs_go_on_in_the_destination(
    dst_url: str,
) -> None:
    """Issue 13 item 5: the copy recreates the tasks that move things forward (a schedule's
    next firing, an unfinished run's resumption), which the contract cannot list."""
    async with StorageBackend.from_url("memory://") as src:
        with configured(src, inline=False):
            await pyworkflow.schedule(add, 1, 2, every=1, schedule_id="every-second")
            pending = await start(add, 5, 5)  # not executed: no worker ran on the source
            sleeping = await start(loop, 0)
        assert (await src.get_run(pending)).status is RunStatus.PENDING  # type: ignore[union-attr]
        async with StorageBackend.from_url(dst_url) as dst:
            report = await copy_storage(src, dst)
            assert report.errors == []
            assert report.schedules == 1
            async with Worker(Engine(dst, inline=False), poll=0.02):
                for _ in range(1000):
                    fired = await dst.list_runs(RunFilter(workflow_name="cli_add"), limit=100)
                    done = [r for r in fired.items if r.status is RunStatus.COMPLETED]
                    if len(done) >= 2 and any(r.metadata.get("schedule_id") for r in done):
                        break
                    await asyncio.sleep(0.02)
            by_schedule = [r for r in done if r.metadata.get("schedule_id") == "every-second"]
            assert by_schedule, "the copied schedule never fired on the destination"
            assert pending in {r.id for r in done}, "the copied pending run never started"
            chain = await dst.chain(sleeping)
            assert chain[-1].status is RunStatus.COMPLETED
