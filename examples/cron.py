"""A cron schedule: the workflow runs on every slot of a cron expression, once per slot.

    uv run python examples/cron.py

``@scheduled_workflow(cron=...)`` registers the workflow with its schedule;
``activate_scheduled_workflows()`` stores the schedule (once, whatever the number of
processes); any worker, here a ``LocalScheduler`` in this process, fires each due slot exactly
once and runs what it starts. The cron expression has a sixth field (seconds) so the demo
fires every second; a real one reads ``"0 9 * * 1-5"`` with ``timezone="Europe/Paris"``.
"""

from __future__ import annotations

import asyncio
import sys

from pyworkflow import (
    LocalScheduler,
    RunStatus,
    activate_scheduled_workflows,
    get_schedule,
    scheduled_workflow,
    step,
)
from pyworkflow.engine.api import default_engine
from pyworkflow.models import RunFilter


@step
async def report(label: str) -> str:
    return f"report {label}"


@scheduled_workflow(cron="* * * * * *", name="cron_report")  # every second
async def cron_report() -> str:
    return await report("daily")


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        pyworkflow.configure()
        print("activated", await activate_scheduled_workflows())
        scheduler = LocalScheduler(poll_interval=0.1)
        await scheduler.run(duration=2.5)
        storage = await default_engine().storage()
        page = await storage.list_runs(RunFilter(workflow_name="cron_report"), limit=100)
        runs = page.items
        row = await get_schedule("auto_cron_report")
        keys = [r.idempotency_key for r in runs]
        completed = sum(r.status is RunStatus.COMPLETED for r in runs)
        once = len(keys) == len(set(keys))
        print(f"slots run: {len(runs) >= 2}, each once: {once}")
        print(f"counted: {row.total_runs == len(runs)}, {row.successful_runs == completed}")
        if len(runs) < 2 or not once or row.total_runs != len(runs):
            sys.exit(1)

    asyncio.run(main())
