"""The cancellation and child API's edges on memory://: another store named by ``storage=``,
a handle used outside its parent, a bad ``parent_close``, ``get_children`` filters, and the
error classes' relations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pyworkflow import (
    CancellationError,
    ChildWorkflowError,
    ChildWorkflowFailed,
    ChildWorkflowFailedError,
    ChildWorkflowHandle,
    InvalidInput,
    MaxNestingDepthError,
    NotFound,
    RunStatus,
    StorageBackend,
    WaitTimeout,
    WorkflowNotFoundError,
    cancel,
    cancel_workflow,
    get_children,
    get_run,
    sleep,
    start,
    start_child,
    start_child_workflow,
    wait,
    workflow,
)
from pyworkflow.engine import configured
from pyworkflow.engine.runtime import Engine

HANDLES: dict[str, ChildWorkflowHandle] = {}


@workflow(name="cancel_api_sleeper")
async def sleeper() -> str:
    await sleep("1h")
    return "woke"


@workflow(name="cancel_api_quick")
async def quick() -> int:
    return 7


@workflow(name="cancel_api_spawner")
async def spawner(key: str) -> str:
    handle = await start_child_workflow(sleeper, wait_for_completion=False)
    HANDLES[key] = handle
    await start_child_workflow(quick)
    await sleep("1h")
    return "done"


@workflow(name="cancel_api_swallow_then_join")
async def swallow_then_join() -> str:
    handle = await start_child(sleeper)
    seen = 0
    for _ in range(2):
        try:
            return str(await handle)
        except CancellationError:
            seen += 1  # swallowed; the next join suspends without writing anything
    return f"saw {seen}"


@workflow(name="cancel_api_bad_policy")
async def bad_policy() -> None:
    await start_child(quick, parent_close="sometimes")


async def _store() -> StorageBackend:
    store = StorageBackend.from_url("memory://")
    await store.connect()
    return store


@pytest_asyncio.fixture
async def memory() -> AsyncIterator[Engine]:
    store = await _store()
    try:
        with configured(store) as engine:
            yield engine
    finally:
        await store.close()


def test_error_classes_are_one_family() -> None:
    assert ChildWorkflowFailedError is ChildWorkflowFailed
    assert issubclass(ChildWorkflowFailed, ChildWorkflowError)
    assert issubclass(MaxNestingDepthError, ChildWorkflowError)
    assert issubclass(WorkflowNotFoundError, NotFound)
    exc = CancellationError(reason="why")
    assert (exc.message, exc.reason) == ("Workflow was cancelled", "why")
    depth = MaxNestingDepthError(3)
    assert (depth.current_depth, depth.max_depth, MaxNestingDepthError.MAX_DEPTH) == (3, 3, 3)


async def test_cancel_workflow_on_another_store_leaves_the_configured_one(
    memory: Engine,
) -> None:
    other = await _store()
    try:
        with configured(other):
            run_id = await start(sleeper)
        assert await cancel_workflow(run_id, reason="elsewhere", storage=other) is True
        ended = await other.get_run(run_id)
        assert ended is not None
        assert ended.status is RunStatus.CANCELLED
        with pytest.raises(WorkflowNotFoundError):
            await cancel(run_id)  # the configured store does not have it
        assert await cancel_workflow(run_id, storage=other) is False
    finally:
        await other.close()


async def test_a_handle_outside_its_parent_polls_and_cancels(memory: Engine) -> None:
    parent = await start(spawner, "h1")
    handle = HANDLES["h1"]
    assert handle.child_id == handle.child_run_id
    assert handle.parent_run_id == parent
    assert handle.child_workflow_name == "cancel_api_sleeper"
    with pytest.raises(WaitTimeout):  # runs the children; the parent then sleeps
        await wait(parent, timeout=0.3)
    with pytest.raises(TimeoutError):
        await handle.result(timeout=0.05)
    assert await handle.cancel("enough") is True
    assert await handle.is_terminal()
    assert not await handle.is_running()
    assert await handle.get_status() is RunStatus.CANCELLED
    with pytest.raises(ChildWorkflowFailedError) as failed:
        await handle.result(timeout=5)
    assert failed.value.error_type == "CancellationError"
    assert failed.value.status == "cancelled"
    assert await handle.cancel() is False
    kids = await get_children(parent)
    assert [k.workflow_name for k in kids] == ["cancel_api_sleeper", "cancel_api_quick"]
    done = await get_children(parent, RunStatus.COMPLETED)
    assert [k.result for k in done] == [7]
    assert await cancel(parent) is True
    assert (await get_run(parent)).status is RunStatus.CANCELLED


async def test_an_unknown_parent_close_policy_fails_the_workflow(memory: Engine) -> None:
    run = await wait(await start(bad_policy), timeout=10)
    assert run.status is RunStatus.FAILED
    assert run.error["type"].endswith(InvalidInput.__name__)
    assert "parent_close" in run.error["message"]


async def test_a_cancel_after_a_swallowed_one_is_a_new_request(memory: Engine) -> None:
    run_id = await start(swallow_then_join)
    assert await cancel(run_id) is True  # swallowed: the run waits on its child again
    assert (await get_run(run_id)).status is RunStatus.SUSPENDED
    assert await cancel(run_id) is True  # the log did not move since the first request
    run = await wait(run_id, timeout=10)
    assert run.status is RunStatus.COMPLETED
    assert run.result == "saw 2"
