"""continue_as_new, as the predecessor's documentation writes it: a batch job that processes
its items in pages, one run per page, and a polling workflow that forgets its arguments."""

import asyncio
import itertools

from pyworkflow import (
    RunStatus,
    continue_as_new,
    get_workflow_chain,
    get_workflow_run,
    start,
    step,
    workflow,
)

ITEMS = list(range(40))


@step()
async def fetch_batch(offset: int, size: int) -> list[int]:
    return ITEMS[offset : offset + size]


@step()
async def process(items: list[int]) -> int:
    return sum(items)


@workflow()
async def batch_processor(offset: int = 0, batch_size: int = 10) -> str:
    items = await fetch_batch(offset, batch_size)
    if not items:
        return f"done at {offset}"
    await process(items)
    continue_as_new(offset=offset + batch_size, batch_size=batch_size)


@workflow()
async def forgetful_poller() -> None:
    continue_as_new()  # no arguments: refused


async def main() -> None:
    run_id = await start(batch_processor)
    # the local runtime ran the whole chain inline; start returned the first run's id
    chain = await get_workflow_chain(run_id)
    assert chain[0].run_id == run_id
    assert len(chain) == 5, [r.status for r in chain]
    assert [r.status for r in chain[:-1]] == [RunStatus.CONTINUED_AS_NEW] * 4
    assert chain[-1].status == RunStatus.COMPLETED
    assert chain[-1].result == "done at 40"
    for older, newer in itertools.pairwise(chain):
        assert older.continued_to_run_id == newer.run_id
        assert newer.continued_from_run_id == older.run_id
    # any member gives the whole chain
    assert [r.run_id for r in await get_workflow_chain(chain[2].run_id)] == [
        r.run_id for r in chain
    ]

    # continue_as_new() with no arguments fails the run with a ValueError
    bad = await get_workflow_run(await start(forgetful_poller))
    assert bad is not None
    assert bad.status == RunStatus.FAILED
    assert "InvalidInput" in bad.error["type"], bad.error
    assert bad.continued_to_run_id is None
    print("continue_as_new: ok")


if __name__ == "__main__":
    asyncio.run(main())
