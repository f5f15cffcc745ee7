"""Cancellation with compensation: a booking that releases what it reserved when cancelled.

    PYWORKFLOW_STORAGE_URL=sqlite:///demo.db uv run python examples/cancellation.py

The workflow reserves a seat, then waits (durably) for a payment that never comes. Cancelling
it wakes it with ``CancellationError`` at that wait; its ``except`` block releases the seat
inside ``shield()`` (a second cancel cannot interrupt the cleanup) and re-raises, so the run
ends ``cancelled``. The script prints the run's status and what was released.
"""

from __future__ import annotations

import asyncio

from pyworkflow import CancellationError, shield, step, wait_for_hook, workflow

RELEASED: list[str] = []


@step
async def reserve(seat: str) -> str:
    return f"hold-{seat}"


@step
async def release(hold: str) -> None:
    RELEASED.append(hold)


@workflow
async def booking(seat: str) -> str:
    hold = await reserve(seat)
    try:
        return await wait_for_hook("payment", timeout="1h")
    except CancellationError:
        async with shield():
            await release(hold)
        raise


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        # the store from PYWORKFLOW_STORAGE_URL / [tool.pyworkflow], else sqlite:///pyworkflow.db
        pyworkflow.configure()
        run_id = await pyworkflow.start(booking, "12A")
        await pyworkflow.cancel(run_id, "customer left", wait=True, timeout=30)
        run = await pyworkflow.get_run(run_id)
        print(f"{run.status.value}; released {RELEASED}")
        assert run.status is pyworkflow.RunStatus.CANCELLED
        assert RELEASED == ["hold-12A"]

    asyncio.run(main())
