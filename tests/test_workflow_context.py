"""Edge cases of the context API (engine/workflow_context.py, engine/mock_context.py) on
memory://: no context, token semantics, contexts a user makes, ``ctx.run`` as a recorded
step, replay, shield, and a cancellation raised inside a step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pyworkflow import (
    CancellationError,
    InvalidInput,
    LocalContext,
    MockContext,
    NoContextError,
    RunStatus,
    StepContext,
    StorageBackend,
    SuspensionSignal,
    get_context,
    has_context,
    reset_context,
    set_context,
    shield,
    sleep,
    step,
    workflow,
)
from pyworkflow.engine.context import Suspend
from pyworkflow.engine.runtime import Engine

CALLS: dict[str, int] = {}


@pytest_asyncio.fixture
async def store() -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url("memory://")
    async with backend:
        yield backend


def test_no_context_is_a_runtime_error() -> None:
    assert not has_context()
    with pytest.raises(NoContextError, match="No workflow context available"):
        get_context()
    assert issubclass(NoContextError, RuntimeError)


def test_set_and_reset_follow_contextvar_tokens() -> None:
    outer, inner = MockContext(run_id="outer"), MockContext(run_id="inner")
    t1 = set_context(outer)
    t2 = set_context(inner)
    assert get_context() is inner
    reset_context(t2)
    assert get_context() is outer
    t3 = set_context(None)
    assert not has_context()
    reset_context(t3)
    reset_context(t1)
    assert not has_context()
    with pytest.raises(RuntimeError):
        reset_context(t1)  # a token is used once
    with pytest.raises(InvalidInput):
        set_context("not a context")  # type: ignore[arg-type]


def test_a_user_made_local_context_is_transient() -> None:
    with pytest.raises(InvalidInput, match="start"):
        LocalContext(storage=object())

    async def main() -> int:
        async with LocalContext(run_id="run_123", workflow_name="wf") as ctx:
            assert get_context() is ctx
            assert not ctx.is_durable
            assert ctx.durable is False
            await ctx.sleep(0)
            with pytest.raises(NotImplementedError):
                await ctx.hook("h")
            ctx.request_cancellation("stop")
            assert ctx.is_cancellation_requested()
            async with shield():
                ctx.check_cancellation()  # blocked inside shield
            with pytest.raises(CancellationError, match="stop"):
                ctx.check_cancellation()
            return int(await ctx.run(lambda x: x + 1, 41))

    assert asyncio.run(main()) == 42
    assert not has_context()


@step(name="ctx_plain")
async def plain(x: int) -> int:
    CALLS["plain"] = CALLS.get("plain", 0) + 1
    return x * 2


def add_one(x: int) -> int:  # not a step: ctx.run records it as one
    CALLS["add_one"] = CALLS.get("add_one", 0) + 1
    return x + 1


REPLAYS: list[bool] = []


@workflow(name="ctx_run_steps")
async def run_steps() -> int:
    ctx = get_context()
    a = await ctx.run(add_one, 1, name="add")
    b = await ctx.run(plain, a)
    REPLAYS.append(ctx.is_replaying)
    await sleep(0.01)
    REPLAYS.append(ctx.is_replaying)
    return b


async def test_ctx_run_records_steps_and_replays_them(store: StorageBackend) -> None:
    CALLS.clear()
    REPLAYS.clear()
    engine = Engine(store)
    run_id = await engine.start(run_steps, (), {})
    await asyncio.sleep(0.05)  # past the sleep's wake time
    await engine.execute(run_id)
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED, run.error
    assert CALLS == {"add_one": 1, "plain": 1}  # the replay answered both from the log
    names = [e.data.get("name") for e in await store.read(run_id, types=["step.completed"])]
    assert names == ["add", "ctx_plain"]
    # 1st execution: new calls (then it suspends at the sleep); 2nd: replaying until the
    # sleep, the last recorded call, and no longer after it
    assert REPLAYS == [False, True, False]


@step(name="ctx_cancel_in_step")
async def cancelled_in_step() -> str:
    CALLS["in_step"] = CALLS.get("in_step", 0) + 1
    get_context().request_cancellation("from the step")
    get_context().check_cancellation()
    return "not reached"


@workflow(name="ctx_step_cancels")
async def step_cancels() -> str:
    try:
        return await cancelled_in_step()
    except CancellationError as exc:
        return f"caught: {exc.reason}"


async def test_a_cancellation_in_a_step_reaches_the_workflow_unretried(
    store: StorageBackend,
) -> None:
    CALLS.clear()
    run_id = await Engine(store).start(step_cancels, (), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED, run.error
    assert CALLS["in_step"] == 1  # not retried as a step failure
    assert [str(e.type) for e in await store.read(run_id, types=["step.failed"])] == []


@workflow(name="ctx_catch_all")
async def catch_all() -> str:
    try:
        await sleep("1h")
    except Exception:
        return "swallowed"
    return "woke"


async def test_except_exception_does_not_swallow_a_suspension(store: StorageBackend) -> None:
    run_id = await Engine(store).start(catch_all, (), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.SUSPENDED
    assert issubclass(Suspend, SuspensionSignal)
    assert not issubclass(SuspensionSignal, Exception)


def test_mock_context_shield_and_sticky_cancellation() -> None:
    ctx = MockContext()
    ctx.request_cancellation("r")

    async def main() -> None:
        async with shield():
            ctx.check_cancellation()
            assert ctx.cancellation_blocked
        assert not ctx.cancellation_blocked
        for _ in range(2):  # the predecessor's mock raises every time
            with pytest.raises(CancellationError):
                ctx.check_cancellation()

    with ctx:
        asyncio.run(main())


def test_the_predecessors_context_module() -> None:
    from pyworkflow import context

    assert context.get_context is get_context
    assert context.MockContext is MockContext
    assert context.StepContext.__name__ == "StepContext"
    assert context.get_step_context_class() is None  # outside a run


@workflow(name="ctx_mock_datetime_sleep")
async def sleeps_until() -> None:
    from datetime import UTC, datetime, timedelta

    await sleep(datetime.now(UTC) + timedelta(hours=1))
    await sleep(timedelta(minutes=2))


def test_mock_context_records_every_kind_of_duration() -> None:
    ctx = MockContext()
    with ctx:
        asyncio.run(sleeps_until())
    assert ctx.sleep_count == 2
    assert 3590 <= ctx.sleeps[0]["seconds"] <= 3600
    assert ctx.sleeps[1]["seconds"] == 120


class OrderContext(StepContext):  # type: ignore[misc, valid-type]
    workspace_id: str = ""


@workflow(name="ctx_with_class", context_class=OrderContext)
async def with_class() -> str:
    from pyworkflow import context

    cls = context.get_step_context_class()
    return "" if cls is None else cls.__name__


async def test_get_step_context_class_in_a_run(store: StorageBackend) -> None:
    engine = Engine(store)
    run = await engine.get_run(await engine.start(with_class, (), {}))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == "OrderContext"
