"""A workflow that survives ``kill -9``: run it, kill it mid-step, run it again.

    python examples/survive.py & sleep 3; kill -9 $!      # dies while `pack` runs
    python examples/survive.py                            # finishes the same run

The store is the first argument, else ``$PYWORKFLOW_STORAGE_URL``, else ``sqlite:///tour.db``.
Each step prints ``executing <step>`` when its body runs, which a replay never does. The
second command finds the same run (same idempotency key), waits for the dead worker's lease
(2 s) to run out, replays ``reserve`` from the log without executing it, executes ``pack``
again (the step in flight at the kill: at-least-once) and then ``ship``, and prints::

    run <id>: completed ['reserved A-17', 'packed A-17', 'shipped A-17']

The run is found by its key: delete ``tour.db`` (or use another store) to start over.
"""

from __future__ import annotations

import asyncio
import os
import sys

from pyworkflow import Worker, configure, start, step, wait, workflow


@step
async def reserve(order: str) -> str:
    print("executing reserve", flush=True)
    return f"reserved {order}"


@step
async def pack(order: str) -> str:
    print("executing pack (5 s)", flush=True)
    await asyncio.sleep(5)  # the window for kill -9
    return f"packed {order}"


@step
async def ship(order: str) -> str:
    print("executing ship", flush=True)
    return f"shipped {order}"


@workflow
async def fulfil(order: str) -> list[str]:
    return [await reserve(order), await pack(order), await ship(order)]


async def main(url: str) -> None:
    # No inline execution: a worker in this process runs the workflow, holding a 2 s lease
    # that it renews while it works. Killed, it renews nothing, and the next worker (the
    # next run of this script) claims the run once the lease has run out.
    configure(url, inline=False)
    run_id = await start(fulfil, "A-17", idempotency_key="tour-A-17")
    print(f"run {run_id}", flush=True)
    async with Worker(lease=2.0, poll=0.2):
        run = await wait(run_id, timeout=60)
    print(f"run {run_id}: {run.status.value} {run.result}", flush=True)
    if run.result != ["reserved A-17", "packed A-17", "shipped A-17"]:
        sys.exit(1)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else None
    asyncio.run(main(target or os.environ.get("PYWORKFLOW_STORAGE_URL") or "sqlite:///tour.db"))
