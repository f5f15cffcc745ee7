"""A cron schedule fired by two workers: each slot starts exactly one run.

    uv run python examples/cron.py

The cron expression has a sixth field, seconds (``*/1``: every second), so the example needs
no long wait; a real schedule reads ``"0 9 * * 1-5"`` with ``timezone="Europe/Paris"``. Two
workers poll the same store for about four seconds; each firing is a durable task claimed by
one of them, and the run it starts carries the slot as its idempotency key, so a slot never
runs twice, whichever worker fires it and however often it is retried.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pyworkflow
from pyworkflow import RunStatus, Worker, schedule, workflow
from pyworkflow.models import RunFilter


@workflow
async def report(team: str) -> str:
    return f"report for {team}"


async def main() -> None:
    engine = pyworkflow.configure()  # the store: PYWORKFLOW_STORAGE_URL, else ./pyworkflow.db
    schedule_id = await schedule(report, "ops", cron="* * * * * */1", timezone="Europe/Paris")
    async with Worker(poll=0.1, name="worker-1"), Worker(poll=0.1, name="worker-2"):
        await asyncio.sleep(4.2)  # both workers claim the firings meanwhile
    await pyworkflow.delete_schedule(schedule_id)

    store = await engine.storage()
    runs = (await store.list_runs(RunFilter(workflow_name="report"), limit=100)).items
    slots = Counter(run.idempotency_key for run in runs)
    done = [run for run in runs if run.status is RunStatus.COMPLETED]
    print(f"{len(runs)} runs, {len(slots)} distinct slots, {len(done)} completed")
    assert len(runs) >= 3, runs  # about one a second for four seconds
    assert len(slots) == len(runs), slots  # each slot started once
    assert all(count == 1 for count in slots.values())
    print("each slot ran once")


if __name__ == "__main__":
    asyncio.run(main())
