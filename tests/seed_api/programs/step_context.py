"""The step context as the predecessor's documentation writes it: a StepContext subclass,
@workflow(context_class=...), set in the workflow, read (not written) in steps."""

import asyncio

from pydantic import ValidationError
from pyworkflow import (
    StepContext,
    get_step_context,
    get_workflow_events,
    get_workflow_run,
    has_step_context,
    set_step_context,
    start,
    step,
    workflow,
)

SEEN = []


class OrderContext(StepContext):
    workspace_id: str = ""
    user_id: str = ""
    request_id: str = ""


@step()
async def process_data(value: int) -> int:
    ctx = get_step_context()
    SEEN.append(("step", type(ctx).__name__, ctx.workspace_id, ctx.request_id))
    try:
        await set_step_context(ctx.with_updates(user_id="intruder"))
    except RuntimeError:
        SEEN.append(("read-only", True))
    return value * 2


@workflow(context_class=OrderContext)
async def my_workflow(user_id: str) -> int:
    SEEN.append(("has before", has_step_context()))
    ctx = OrderContext(workspace_id="ws-123", user_id=user_id)
    await set_step_context(ctx)
    SEEN.append(("has after", has_step_context()))
    first = await process_data(1)
    ctx = get_step_context()
    ctx = ctx.with_updates(request_id="req-456")
    await set_step_context(ctx)
    try:
        await set_step_context({"workspace_id": "not a context"})
    except TypeError:
        SEEN.append(("type check", True))
    return first + await process_data(2)


async def main() -> None:
    ctx = OrderContext(workspace_id="ws", user_id="u")
    try:
        ctx.user_id = "other"
    except ValidationError:
        pass
    else:
        raise AssertionError("a StepContext must be frozen")
    try:
        OrderContext(unknown="x")
    except ValidationError:
        pass
    else:
        raise AssertionError("a StepContext must forbid unknown fields")
    assert OrderContext.from_dict(ctx.to_dict()) == ctx
    assert ctx.with_updates(user_id="v").user_id == "v"
    assert ctx.user_id == "u"

    run_id = await start(my_workflow, "user-1")
    assert SEEN == [
        ("has before", False),
        ("has after", True),
        ("step", "OrderContext", "ws-123", ""),
        ("read-only", True),
        ("type check", True),
        ("step", "OrderContext", "ws-123", "req-456"),
        ("read-only", True),
    ], SEEN
    # set_step_context records context.updated and keeps the context with the run
    types = [e.type.value for e in await get_workflow_events(run_id)]
    assert types.count("context.updated") == 2, types
    assert "context.updated" in types
    stored = await get_workflow_run(run_id)
    assert stored.context["request_id"] == "req-456", stored.context
    assert stored.context["workspace_id"] == "ws-123", stored.context
    print("step_context: ok")


if __name__ == "__main__":
    asyncio.run(main())
