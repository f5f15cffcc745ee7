"""A typed step context: the workflow sets it, every step (on any worker) reads it.

    uv run python examples/step_context.py

The context is stored with the run as plain JSON and restored on every replay; steps
may read it but not change it.
"""

from __future__ import annotations

import asyncio

from pyworkflow import StepContext, get_step_context, set_step_context, sleep, step, workflow


class Checkout(StepContext):
    order_id: str
    currency: str = "EUR"
    paid: bool = False


@step
async def price(cents: int) -> str:
    ctx = get_step_context()  # a Checkout instance
    return f"{ctx.order_id}: {cents / 100:.2f} {ctx.currency} (paid={ctx.paid})"


@workflow(context_class=Checkout)
async def checkout(order_id: str) -> list[str]:
    await set_step_context(Checkout(order_id=order_id))
    before = await price(1999)
    await sleep("100ms")  # the run suspends; the context comes back from storage
    ctx = get_step_context()
    await set_step_context(ctx.with_updates(paid=True))  # frozen: change a copy
    return [before, await price(1999)]


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        pyworkflow.configure()
        run = await pyworkflow.wait(await pyworkflow.start(checkout, "A-17"), timeout=60)
        assert run.status is pyworkflow.RunStatus.COMPLETED, run.error
        print("\n".join(run.result))
        assert run.result[1].endswith("(paid=True)")

    asyncio.run(main())
