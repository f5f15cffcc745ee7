"""A transient workflow (``durable=False``): runs in this process, stores nothing.

    uv run python examples/transient.py

Use it for short work that needs no crash recovery (a request handler's fan-out, a test):
steps run directly, ``sleep`` is ``asyncio.sleep``, and there is no run to read afterwards.
The same workflow runs durably with ``start(..., durable=True)``.
"""

from __future__ import annotations

import asyncio

from pyworkflow import get_workflow_run, sleep, start, step, workflow

SEEN: list[str] = []


@step
async def greet(name: str) -> str:
    SEEN.append(name)
    return f"hello {name}"


@workflow(durable=False, tags=["demo"])
async def quick(name: str) -> str:
    text = await greet(name)
    await sleep(0.1)
    return text


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        pyworkflow.configure()
        run_id = await start(quick, "transient")
        print("ran", SEEN, "stored:", await get_workflow_run(run_id))
        durable = await pyworkflow.wait(await start(quick, "durable", durable=True))
        print("durable run", durable.status.value, durable.result)

    asyncio.run(main())
