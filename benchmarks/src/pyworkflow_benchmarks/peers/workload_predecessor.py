"""The peer workload on pyworkflow-engine 0.4.0, the predecessor (run by ``peers.run`` in its
own environment, where ``import pyworkflow`` is the predecessor).

Same contract as ``workload_ours.py``: prints ``{"steps": N, "seconds": S}``. Durable runs on
its local runtime (``start`` runs the workflow inline), storage built the way its
documentation does.
"""

import asyncio
import json
import sys
import time

from pyworkflow import configure, start, step, workflow

URL, STEPS, RUNS, CONCURRENCY = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


@step(max_retries=0)
async def noop(i: int) -> int:
    return i


@workflow(durable=True)
async def hundred(n: int) -> int:
    total = 0
    for i in range(n):
        total += await noop(i)
    return total


async def main() -> None:
    if URL.startswith("sqlite:///"):
        from pyworkflow.storage import SQLiteStorageBackend

        storage = SQLiteStorageBackend(db_path=URL[len("sqlite:///") :])
    else:
        from pyworkflow.storage import PostgresStorageBackend

        storage = PostgresStorageBackend(dsn=URL)
    await storage.connect()
    configure(storage=storage, default_durable=True)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            await start(hundred, STEPS)

    await start(hundred, 1)
    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(RUNS)))
    seconds = time.perf_counter() - t0
    print(json.dumps({"steps": STEPS * RUNS, "seconds": seconds}), flush=True)


asyncio.run(main())
