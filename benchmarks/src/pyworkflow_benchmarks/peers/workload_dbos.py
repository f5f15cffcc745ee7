"""The peer workload on DBOS Transact (run by ``peers.run`` in DBOS's own environment).

Same contract as ``workload_ours.py``: prints ``{"steps": N, "seconds": S}``. DBOS's defaults,
its system database at URL (SQLite or PostgreSQL), workflows called directly (durable).
"""

import asyncio
import json
import sys
import time

from dbos import DBOS

URL, STEPS, RUNS, CONCURRENCY = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DBOS(config={"name": "pwbench", "system_database_url": URL, "run_admin_server": False})


@DBOS.step()
async def noop(i: int) -> int:
    return i


@DBOS.workflow()
async def hundred(n: int) -> int:
    total = 0
    for i in range(n):
        total += await noop(i)
    return total


async def main() -> None:
    DBOS.launch()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            await hundred(STEPS)

    await hundred(1)
    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(RUNS)))
    seconds = time.perf_counter() - t0
    print(json.dumps({"steps": STEPS * RUNS, "seconds": seconds}), flush=True)
    DBOS.destroy()


asyncio.run(main())
