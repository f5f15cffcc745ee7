"""A batch job that continues as new after each page, so no run's log grows without bound.

    uv run python examples/batch.py

prints the chain: one run per page of 10 items, each ``continued_as_new`` to the next, the
last ``completed``. In the inline mode ``start()`` runs the whole chain; with workers
(``configure(inline=False)`` + ``pyworkflow worker``) each successor is started by a worker.
"""

from __future__ import annotations

import asyncio

from pyworkflow import continue_as_new, get_workflow_chain, start, step, workflow

ITEMS = list(range(35))


@step
async def fetch(offset: int, size: int) -> list[int]:
    return ITEMS[offset : offset + size]


@step
async def total(items: list[int]) -> int:
    return sum(items)


@workflow
async def batch(offset: int = 0, size: int = 10, done: int = 0) -> int:
    items = await fetch(offset, size)
    if not items:
        return done
    done += await total(items)
    # at least one argument: a bare continue_as_new() would start over forever
    continue_as_new(offset=offset + size, size=size, done=done)


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        pyworkflow.configure()  # PYWORKFLOW_STORAGE_URL, [tool.pyworkflow], else sqlite
        first = await start(batch)
        chain = await get_workflow_chain(first)
        for run in chain:
            print(run.id, run.status.value, run.input["kwargs"].get("offset", 0))
        print("total", chain[-1].result)

    asyncio.run(main())
