"""The smallest real workflow: two steps and a short durable sleep.

    uv run pyworkflow run examples/hello.py:hello world --storage sqlite:///demo.db

prints ``Hello, WORLD! (greeted at ...)``. Run it again with ``--idempotency-key demo`` twice:
the second call returns the first run's result without running anything.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pyworkflow import sleep, step, workflow


@step(retries=2, backoff="200ms")
async def shout(name: str) -> str:
    return name.upper()


@step
async def stamp(text: str) -> str:
    return f"{text} (greeted at {datetime.now(UTC):%H:%M:%S})"


@workflow
async def hello(name: str = "world") -> str:
    loud = await shout(name)
    await sleep("1s")  # durable: a crash here resumes after the sleep, shout is not re-run
    return await stamp(f"Hello, {loud}!")


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        # the store from PYWORKFLOW_STORAGE_URL / [tool.pyworkflow], else sqlite:///pyworkflow.db
        pyworkflow.configure()
        run_id = await pyworkflow.start(hello, "script")
        run = await pyworkflow.wait(run_id)
        print(run.result)

    asyncio.run(main())
