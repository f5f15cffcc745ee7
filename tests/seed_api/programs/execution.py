"""Starting and inspecting runs, as the predecessor's documentation writes it: start's
keywords, get_workflow_run, get_workflow_events, resume, idempotency keys and the errors."""

import asyncio

from pyworkflow import (
    RunStatus,
    WorkflowNotFoundError,
    get_workflow_events,
    get_workflow_run,
    resume,
    sleep,
    start,
    step,
    workflow,
)
from pyworkflow.engine.events import EventType


@step()
async def validate(order_id: str) -> dict:
    return {"order_id": order_id, "valid": True}


@workflow(name="process_order", tags=["orders", "critical"], max_duration="1h")
async def process_order(order_id: str, priority: str = "normal") -> dict:
    order = await validate(order_id)
    await sleep("1s")
    return {**order, "priority": priority}


async def main() -> None:
    run_id = await start(process_order, "ord-1", priority="high", durable=True, runtime="local")
    run = await get_workflow_run(run_id)
    assert run is not None
    assert run.run_id == run_id
    assert run.workflow_name == "process_order"
    assert run.status == RunStatus.SUSPENDED  # the local runtime ran it until the sleep
    assert run.input_args == ["ord-1"]
    assert run.input_kwargs == {"priority": "high"}
    assert run.parent_run_id is None
    assert run.nesting_depth == 0

    await asyncio.sleep(1.1)
    result = await resume(run_id)  # after the wake time: finishes the run
    assert result == {"order_id": "ord-1", "valid": True, "priority": "high"}, result
    run = await get_workflow_run(run_id)
    assert run.status == RunStatus.COMPLETED

    events = await get_workflow_events(run_id)
    types = [e.type.value for e in events]
    assert types[0] == "workflow.started"
    assert types[-1] == "workflow.completed"
    assert events[0].type == EventType.WORKFLOW_STARTED
    assert all(e.event_id for e in events)
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)

    # idempotency: the same key gives the same run, nothing runs again
    first = await start(process_order, "ord-2", idempotency_key="order-2")
    again = await start(process_order, "ord-2", idempotency_key="order-2")
    assert first == again

    # the celery runtime stores the run for workers and returns at once
    queued = await start(process_order, "ord-3", runtime="celery")
    assert (await get_workflow_run(queued)).status == RunStatus.PENDING

    assert await get_workflow_run("no-such-run") is None
    try:
        await resume("no-such-run")
    except WorkflowNotFoundError as exc:
        missing = exc.run_id
    else:
        raise AssertionError("resume of an unknown run must raise")
    assert missing == "no-such-run"
    print("execution: ok")


if __name__ == "__main__":
    asyncio.run(main())
