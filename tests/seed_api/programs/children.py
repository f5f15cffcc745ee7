"""Child workflows as the predecessor's documentation writes them: ``start_child_workflow``
waiting for the result or returning a ``ChildWorkflowHandle``, ``ChildWorkflowFailedError``,
the nesting limit (``MaxNestingDepthError``), children cancelled when their parent ends, and
``get_children``."""

import asyncio

import pyworkflow
from pyworkflow import (
    ChildWorkflowError,
    ChildWorkflowFailedError,
    ChildWorkflowHandle,
    MaxNestingDepthError,
    RunStatus,
    get_children,
    sleep,
    start,
    start_child_workflow,
    step,
    workflow,
)


@step()
async def send(to: str) -> str:
    return f"sent to {to}"


@workflow()
async def notify(to: str) -> str:
    return await send(to)


@workflow()
async def failing_child() -> None:
    raise ValueError("no such address")


@workflow()
async def slow_child() -> str:
    await sleep("1h")
    return "never"


@workflow()
async def parent_workflow() -> dict:
    first = await start_child_workflow(notify, "a@example.com")
    handle = await start_child_workflow(notify, "b@example.com", wait_for_completion=False)
    assert isinstance(handle, ChildWorkflowHandle)
    assert handle.child_workflow_name == "notify"
    assert handle.parent_run_id != handle.child_run_id
    assert await handle.is_running() in (True, False)  # a bool, whichever moment
    second = await handle.result()
    assert not await handle.is_running()
    assert await handle.is_terminal()
    assert await handle.get_status() == RunStatus.COMPLETED
    assert await handle.cancel() is False  # already completed
    try:
        await start_child_workflow(failing_child)
        failure = None
    except ChildWorkflowFailedError as exc:
        failure = [exc.child_workflow_name, exc.error_type, exc.error]
    # fire and forget: still running when this parent completes, so it is cancelled
    await start_child_workflow(slow_child, wait_for_completion=False)
    return {"first": first, "second": second, "failure": failure}


@workflow()
async def nested(depth: int) -> object:
    try:
        return await start_child_workflow(nested, depth + 1)
    except MaxNestingDepthError as exc:
        return [depth, exc.current_depth, exc.max_depth]


async def main() -> None:
    assert issubclass(ChildWorkflowFailedError, ChildWorkflowError)
    assert MaxNestingDepthError.MAX_DEPTH == 3

    run_id = await start(parent_workflow)
    run = await pyworkflow.wait(run_id, timeout=60)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.result["first"] == "sent to a@example.com", run.result
    assert run.result["second"] == "sent to b@example.com", run.result
    assert run.result["failure"] == ["failing_child", "ValueError", "no such address"]

    children = await get_children(run_id)
    assert [c.workflow_name for c in children] == [
        "notify",
        "notify",
        "failing_child",
        "slow_child",
    ], children
    slow = children[-1]
    ended = await pyworkflow.wait(slow.id, timeout=60)
    assert ended.status == RunStatus.CANCELLED, ended.status
    types = [e.type for e in await pyworkflow.get_events(run_id)]
    assert "child_workflow.cancelled" in types
    completed = await get_children(run_id, status=RunStatus.COMPLETED)
    assert len(completed) == 2

    deep = await pyworkflow.wait(await start(nested, 0), timeout=60)
    assert deep.status == RunStatus.COMPLETED, deep.error
    assert deep.result == [3, 3, 3], deep.result
    print("children: ok")


if __name__ == "__main__":
    asyncio.run(main())
