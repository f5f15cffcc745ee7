"""Cancellation as the predecessor's documentation writes it: compensation in a shielded
``except CancellationError`` block, ``cancel_workflow`` with a reason, ``wait=True``, a
swallowed cancellation, and ``False`` for a run that has already ended."""

import asyncio

import pyworkflow
from pyworkflow import (
    CancellationError,
    RunStatus,
    WorkflowNotFoundError,
    cancel_workflow,
    shield,
    sleep,
    start,
    step,
    workflow,
)
from pyworkflow.engine.events import EventType

released: list[str] = []
messages: list[str] = []


@step()
async def reserve_inventory(order_id: str) -> str:
    return f"reserved {order_id}"


@step()
async def release_inventory(order_id: str) -> None:
    released.append(order_id)


@workflow()
async def order_workflow(order_id: str) -> str:
    try:
        await reserve_inventory(order_id)
        await sleep("1h")  # waiting for payment
        return "paid"
    except CancellationError as exc:
        messages.append(str(exc))
        async with shield():
            await release_inventory(order_id)
        raise


@workflow()
async def tolerant_workflow() -> str:
    try:
        await sleep("1h")
    except CancellationError:
        print("cancellation swallowed: the workflow goes on")
    await reserve_inventory("after")
    return "finished anyway"


async def main() -> None:
    run_id = await start(order_workflow, "order-1")
    run = await pyworkflow.get_run(run_id)
    assert run.status == RunStatus.SUSPENDED, run.status

    assert await cancel_workflow(run_id, reason="Customer request") is True
    run = await pyworkflow.get_run(run_id)
    assert run.status == RunStatus.CANCELLED, run.status
    assert released == ["order-1"], released
    assert messages == ["Workflow was cancelled: Customer request"], messages

    events = await pyworkflow.get_events(run_id)
    types = [e.type for e in events]
    assert EventType.CANCELLATION_REQUESTED in types
    assert types[-1] == EventType.WORKFLOW_CANCELLED
    assert events[-1].data["reason"] == "Customer request"
    assert events[-1].data["cleanup_completed"] is True

    # already terminal: False, nothing runs again
    assert await cancel_workflow(run_id) is False
    assert released == ["order-1"]

    # wait=True returns once the run has ended
    second = await start(order_workflow, "order-2")
    assert await cancel_workflow(second, wait=True, timeout=30) is True
    assert (await pyworkflow.get_run(second)).status == RunStatus.CANCELLED
    assert released == ["order-1", "order-2"]

    # a workflow that catches the error and carries on completes
    tolerant = await start(tolerant_workflow)
    await cancel_workflow(tolerant, wait=True)
    run = await pyworkflow.get_run(tolerant)
    assert run.status == RunStatus.COMPLETED, run.status
    assert run.result == "finished anyway"

    missing = ""
    try:
        await cancel_workflow("run_does_not_exist")
    except WorkflowNotFoundError as exc:
        missing = str(exc)
    assert "run_does_not_exist" in missing, missing

    # shield() outside a workflow does nothing
    async with shield():
        pass
    print("cancellation: ok")


if __name__ == "__main__":
    asyncio.run(main())
