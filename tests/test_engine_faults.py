"""Regression tests of issue 13 (items 1, 2, 3, 4 and 7) on memory://: values too large to
record, storage errors inside a workflow's life, and waits too long for a datetime.

Faults are injected with the conformance suite's :class:`FaultyBackend` at an exact call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pyworkflow import (
    HookTimeout,
    InvalidInput,
    PayloadTooLarge,
    RunStatus,
    StorageBackend,
    StorageUnavailable,
    cancel,
    configured,
    deliver_hook,
    get_events,
    get_run,
    get_step_context,
    pending_hooks,
    set_step_context,
    sleep,
    start,
    start_child,
    step,
    wait,
    wait_for_hook,
    workflow,
)
from pyworkflow.engine.durations import LATEST_WAKE, MAX_DURATION
from pyworkflow.engine.errors import MAX_ERROR_MESSAGE
from pyworkflow.engine.runtime import Engine
from pyworkflow_conformance.faulty import Fault, FaultyBackend, Life

from .drive import finish as _finish

HUGE = "x" * (2 << 20)  # over every backend's max_event_bytes (memory: 1 MiB)
ATTEMPTS: dict[str, int] = {}


@pytest_asyncio.fixture
async def store() -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url("memory://")
    async with backend:
        yield backend


# -- item 1: a value too large to record ---------------------------------------------------------


@workflow(name="regress13_huge_result")
async def huge_result() -> str:
    return HUGE


@step(retries=2, backoff=0.01)
async def raises_huge(key: str) -> None:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    raise ValueError(HUGE)


@step(retries=1, backoff=0.01)
async def returns_huge(key: str) -> str:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    return HUGE


@workflow(name="regress13_huge_error")
async def huge_error(key: str) -> None:
    await raises_huge(key)


@workflow(name="regress13_huge_step_result")
async def huge_step_result(key: str) -> str:
    return await returns_huge(key)


async def test_item1_a_result_too_large_to_record_fails_the_run(store: StorageBackend) -> None:
    with configured(store):
        run = await wait(await start(huge_result), timeout=20)
    assert run.status is RunStatus.FAILED
    assert run.error["type"] == "pyworkflow.errors.PayloadTooLarge"
    assert "result of workflow 'regress13_huge_result' is too large" in run.error["message"]
    assert (await get_events_of(store, run.id))[-1] == "workflow.failed"


async def test_item1_a_huge_exception_is_recorded_clipped_and_retried(
    store: StorageBackend,
) -> None:
    with configured(store):
        run = await wait(await start(huge_error, "err"), timeout=20)
        events = await get_events(run.id)
    assert ATTEMPTS["err"] == 3  # the retries were not skipped
    assert run.status is RunStatus.FAILED
    failed = [e.data for e in events if e.type == "step.failed"]
    assert [f["final"] for f in failed] == [False, False, True]
    message = failed[-1]["error"]["message"]
    assert message.startswith("xxxx")
    assert len(message) < MAX_ERROR_MESSAGE + 100
    assert "more characters not recorded" in message
    assert len(run.error["message"]) < 3 * MAX_ERROR_MESSAGE


async def test_item1_a_step_result_too_large_fails_the_attempt(store: StorageBackend) -> None:
    with configured(store):
        run = await wait(await start(huge_step_result, "res"), timeout=20)
        events = await get_events(run.id)
    assert ATTEMPTS["res"] == 2  # one retry, as the step's policy says
    assert run.status is RunStatus.FAILED
    failed = [e.data for e in events if e.type == "step.failed"]
    assert [f["error"]["type"] for f in failed] == ["pyworkflow.errors.PayloadTooLarge"] * 2
    assert "result of step" in failed[0]["error"]["message"]


async def get_events_of(store: StorageBackend, run_id: str) -> list[str]:
    return [e.type for e in await store.read(run_id)]


# -- item 2: start() whose start task was not stored -------------------------------------------


@step
async def plus_one(n: int) -> int:
    return n + 1


@workflow(name="regress13_plain")
async def plain(n: int) -> int:
    return await plus_one(n)


@pytest.mark.parametrize("kind", ["fail", "lost"])
async def test_item2_retrying_start_with_its_key_repairs_a_lost_start_task(
    store: StorageBackend, kind: str
) -> None:
    life = Life("start", Fault(kind, method="enqueue"))
    engine = Engine(FaultyBackend(store, life), inline=False)
    with pytest.raises(StorageUnavailable):
        await engine.start(plain, (1,), {}, idempotency_key="K")
    assert life.fault is not None
    assert life.fault.fired is not None
    run_id = await engine.start(plain, (1,), {}, idempotency_key="K")
    await _finish(engine, store, run_id)
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED
    assert run.result == 2


# -- item 3: storage errors inside the workflow's own calls ------------------------------------


@workflow(name="regress13_child_of_three")
async def child_of_three(n: int) -> int:
    return await plus_one(n)


@workflow(name="regress13_storage_calls")
async def storage_calls() -> list[object]:
    await set_step_context({"tenant": "acme"})
    child = await (await start_child(child_of_three, 1))
    try:
        got = await wait_for_hook("approval", timeout=0.01)
    except HookTimeout:
        got = "timed out"
    return [child, got, get_step_context()["tenant"]]


@pytest.mark.parametrize(
    ("method", "nth"),
    [
        ("update_run", 2),  # set_step_context (the 1st marks the run running)
        ("create_run", 2),  # start_child (the 1st is start())
        ("enqueue", 2),  # start_child's start task (the 1st is start()'s)
        ("get_run", 2),  # the join on the child (the 1st is the execution's own)
        ("create_hook", 1),
        ("get_hook", 1),  # the hook's replay
    ],
)
async def test_item3_a_storage_error_in_a_workflow_is_retried_not_recorded(
    store: StorageBackend, method: str, nth: int
) -> None:
    life = Life("calls", Fault("fail", method=method, nth=nth))
    engine = Engine(FaultyBackend(store, life), inline=False)
    run_id = await engine.start(storage_calls, (), {})
    await _finish(engine, store, run_id)
    assert life.fault is not None
    assert life.fault.fired is not None, life.trace
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == [2, "timed out", "acme"]
    assert "workflow.failed" not in await get_events_of(store, run_id)


# -- item 4: a child recorded as started whose start task was lost ----------------------------


@workflow(name="regress13_parent")
async def parent() -> int:
    return await (await start_child(child_of_three, 41))


@pytest.mark.parametrize("kind", ["fail", "kill"])
async def test_item4_replay_stores_a_lost_child_start_task(
    store: StorageBackend, kind: str
) -> None:
    # enqueue #1 is the parent's start task, #2 the child's (after child_workflow.started)
    life = Life("child", Fault(kind, method="enqueue", nth=2))
    engine = Engine(FaultyBackend(store, life), inline=False)
    run_id = await engine.start(parent, (), {})
    await _finish(engine, store, run_id)
    assert life.fault is not None
    assert life.fault.fired is not None
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == 42


# -- item 7: waits longer than a datetime can hold ---------------------------------------------


# The longest duration accepted (1000 years) wakes after the latest time every backend
# stores, so it is clamped; a longer one is refused at the call with InvalidInput.


@workflow(name="regress13_forever")
async def forever() -> str:
    await sleep(MAX_DURATION)
    return "woke"


@workflow(name="regress13_patient_hook")
async def patient_hook() -> object:
    return await wait_for_hook("go", timeout=MAX_DURATION)


@workflow(name="regress13_too_long")
async def too_long() -> str:
    try:
        await sleep(1e12)
    except InvalidInput as exc:
        return f"refused: {type(exc).__name__}"
    return "slept"


async def test_item7_a_sleep_too_long_for_a_datetime_waits_until_the_latest_wake(
    store: StorageBackend,
) -> None:
    with configured(store):
        run_id = await start(forever)
        run = await get_run(run_id)
        assert run.status is RunStatus.SUSPENDED, run.error
        [started] = [e for e in await get_events(run_id) if e.type == "sleep.started"]
        assert started.data["seconds"] == MAX_DURATION
        leases = await store.claim("w", lease=1, limit=10, now=LATEST_WAKE)
        [timer] = [lease for lease in leases if lease.task.id.endswith(":sleep:1")]
        assert timer.task.due_at == LATEST_WAKE
        for lease in leases:
            await store.release(lease, due_at=lease.task.due_at)
        assert await cancel(run_id) is True


async def test_item7_a_hook_timeout_too_long_for_a_datetime_is_clamped(
    store: StorageBackend,
) -> None:
    with configured(store):
        run_id = await start(patient_hook)
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        [hook] = await pending_hooks(run_id)
        assert hook.expires_at == LATEST_WAKE
        assert await deliver_hook(hook.token, "now") is True
        run = await wait(run_id, timeout=20)
    assert run.status is RunStatus.COMPLETED
    assert run.result == "now"


async def test_item7_a_sleep_beyond_the_longest_duration_is_a_typed_error_at_the_call(
    store: StorageBackend,
) -> None:
    with configured(store):
        run_id = await start(too_long)
        run = await wait(run_id, timeout=20)
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.result == "refused: InvalidInput"


async def test_an_input_too_large_writes_nothing_not_even_the_safety_net(
    store: StorageBackend,
) -> None:
    with configured(store), pytest.raises(PayloadTooLarge):
        await start(plain, HUGE)
    assert (await store.list_runs()).items == []
    assert await store.claim("w", lease=1, limit=10, now=LATEST_WAKE) == []
