"""The per-run event-count limits (engine/limits.py) on memory://: a durable run that reaches
``event_hard_limit`` fails with ``EventLimitExceededError`` (recorded), a warning is logged
from ``event_soft_limit`` on, transient runs have no limit, and a storage error around the
limit is retried, never the run's outcome."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pyworkflow import RunStatus, StorageBackend, step, workflow
from pyworkflow.engine import EventLimitExceededError, FatalError, settings
from pyworkflow.engine.runtime import Engine
from pyworkflow.engine.transient import run_transient
from pyworkflow_conformance.faulty import Fault, FaultyBackend, Life

from .drive import finish as _finish

LIMIT = 8  # workflow.started + 2 events a step: the 5th step is refused (count 9 >= 8)
LIMIT_TYPE = "pyworkflow.engine.limits.EventLimitExceededError"


@pytest.fixture(autouse=True)
def small_limits() -> Iterator[None]:
    before = settings.current()
    settings.update(event_hard_limit=LIMIT, event_soft_limit=5, event_warning_interval=2)
    yield
    settings.update(
        event_hard_limit=before.event_hard_limit,
        event_soft_limit=before.event_soft_limit,
        event_warning_interval=before.event_warning_interval,
    )


@pytest_asyncio.fixture
async def store() -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url("memory://")
    async with backend:
        yield backend


@step(name="limits_tick")
async def tick(i: int) -> int:
    return i


@workflow(name="limits_steps")
async def steps(n: int) -> int:
    total = 0
    for i in range(n):
        total += await tick(i)
    return total


@workflow(name="limits_catches")
async def catches() -> str:
    try:
        for i in range(10):
            await tick(i)
    except EventLimitExceededError as exc:
        await tick(99)  # a further durable call is refused too: the run cannot go on
        return f"caught {exc.event_count}"
    return "not reached"


async def _types(store: StorageBackend, run_id: str) -> list[str]:
    return [str(e.type) for e in await store.read(run_id)]


async def test_reaching_the_hard_limit_fails_the_run_with_the_error(
    store: StorageBackend, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine(store)
    with caplog.at_level(logging.WARNING, logger="pyworkflow.engine"):
        run_id = await engine.start(steps, (10,), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error["type"] == LIMIT_TYPE
    assert "exceeded maximum event limit: 9 >= 8" in run.error["message"]
    types = await _types(store, run_id)
    # four steps recorded, then the terminal event (allowed past the limit)
    assert types.count("step.completed") == 4
    assert types[-1] == "workflow.failed"
    warnings = [r for r in caplog.records if "approaching the event limit" in r.getMessage()]
    assert [r.getMessage().split(": ")[-1].split(" ")[0] for r in warnings] == ["5/8", "7/8"]


async def test_under_the_limit_the_run_completes(store: StorageBackend) -> None:
    run_id = await Engine(store).start(steps, (3,), {})  # 7 events before completing
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == 3


async def test_completion_at_the_limit_fails_instead(store: StorageBackend) -> None:
    settings.update(event_hard_limit=7)
    run_id = await Engine(store).start(steps, (3,), {})  # 7 events: completion is refused
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error["type"] == LIMIT_TYPE
    assert (await _types(store, run_id)).count("step.completed") == 3


async def test_a_workflow_that_catches_the_error_still_cannot_go_on(
    store: StorageBackend,
) -> None:
    run_id = await Engine(store).start(catches, (), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error["type"] == LIMIT_TYPE


def test_the_error_is_the_predecessors() -> None:
    exc = EventLimitExceededError("run_1", 50_000, 50_000)
    assert isinstance(exc, FatalError)
    assert (exc.run_id, exc.event_count, exc.limit) == ("run_1", 50_000, 50_000)
    assert str(exc) == "Workflow run_1 exceeded maximum event limit: 50000 >= 50000"


async def test_transient_runs_have_no_limit() -> None:
    settings.update(event_hard_limit=1)
    await run_transient(steps.__pyworkflow_workflow__, (20,), {})  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "nth"),
    [
        ("fail", 4),  # the 4th step's append (it brings the log to 9 events)
        ("fail", 5),  # the append of workflow.failed with the limit error
        ("lost", 5),  # the same append, stored but its acknowledgement lost
    ],
)
async def test_a_storage_error_at_the_limit_is_retried_not_the_outcome(
    store: StorageBackend, kind: str, nth: int
) -> None:
    life = Life("limits", Fault(kind, method="append", nth=nth))
    engine = Engine(FaultyBackend(store, life), inline=False)
    run_id = await engine.start(steps, (10,), {})
    await _finish(engine, store, run_id)
    assert life.fault is not None
    assert life.fault.fired is not None, life.trace
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error["type"] == LIMIT_TYPE, run.error
    types = await _types(store, run_id)
    assert types.count("workflow.failed") == 1
    assert types.count("step.completed") == 4
