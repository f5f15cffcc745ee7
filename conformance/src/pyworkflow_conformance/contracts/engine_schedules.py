"""Engine area: schedules fire once per slot on this backend, whatever the number of workers,
and missed slots after a downtime follow the schedule's catch-up policy.

The clock is simulated (``now`` passed to ``claim`` and ``fire``), so a day of hourly slots
takes no real waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyworkflow import workflow
from pyworkflow.engine.schedules import SCHEDULE, create_schedule_row, fire
from pyworkflow.models import RunFilter
from pyworkflow.storage import StorageBackend

from pyworkflow_conformance.helpers import aio

__all__ = ["EngineSchedulesContract"]

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)


@workflow(name="conformance_sched_noop")
async def cs_noop(label: str) -> str:
    return label


async def _worker(storage: StorageBackend, name: str, now: datetime) -> None:
    """One worker's pass at ``now``: claim what is due; fire schedule firings (the runs they
    start are not executed here: only the firings are under test)."""
    while True:
        leases = await storage.claim(name, lease=60, limit=4, now=now)
        if not leases:
            return
        for lease in leases:
            if lease.task.kind == SCHEDULE:
                await fire(storage, lease.task, now=now)
            await storage.complete(lease)


class EngineSchedulesContract:
    """Cron and calendar schedules on this backend."""

    area = "engine"

    @aio
    async def test_a_cron_schedule_fires_each_slot_once_with_four_workers(
        self, backend: StorageBackend
    ) -> None:
        row = await create_schedule_row(
            backend, cs_noop, ("x",), {}, cron="0 * * * *", schedule_id="hourly", now=T0
        )
        assert row.next_run_at == datetime(2026, 3, 1, 1, tzinfo=UTC)
        for hour in range(1, 25):  # a simulated day, four workers racing at each hour
            now = T0 + timedelta(hours=hour)
            await asyncio.gather(*(_worker(backend, f"w{i}", now) for i in range(4)))
        page = await backend.list_runs(RunFilter(workflow_name="conformance_sched_noop"), limit=100)
        keys = [r.idempotency_key for r in page.items]
        assert len(keys) == 24 == len(set(keys)), sorted(k or "" for k in keys)
        got = await backend.get_schedule("hourly")
        assert got is not None
        assert got.stats["runs"] == 24
        assert got.next_run_at == datetime(2026, 3, 2, 1, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("catchup", "window", "ran", "skipped"),
        [
            ("one", None, ["00:10"], 5),
            ("all", None, ["00:10", "00:20", "00:30", "00:40", "00:50", "01:00"], 0),
            ("all", 25 * 60, ["00:40", "00:50", "01:00"], 3),
            ("skip", None, [], 6),
        ],
    )
    @aio
    async def test_missed_slots_follow_the_catchup_policy_once_each(
        self,
        backend: StorageBackend,
        catchup: str,
        window: float | None,
        ran: list[str],
        skipped: int,
    ) -> None:
        extra: dict[str, Any] = {} if window is None else {"catchup_window": window}
        t0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)
        await create_schedule_row(
            backend,
            cs_noop,
            ("y",),
            {},
            cron="*/10 * * * *",
            schedule_id="down",
            catchup=catchup,
            now=t0,
            **extra,
        )
        # no worker ran for an hour; then three workers race at 01:00:30
        back = t0 + timedelta(hours=1)
        await asyncio.gather(*(_worker(backend, f"w{i}", back) for i in range(3)))
        page = await backend.list_runs(RunFilter(workflow_name="conformance_sched_noop"), limit=100)
        slots = sorted(
            datetime.fromtimestamp(
                int((r.idempotency_key or "").rsplit(":", 1)[1]) / 1e6, UTC
            ).strftime("%H:%M")
            for r in page.items
        )
        assert slots == ran  # each slot that runs, once
        got = await backend.get_schedule("down")
        assert got is not None
        assert got.stats["runs"] == len(ran)
        assert got.stats.get("skipped", 0) == skipped
        assert got.next_run_at == datetime(2026, 3, 1, 1, 10, tzinfo=UTC)
