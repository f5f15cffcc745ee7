"""Typed step context (``StepContext``, ``@workflow(context_class=...)``) on memory://:
steps read an instance of the class, replay restores it, the rules of set_step_context."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pydantic import ValidationError
from pyworkflow import (
    InvalidInput,
    RunStatus,
    StepContext,
    StorageBackend,
    get_step_context,
    has_step_context,
    set_step_context,
    sleep,
    start,
    step,
    wait,
    workflow,
)
from pyworkflow.engine import configured
from pyworkflow.engine.runtime import Engine


class Order(StepContext):
    order_id: str
    stage: str = "new"


@step(retries=0)
async def read_stage() -> str:
    ctx = get_step_context()
    assert isinstance(ctx, Order)
    return ctx.stage


@step(retries=0)
async def write_in_step() -> None:
    await set_step_context(Order(order_id="x"))


@workflow(name="sc_typed", context_class=Order)
async def typed_flow(order_id: str) -> list[object]:
    seen: list[object] = [has_step_context()]
    await set_step_context(Order(order_id=order_id))
    seen.append(await read_stage())
    await sleep(0.01)  # suspend: the next execution replays the context from the log
    ctx = get_step_context()
    await set_step_context(ctx.with_updates(stage="paid"))
    seen.append(await read_stage())
    seen.append(has_step_context())
    return seen


@workflow(name="sc_wrong_type", context_class=Order)
async def wrong_type_flow() -> str:
    try:
        await set_step_context({"order_id": "x"})
    except TypeError as exc:
        return type(exc).__name__
    return "accepted"


@workflow(name="sc_in_step", context_class=Order)
async def in_step_flow() -> None:
    await write_in_step()


@pytest_asyncio.fixture
async def memory() -> AsyncIterator[Engine]:
    store = StorageBackend.from_url("memory://")
    await store.connect()
    try:
        with configured(store) as engine:
            yield engine
    finally:
        await store.close()


async def test_steps_read_the_typed_context_across_replays(memory: Engine) -> None:
    run = await wait(await start(typed_flow, "o-1"), timeout=30)
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == [False, "new", "paid", True]
    assert run.context == {"order_id": "o-1", "stage": "paid"}  # stored as plain JSON


async def test_a_value_of_another_type_is_a_type_error(memory: Engine) -> None:
    run = await wait(await start(wrong_type_flow), timeout=30)
    assert run.result == "InvalidContext"


async def test_setting_it_inside_a_step_is_a_runtime_error(memory: Engine) -> None:
    run = await wait(await start(in_step_flow), timeout=30)
    assert run.status is RunStatus.FAILED
    assert run.error["cause"]["type"].endswith("StepContextReadOnly")
    assert "cannot modify step context within a step" in run.error["cause"]["message"]


def test_step_context_is_frozen_and_strict() -> None:
    order = Order(order_id="a")
    with pytest.raises(ValidationError):
        order.stage = "paid"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Order(order_id="a", extra=1)  # type: ignore[call-arg]
    assert Order.from_dict(order.with_updates(stage="paid").to_dict()) == Order(
        order_id="a", stage="paid"
    )


def test_context_class_must_be_a_step_context() -> None:
    with pytest.raises(InvalidInput):
        workflow(name="sc_bad", context_class=dict)
