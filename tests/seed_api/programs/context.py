"""The context API as the predecessor's documentation writes it: ``get_context()`` in a
workflow and its steps (``run_id``, ``workflow_name``, ``is_durable``), cooperative
cancellation with ``get_context().check_cancellation()`` in a long step, ``MockContext`` to
test a workflow with hooks and sleeps without storage, ``set_context``/``reset_context``, the
``__workflow_*__`` attributes, ``SuspensionSignal`` and a typed hook's stored schema."""

import asyncio

import pyworkflow
from pydantic import BaseModel
from pyworkflow import (
    CancellationError,
    LocalContext,
    MockContext,
    RunStatus,
    SuspensionSignal,
    WorkflowContext,
    cancel_workflow,
    define_hook,
    get_context,
    has_context,
    hook,
    reset_context,
    set_context,
    sleep,
    start,
    step,
    workflow,
)

seen: dict[str, object] = {}


@step()
async def inspect_step() -> str:
    ctx = get_context()
    seen["step"] = (ctx.run_id, ctx.workflow_name, ctx.is_durable)
    return "inspected"


@workflow(name="context_workflow")
async def context_workflow() -> str:
    ctx = get_context()
    assert isinstance(ctx, WorkflowContext)
    assert isinstance(ctx, LocalContext)
    seen["workflow"] = (ctx.run_id, ctx.workflow_name, ctx.is_durable)
    ctx.check_cancellation()  # nothing requested: does nothing
    assert not ctx.is_cancellation_requested()
    return await inspect_step()


@workflow(durable=False)
async def quick_task() -> str:
    ctx = get_context()
    seen["transient"] = (ctx.run_id, ctx.workflow_name, ctx.is_durable)
    return await inspect_step()


started = asyncio.Event()
chunks_done: list[int] = []


@step()
async def process_large_dataset(dataset_id: str) -> int:
    ctx = get_context()
    seen["long_run_id"] = ctx.run_id
    started.set()
    for chunk in range(500):
        # Check for cancellation periodically
        ctx.check_cancellation()
        await asyncio.sleep(0.01)
        chunks_done.append(chunk)
    return len(chunks_done)


@workflow()
async def long_workflow(dataset_id: str) -> int:
    return await process_large_dataset(dataset_id)


class Approval(BaseModel):
    approved: bool
    reviewer: str


approval_hook = define_hook("manager_approval", Approval)


@step()
async def fulfil(order_id: str) -> str:
    return f"fulfilled {order_id}"


@workflow()
async def approval_workflow(order_id: str) -> dict:
    await sleep("5m")
    approval = await hook("manager_approval", timeout="1d")
    if not approval["approved"]:
        return {"status": "rejected"}
    return {"status": "fulfilled", "detail": await fulfil(order_id)}


tokens: list[str] = []


async def remember(token: str) -> None:
    tokens.append(token)


@workflow()
async def typed_approval_workflow() -> str:
    decision = await approval_hook(timeout="1d", on_created=remember)
    return decision.reviewer


@workflow()
async def stubborn_workflow() -> str:
    try:
        await sleep("1h")
    except Exception:  # a user's catch-all cannot swallow the suspension
        return "swallowed"
    return "woke"


def test_approval_workflow() -> None:
    # the predecessor's "Testing Hooks" example, unchanged
    ctx = MockContext(
        run_id="test_run",
        workflow_name="approval_workflow",
        mock_hooks={
            "manager_approval": {
                "approved": True,
                "reviewer": "test@example.com",
                "comments": "Approved in test",
            }
        },
    )
    set_context(ctx)
    try:
        result = asyncio.run(approval_workflow("order-123"))
        assert result["status"] == "fulfilled", result
        assert ctx.hook_count == 1
        assert ctx.hook_names == ["manager_approval"]
        assert ctx.hooks[0]["token"] == "test_run:hook_manager_approval_1"
        assert ctx.step_names == ["fulfil"]
        ctx.assert_step_called("fulfil", times=1)
        assert ctx.sleep_count == 1
        assert ctx.total_sleep_seconds == 300
        ctx.assert_slept(300)
    finally:
        set_context(None)
    assert not has_context()


def test_mock_results() -> None:
    approved = {"manager_approval": {"approved": True, "reviewer": "x"}}
    ctx = MockContext(mock_results={"fulfil": "mocked"}, mock_hooks=approved)
    ctx.request_cancellation("test")
    token = set_context(ctx)
    try:
        reason = "not raised"
        try:
            asyncio.run(approval_workflow("order-9"))
        except CancellationError as exc:
            reason = str(exc.reason)
        assert reason == "test", "the requested cancellation was not raised at the step"
        assert ctx.hook_count == 1
        assert ctx.step_count == 0
    finally:
        reset_context(token)
    ctx = MockContext(mock_results={"fulfil": "mocked"}, mock_hooks=approved)
    with ctx:
        result = asyncio.run(approval_workflow("order-9"))
    assert result == {"status": "fulfilled", "detail": "mocked"}, result
    assert ctx.steps[0]["args"] == ("order-9",)


async def main() -> None:
    assert not has_context()
    message = "returned"
    try:
        get_context()
    except RuntimeError as exc:
        message = str(exc)
    assert "No workflow context" in message, message

    run_id = await start(context_workflow)
    run = await pyworkflow.get_workflow_run(run_id)
    assert run.status == RunStatus.COMPLETED, run.status
    assert seen["workflow"] == (run_id, "context_workflow", True), seen
    assert seen["step"] == (run_id, "context_workflow", True), seen

    transient_id = await start(quick_task)
    assert seen["transient"] == (transient_id, "quick_task", False), seen
    assert seen["step"] == (transient_id, "quick_task", False), seen
    assert await pyworkflow.get_workflow_run(transient_id) is None

    # cooperative cancellation: the long step stops at its next check
    task = asyncio.create_task(start(long_workflow, "dataset-1"))
    await asyncio.wait_for(started.wait(), 10)
    long_id = str(seen["long_run_id"])
    assert await cancel_workflow(long_id, reason="stop the import")
    assert await asyncio.wait_for(task, 10) == long_id
    run = await pyworkflow.get_workflow_run(long_id)
    assert run.status == RunStatus.CANCELLED, run.status
    assert 0 < len(chunks_done) < 500, len(chunks_done)

    # the wrapper's attributes
    assert context_workflow.__workflow__ is True
    assert context_workflow.__workflow_name__ == "context_workflow"
    assert context_workflow.__workflow_durable__ is None
    assert quick_task.__workflow_durable__ is False
    assert context_workflow.__workflow_tags__ == []
    assert context_workflow.__workflow_context_class__ is None
    assert context_workflow.__workflow_max_recovery_attempts__ is None

    # a suspension is not an Exception: the workflow's catch-all does not see it
    assert issubclass(SuspensionSignal, BaseException)
    assert not issubclass(SuspensionSignal, Exception)
    stubborn_id = await start(stubborn_workflow)
    run = await pyworkflow.get_workflow_run(stubborn_id)
    assert run.status == RunStatus.SUSPENDED, run.status

    # a typed hook stores its payload schema on the hook record
    typed_id = await start(typed_approval_workflow)
    assert len(tokens) == 1
    async with pyworkflow.get_storage() as storage:
        stored = await storage.get_hook(tokens[0])
    assert stored is not None
    assert stored.run_id == typed_id
    assert stored.payload_schema == Approval.model_json_schema(), stored.payload_schema
    await pyworkflow.resume_hook(tokens[0], {"approved": True, "reviewer": "ann"})
    run = await pyworkflow.get_workflow_run(typed_id)
    assert run.status == RunStatus.COMPLETED, run
    assert run.result == "ann", run


if __name__ == "__main__":
    test_approval_workflow()
    test_mock_results()
    asyncio.run(main())
    print("context: ok")
