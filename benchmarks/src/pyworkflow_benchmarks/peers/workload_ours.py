"""The peer workload on pyworkflow itself (run as a script by ``peers.run``).

``python workload_ours.py URL STEPS RUNS CONCURRENCY`` prints one JSON line
``{"steps": N, "seconds": S}``: RUNS workflows of STEPS no-op steps, at most CONCURRENCY at a
time, each started inline (``start`` runs it to completion in this process).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from pyworkflow import configure, shutdown, start, step, workflow


@step(retries=0)
async def noop(i: int) -> int:
    return i


@workflow
async def hundred(n: int) -> int:
    total = 0
    for i in range(n):
        total += await noop(i)
    return total


async def main(url: str, steps: int, runs: int, concurrency: int) -> None:
    configure(url)
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await start(hundred, steps)

    await start(hundred, 1)  # open the store and create its schema outside the timing
    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(runs)))
    seconds = time.perf_counter() - t0
    await shutdown()
    print(json.dumps({"steps": steps * runs, "seconds": seconds}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
