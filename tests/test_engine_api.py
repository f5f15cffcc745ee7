"""The engine's API on memory://: errors, replay determinism, concurrency inside a workflow,
workers and the inline mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import pyworkflow
from pyworkflow import (
    InvalidInput,
    NotFound,
    RunStatus,
    SerializationError,
    StorageBackend,
    Worker,
    WorkflowError,
    configure,
    get_events,
    get_run,
    get_step_context,
    set_step_context,
    sleep,
    start,
    step,
    wait,
    workflow,
)
from pyworkflow.engine import configured
from pyworkflow.engine.runtime import Engine

CALLS: list[str] = []
FLIP = {"first": "record"}


@step
async def record(name: str) -> str:
    CALLS.append(name)
    return name


@step(retries=0)  # fails by design: no retry waits
async def tries_to_set_context() -> None:
    await set_step_context({"x": 1})


@workflow(name="api_gather")
async def gather_flow() -> list[str]:
    return list(await asyncio.gather(record("x"), record("y"), record("z")))


@step
async def other(name: str) -> str:
    return name


@workflow(name="api_changing")
async def changing_flow() -> str:
    await (record if FLIP["first"] == "record" else other)("a")
    await sleep(0.01)
    return await record("b")


@workflow(name="api_bad_result")
async def bad_result_flow() -> object:
    return object()


@workflow(name="api_context_in_step")
async def context_in_step_flow() -> None:
    await tries_to_set_context()


@workflow(name="api_sleepy")
async def sleepy_flow(seconds: float) -> str:
    await sleep(seconds)
    return "awake"


@pytest_asyncio.fixture
async def memory() -> AsyncIterator[Engine]:
    store = StorageBackend.from_url("memory://")
    await store.connect()
    try:
        with configured(store) as engine:
            yield engine
    finally:
        await store.close()


def test_public_names_are_exported() -> None:
    for name in (
        "workflow",
        "step",
        "sleep",
        "continue_as_new",
        "get_workflow_chain",
        "start",
        "configure",
        "wait",
        "get_run",
        "get_events",
        "set_step_context",
        "get_step_context",
        "wait_for_hook",
        "resume_hook",
        "cancel",
        "start_child",
        "Worker",
        "pending_hooks",
        "StorageBackend",
        "WorkflowRun",
    ):
        assert name in pyworkflow.__all__
        assert hasattr(pyworkflow, name)


def test_decorators_refuse_sync_functions() -> None:
    with pytest.raises(InvalidInput):
        workflow(lambda: None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        step(retries=-1)
    with pytest.raises(InvalidInput):
        step(backoff="soon")


def test_two_workflows_with_one_name_are_refused() -> None:
    async def gather_flow() -> None: ...

    with pytest.raises(InvalidInput, match="two different workflows"):
        workflow(name="api_gather")(gather_flow)


async def test_start_refuses_unserializable_arguments_and_writes_nothing(
    memory: Engine,
) -> None:
    with pytest.raises(SerializationError, match="workflow arguments"):
        await start(sleepy_flow, object())
    storage = await memory.storage()
    assert (await storage.list_runs()).items == []


async def test_start_refuses_a_plain_function(memory: Engine) -> None:
    async def plain() -> None: ...

    with pytest.raises(InvalidInput, match="not decorated with @workflow"):
        await start(plain)


async def test_steps_run_directly_outside_a_workflow() -> None:
    assert await record("direct") == "direct"
    with pytest.raises(WorkflowError):
        get_step_context()
    with pytest.raises(WorkflowError):
        await set_step_context({"a": 1})


async def test_concurrent_steps_in_one_workflow(memory: Engine) -> None:
    run = await wait(await start(gather_flow), timeout=30)
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == ["x", "y", "z"]
    completed = [e for e in await get_events(run.id) if e.type == "step.completed"]
    assert sorted(e.data["pos"] for e in completed) == [1, 2, 3]


async def test_changed_code_is_detected_on_replay(memory: Engine) -> None:
    FLIP["first"] = "record"
    run_id = await start(changing_flow)
    assert (await get_run(run_id)).status is RunStatus.SUSPENDED
    FLIP["first"] = "other"  # a deploy changed which step the workflow calls first
    try:
        run = await wait(run_id, timeout=30)
    finally:
        FLIP["first"] = "record"
    assert run.status is RunStatus.FAILED
    assert run.error["type"].endswith("NonDeterminismError")
    assert "call #1 is step 'other'" in run.error["message"]


async def test_an_unserializable_result_fails_the_run_clearly(memory: Engine) -> None:
    run = await wait(await start(bad_result_flow), timeout=30)
    assert run.status is RunStatus.FAILED
    assert "SerializationError" in run.error["type"]
    assert "the result of workflow 'api_bad_result'" in run.error["message"]


async def test_the_step_context_is_read_only_in_steps(memory: Engine) -> None:
    run = await wait(await start(context_in_step_flow), timeout=30)
    assert run.status is RunStatus.FAILED
    assert "read-only" in run.error["message"]


async def test_wait_times_out_and_get_run_reports_missing(memory: Engine) -> None:
    run_id = await start(sleepy_flow, 3600)
    with pytest.raises(TimeoutError):
        await wait(run_id, timeout=0.1)
    with pytest.raises(NotFound):
        await get_run("no-such-run")


async def test_without_inline_only_a_worker_runs_it(memory: Engine) -> None:
    storage = await memory.storage()
    configure(storage, inline=False)
    run_id = await start(sleepy_flow, 0.01)
    assert (await get_run(run_id)).status is RunStatus.PENDING
    assert await storage.version(run_id) == 0
    worker = Worker(storage, lease=5, poll=0.01)
    async with worker:
        for _ in range(500):
            if (await get_run(run_id)).status.terminal:
                break
            await asyncio.sleep(0.01)
    run = await get_run(run_id)
    assert run.status is RunStatus.COMPLETED
    assert run.result == "awake"
    assert worker.processed >= 2  # the start, then the timer


async def test_a_worker_gives_back_a_task_whose_workflow_it_cannot_import(
    memory: Engine,
) -> None:
    storage = await memory.storage()
    configure(storage, inline=False)
    run = pyworkflow.WorkflowRun(id="ghost-run", workflow_name="not_defined_anywhere")
    await storage.create_run(run)
    await storage.enqueue(
        pyworkflow.Task(
            id="t-ghost", run_id=run.id, kind="resume", due_at=pyworkflow.models.utcnow()
        )
    )
    assert await Worker(storage).run_once() == 1
    # released for later, not completed: it is still there but not due now
    assert await storage.claim("probe", lease=1) == []
    assert (await storage.get_run(run.id)).status is RunStatus.PENDING  # type: ignore[union-attr]


@step
async def noop(i: int) -> int:
    return i


@workflow(name="api_n_steps")
async def n_steps(n: int) -> int:
    for i in range(n):
        await noop(i)
    return n


async def test_a_step_costs_one_append_on_the_happy_path(memory: Engine) -> None:
    storage = await memory.storage()
    calls: dict[str, int] = {}
    for name in ("append", "read", "get_run", "update_run", "enqueue", "create_run", "version"):
        original = getattr(storage, name)

        def counted(*a: object, _name: str = name, _orig: object = original, **k: object) -> object:
            calls[_name] = calls.get(_name, 0) + 1
            return _orig(*a, **k)  # type: ignore[operator]

        setattr(storage, name, counted)
    totals = []
    try:
        for n in (1, 11):
            calls.clear()
            run = await wait(await start(n_steps, n), timeout=30)
            assert run.result == n
            totals.append(dict(calls))
    finally:
        for name in list(vars(storage)):
            if name in calls or name in (
                "append",
                "read",
                "get_run",
                "update_run",
                "enqueue",
                "create_run",
                "version",
            ):
                delattr(storage, name)
    one, eleven = totals
    # ten more steps cost exactly ten more appends and nothing else
    assert eleven["append"] - one["append"] == 10
    assert {k: v for k, v in eleven.items() if k != "append"} == {
        k: v for k, v in one.items() if k != "append"
    }
    # the whole run: create, safety-net task, status running, 1 append per step (the first
    # carries workflow.started), terminal append, terminal status, final get_run in wait()
    assert one["append"] == 2


@workflow(name="api_tick")
async def tick(label: str) -> str:
    return await record(label)


async def test_an_interval_schedule_is_fired_by_workers(memory: Engine) -> None:
    storage = await memory.storage()
    schedule_id = await pyworkflow.schedule(tick, "tick", every=0.05, schedule_id="ticker")
    assert schedule_id == "ticker"
    flt = pyworkflow.RunFilter(workflow_name="api_tick")
    async with Worker(storage, poll=0.01):
        for _ in range(3000):
            runs = (await storage.list_runs(flt)).items
            if len([r for r in runs if r.status is RunStatus.COMPLETED]) >= 3:
                break
            await asyncio.sleep(0.01)
        assert await storage.delete_schedule("ticker")
    runs = (await storage.list_runs(flt)).items
    assert len([r for r in runs if r.status is RunStatus.COMPLETED]) >= 3
    assert all(r.metadata["schedule_id"] == "ticker" for r in runs)
    # one run per firing time: the idempotency keys are distinct
    assert len({r.idempotency_key for r in runs}) == len(runs)
    # after the delete, the pending firing is dropped and nothing more starts
    await Worker(storage).run_until_idle()
    assert len((await storage.list_runs(flt)).items) == len(runs)


async def test_run_until_complete_follows_the_chain(memory: Engine) -> None:
    from .cli_flows import boom, loop

    assert await pyworkflow.run_until_complete(loop, 0) == 2
    with pytest.raises(pyworkflow.WorkflowFailed, match="kaboom"):
        await pyworkflow.run_until_complete(boom)


def test_a_worker_on_a_fresh_memory_url_is_refused() -> None:
    with pytest.raises(pyworkflow.UnsafeSetup, match="new, empty store"):
        Worker("memory://")


@workflow(name="api_long")
async def long_flow(n: int) -> int:
    total = 0
    for i in range(n):
        total += await noop(i)
    await sleep(0.01)  # the replay after the timer reads the log in several pages
    return total


async def test_a_log_longer_than_a_page_replays(memory: Engine) -> None:
    from pyworkflow.engine.runtime import PAGE

    n = PAGE // 2 + 10  # two events per step: more than one page
    run = await wait(await start(long_flow, n), timeout=60)
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == sum(range(n))
    events = await get_events(run.id)
    assert len(events) > PAGE
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))


async def test_an_inline_start_leaves_a_safety_net_for_a_crash(
    memory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from pyworkflow.models import utcnow

    storage = await memory.storage()

    async def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies right after creating the run

    with monkeypatch.context() as patch:
        patch.setattr(memory, "execute", crash)
        with pytest.raises(KeyboardInterrupt):
            await start(sleepy_flow, 0)
    [run] = (await storage.list_runs(pyworkflow.RunFilter(workflow_name="api_sleepy"))).items
    assert await storage.claim("early", lease=1) == []  # not due yet: no double execution
    [lease] = await storage.claim("later", lease=1, now=utcnow() + timedelta(seconds=31))
    assert lease.task.run_id == run.id
    await storage.release(lease, due_at=utcnow())
    assert await Worker(storage).run_until_idle() >= 1
    assert (await get_run(run.id)).result == "awake"


@workflow(name="api_two_sleeps")
async def two_sleeps() -> int:
    a = await noop(1)
    await sleep(0.01)
    b = await noop(2)
    await sleep(0.01)
    return a + b + await noop(3)


async def test_a_resumed_run_reads_only_the_events_it_has_not_seen(memory: Engine) -> None:
    storage = await memory.storage()
    afters: list[int] = []
    original = storage.read

    async def spy(run_id: str, **kwargs: Any) -> Any:
        afters.append(kwargs.get("after", 0))
        return await original(run_id, **kwargs)

    storage.read = spy  # type: ignore[method-assign]
    try:
        run = await wait(await start(two_sleeps), timeout=30)
    finally:
        del storage.read
    assert run.result == 6
    # the inline start reads nothing (its log is new); the first resume reads the log, the
    # second only what was appended after the events this process had already read
    assert len(afters) == 2
    assert afters[0] == 0
    assert afters[1] > 0
