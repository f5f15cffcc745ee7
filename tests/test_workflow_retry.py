"""``@workflow(max_retries=N)`` under storage faults, on memory://: whichever storage call of
a failing attempt fails, is lost after it was applied, or kills the worker, the run ends with
exactly one next attempt and that attempt's outcome; a transient error is never the outcome.
(The behaviour itself is proven on every backend by the conformance suite's engine area.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pyworkflow import RunStatus, StorageBackend
from pyworkflow.engine.runtime import Engine
from pyworkflow.models import RunFilter, WorkflowRun
from pyworkflow_conformance.faulty import Fault, FaultyBackend, Life

from .drive import drive
from .retry_flows import flaky


@pytest_asyncio.fixture
async def store() -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url("memory://")
    async with backend:
        yield backend


async def _runs(store: StorageBackend, key: str) -> list[WorkflowRun]:
    page = await store.list_runs(RunFilter(workflow_name="wfretry_flaky"), limit=500)
    mine = (r for r in page.items if r.input["args"] == [key])
    return sorted(mine, key=lambda r: r.created_at)


async def _drive(engine: Engine, store: StorageBackend, key: str) -> list[WorkflowRun]:
    """Work until the key's last attempt ended; return the key's runs, oldest first."""
    runs: list[WorkflowRun] = []

    async def ended() -> bool:
        nonlocal runs
        runs = await _runs(store, key)
        return bool(runs) and runs[-1].status.terminal and runs[-1].continued_to is None

    await drive(engine, ended, lease=0.15)
    return runs


@pytest.mark.parametrize("kind", ["fail", "lost", "kill"])
async def test_a_fault_at_any_call_leaves_exactly_one_next_attempt(
    store: StorageBackend, kind: str
) -> None:
    fired = retried = 0
    for at in range(1, 40):
        key = f"{kind}-{at}"
        life = Life(key, Fault(kind, at=at))
        await Engine(store, inline=False).start(flaky, (key,), {})  # stored, not executed
        runs = await _drive(Engine(FaultyBackend(store, life), inline=False), store, key)
        assert life.fault is not None
        if life.fault.fired is None:
            break  # the life had fewer calls than ``at``: every call was tried
        fired += 1
        assert runs[-1].status is RunStatus.COMPLETED, (at, runs[-1])
        if len(runs) == 1:
            # the fault hit before the step's failure was recorded: at least once, the step
            # ran again on the replay, and passed
            continue
        retried += 1
        assert [r.status for r in runs] == [RunStatus.FAILED, RunStatus.COMPLETED], (at, runs)
        assert runs[0].continued_to == runs[1].id, at
        assert runs[0].error is not None
        assert "first attempt fails" in runs[0].error["message"], (at, runs[0].error)
    assert fired >= 10, fired  # the faults reached the calls of both attempts
    assert retried >= fired // 2, (retried, fired)


async def test_a_scheduled_run_counts_only_its_last_attempt(store: StorageBackend) -> None:
    from pyworkflow import get_schedule, trigger_schedule
    from pyworkflow.engine.schedules import create_schedule_row

    row = await create_schedule_row(store, flaky, ("scheduled",), {}, cron="0 9 * * *")
    await trigger_schedule(row.id, storage=store)
    runs = await _drive(Engine(store, inline=False), store, "scheduled")
    assert [r.status for r in runs] == [RunStatus.FAILED, RunStatus.COMPLETED]
    counted = await get_schedule(row.id, storage=store)
    assert (counted.total_runs, counted.successful_runs, counted.failed_runs) == (1, 1, 0)
