"""Cron, calendar and time-zone schedules: pure slot arithmetic and firings on a simulated clock.

The clock is injected (``claim(now=...)``, ``fire(now=...)``): a simulated day takes no real
waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from pyworkflow import workflow
from pyworkflow.engine import configured, schedule_admin
from pyworkflow.engine.schedule_admin import (
    backfill_schedule,
    delete_schedule,
    get_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    trigger_schedule,
)
from pyworkflow.engine.schedule_specs import CalendarSpec, calendar_to_cron, next_fire_time
from pyworkflow.engine.schedules import SCHEDULE, create_schedule_row, fire
from pyworkflow.errors import InvalidInput, NotFound
from pyworkflow.models import RunFilter, ScheduleStatus
from pyworkflow.storage import StorageBackend

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


# -- slot arithmetic ---------------------------------------------------------------------------


def test_cron_keeps_local_time_across_dst() -> None:
    # Europe/Paris leaves CET (UTC+1) for CEST (UTC+2) on 2026-03-29: 09:00 local stays 09:00.
    before = next_fire_time(after=utc(2026, 3, 27), cron="0 9 * * *", timezone="Europe/Paris")
    after = next_fire_time(after=utc(2026, 3, 30), cron="0 9 * * *", timezone="Europe/Paris")
    assert before == utc(2026, 3, 27, 8)
    assert after == utc(2026, 3, 30, 7)


def test_a_nonexistent_local_time_fires_at_the_next_existing_one() -> None:
    # 02:30 does not exist in New York on 2026-03-08 (clocks jump 02:00 -> 03:00 EDT).
    nxt = next_fire_time(after=utc(2026, 3, 8), cron="30 2 * * *", timezone="America/New_York")
    assert nxt == utc(2026, 3, 8, 7)  # 03:00 EDT
    # the next day is back to 02:30 local
    later = next_fire_time(after=nxt, cron="30 2 * * *", timezone="America/New_York")
    assert later == utc(2026, 3, 9, 6, 30)


def test_calendar_day_of_week_counts_from_monday() -> None:
    assert calendar_to_cron(CalendarSpec()) == "0 0 * * * 0"  # the predecessor's defaults
    assert calendar_to_cron(CalendarSpec(minute=0, hour=8, day_of_week=0)) == "0 8 * * 1 0"
    assert calendar_to_cron({"minute": 0, "hour": 8, "day_of_week": "0-6"}) == "0 8 * * 1-7 0"
    assert calendar_to_cron(CalendarSpec(minute=0, hour=8, day_of_week="5,6")) == "0 8 * * 6,0 0"
    # 2026-11-28 is a Saturday: the next Monday 08:00 UTC is the 30th
    monday = next_fire_time(
        after=utc(2026, 11, 28), calendar=[CalendarSpec(hour=8, minute=0, day_of_week=0)]
    )
    assert monday == utc(2026, 11, 30, 8)


def test_the_earliest_of_several_specs_wins_and_bounds_apply() -> None:
    specs = [CalendarSpec(hour=12, minute=0), CalendarSpec(hour=6, minute=0)]
    assert next_fire_time(after=utc(2026, 1, 1), calendar=specs) == utc(2026, 1, 1, 6)
    start = utc(2026, 1, 5, 12)
    assert next_fire_time(after=utc(2026, 1, 1), cron="0 12 * * *", start_at=start) == start
    end = utc(2026, 1, 1, 23)
    assert next_fire_time(after=utc(2026, 1, 1, 13), cron="0 12 * * *", end_at=end) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cron": "61 * * * *"},
        {"cron": "* * *"},
        {"cron": "0 9 * * *", "timezone": "Mars/Olympus"},
        {"calendar": [{"hour": 8, "weekday": 1}]},
        {"interval": 0},
        {},
    ],
)
def test_bad_specs_are_typed_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        next_fire_time(after=utc(2026, 1, 1), **kwargs)  # type: ignore[arg-type]


# -- firings -----------------------------------------------------------------------------------


@workflow(name="sched_cron_noop")
async def noop(label: str) -> str:
    return label


@pytest_asyncio.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBackend]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/s.db"
    s = StorageBackend.from_url(url)
    await s.connect()
    try:
        with configured(s):
            yield s
    finally:
        await s.close()


async def _worker(storage: StorageBackend, name: str, now: datetime) -> None:
    """One worker's pass at ``now``: claim due schedule firings and fire them."""
    while True:
        leases = await storage.claim(name, lease=60, now=now)
        if not leases:
            return
        for lease in leases:
            if lease.task.kind == SCHEDULE:
                await fire(storage, lease.task, now=now)
            await storage.complete(lease)


async def _runs(storage: StorageBackend) -> list[str]:
    runs = (await storage.list_runs(RunFilter(workflow_name="sched_cron_noop"), limit=1000)).items
    return sorted(r.idempotency_key or "" for r in runs)


async def test_hourly_cron_fires_each_slot_once_with_four_workers(store: StorageBackend) -> None:
    row = await create_schedule_row(
        store, noop, ("x",), {}, cron="0 * * * *", schedule_id="hourly", now=T0
    )
    assert row.next_run_at == utc(2026, 3, 1, 1)
    for hour in range(1, 25):
        now = T0 + timedelta(hours=hour)
        await asyncio.gather(*(_worker(store, f"w{i}", now) for i in range(4)))
    keys = await _runs(store)
    assert len(keys) == 24 == len(set(keys))
    got = await store.get_schedule("hourly")
    assert got is not None
    assert got.stats["runs"] == 24
    assert got.stats.get("skipped", 0) == 0
    assert got.next_run_at == utc(2026, 3, 2, 1)


async def test_missed_slots_are_skipped_to_now_after_downtime(store: StorageBackend) -> None:
    await create_schedule_row(store, noop, ("x",), {}, cron="*/10 * * * *", schedule_id="d", now=T0)
    # no worker ran for an hour; the first pass fires the overdue slot once and skips the rest
    await _worker(store, "w", T0 + timedelta(hours=1))
    got = await store.get_schedule("d")
    assert got is not None
    assert len(await _runs(store)) == 1
    assert got.stats["skipped"] == 5  # 00:20 .. 01:00 (00:10 fired)
    assert got.next_run_at == utc(2026, 3, 1, 1, 10)


async def test_a_schedule_past_its_end_stops(store: StorageBackend) -> None:
    await create_schedule_row(
        store,
        noop,
        ("x",),
        {},
        calendar=[CalendarSpec(minute=0, hour=12)],
        timezone="Europe/Paris",
        end_at=utc(2026, 3, 2, 12),
        schedule_id="e",
        now=T0,
    )
    for day in range(1, 4):
        await _worker(store, "w", T0 + timedelta(days=day))
    got = await store.get_schedule("e")
    assert got is not None
    assert got.next_run_at is None
    assert len(await _runs(store)) == 2  # 03-01 11:00Z and 03-02 11:00Z


async def test_a_bad_spec_stores_nothing(store: StorageBackend) -> None:
    with pytest.raises(InvalidInput):
        await create_schedule_row(store, noop, (), {}, cron="not cron", schedule_id="bad")
    assert await store.get_schedule("bad") is None


@pytest.mark.parametrize(
    "catchup",
    [{"catchup": "sometimes"}, {"catchup": "all", "catchup_window": 0}, {"overlap": "sometimes"}],
)
async def test_a_bad_catchup_or_overlap_option_stores_nothing(
    store: StorageBackend, catchup: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        await create_schedule_row(
            store,
            noop,
            (),
            {},
            cron="0 * * * *",
            schedule_id="bad",
            **catchup,  # type: ignore[arg-type]
        )
    assert await store.get_schedule("bad") is None


# -- management --------------------------------------------------------------------------------


async def test_pause_resume_trigger_backfill_delete(store: StorageBackend) -> None:
    await create_schedule_row(store, noop, ("x",), {}, cron="0 * * * *", schedule_id="m", now=T0)
    paused = await pause_schedule("m", storage=store)
    assert paused.status is ScheduleStatus.PAUSED
    await _worker(store, "w", T0 + timedelta(hours=1))
    assert await _runs(store) == []  # paused: the firing ticks, no run starts
    # trigger starts a run even while paused
    run_id = await trigger_schedule("m", storage=store, now=T0 + timedelta(hours=1))
    assert (await store.get_run(run_id)) is not None
    # resume from 05:10: the next slot is 06:00, slots missed while paused are not replayed
    resumed = await resume_schedule("m", storage=store, now=T0 + timedelta(hours=5, minutes=10))
    assert resumed.status is ScheduleStatus.ACTIVE
    assert resumed.next_run_at == utc(2026, 3, 1, 6)
    await _worker(store, "w", T0 + timedelta(hours=6))
    assert len(await _runs(store)) == 2
    # backfill 02:00..05:00 (end excluded) starts 3 runs; again, nothing new
    ids = await backfill_schedule("m", utc(2026, 3, 1, 2), utc(2026, 3, 1, 5), storage=store)
    assert len(ids) == 3
    again = await backfill_schedule("m", utc(2026, 3, 1, 2), utc(2026, 3, 1, 5), storage=store)
    assert again == ids
    assert len(await _runs(store)) == 5
    # a backfill that covers the slot that fired (06:00) reuses that run
    six = await backfill_schedule("m", utc(2026, 3, 1, 6), utc(2026, 3, 1, 6, 1), storage=store)
    assert len(six) == 1
    assert len(await _runs(store)) == 5
    assert [r.id for r in await list_schedules(storage=store)] == ["m"]
    assert await list_schedules(workflow_name="other", storage=store) == []
    await delete_schedule("m", storage=store)
    with pytest.raises(NotFound):
        await get_schedule("m", storage=store)
    with pytest.raises(NotFound):
        await pause_schedule("m", storage=store)
    with pytest.raises(NotFound):
        await delete_schedule("m", storage=store)


async def test_backfill_rejects_bad_ranges(
    store: StorageBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_schedule_row(store, noop, ("x",), {}, cron="* * * * *", schedule_id="b", now=T0)
    with pytest.raises(InvalidInput):
        await backfill_schedule("b", utc(2026, 3, 2), utc(2026, 3, 1), storage=store)
    monkeypatch.setattr(schedule_admin, "MAX_BACKFILL", 5)  # the bound, without 10 000 slots
    with pytest.raises(InvalidInput):  # 10 minutes of per-minute slots > 5
        await backfill_schedule("b", utc(2026, 3, 1), utc(2026, 3, 1, 0, 10), storage=store)
    assert await _runs(store) == []
    assert len(await backfill_schedule("b", T0, T0 + timedelta(minutes=5), storage=store)) == 5


# -- the predecessor's API -----------------------------------------------------------------------


async def test_create_schedule_with_a_spec_and_update_it(store: StorageBackend) -> None:
    import pyworkflow

    spec = pyworkflow.ScheduleSpec(cron="0 9 * * *", interval="1h", timezone="Europe/Paris")
    row = await pyworkflow.create_schedule("sched_cron_noop", spec, "x", storage=store)
    assert row.cron == "0 9 * * *"  # cron wins over interval
    assert row.interval is None
    assert row.input["schedule"]["overlap"] == "skip"  # the predecessor's default
    assert row.next_run_at is not None
    assert row.next_run_at.astimezone(ZoneInfo("Europe/Paris")).hour == 9
    every = await pyworkflow.create_schedule(
        "sched_cron_noop", pyworkflow.ScheduleSpec(interval="30m", jitter="10s"), storage=store
    )
    assert every.interval == 1800
    assert every.jitter == 10
    updated = await pyworkflow.update_schedule(
        row.id,
        pyworkflow.ScheduleSpec(calendar=[CalendarSpec(hour=6, minute=0)]),
        "allow_all",
        storage=store,
    )
    assert updated.cron is None
    assert updated.calendar == [CalendarSpec(hour=6, minute=0).to_dict()]
    assert updated.input["schedule"]["overlap"] == "allow_all"
    assert updated.next_run_at is not None
    assert updated.next_run_at.hour == 6
    with pytest.raises(InvalidInput):
        await pyworkflow.create_schedule(
            "sched_cron_noop", pyworkflow.ScheduleSpec(), storage=store
        )
    with pytest.raises(pyworkflow.WorkflowNotFound):
        await pyworkflow.create_schedule("no_such_workflow", spec, storage=store)
    with pytest.raises(NotFound):
        await pyworkflow.update_schedule("missing", spec, storage=store)


def test_jitter_delays_the_firing_not_the_slot() -> None:
    from pyworkflow.engine.schedules import schedule_task

    slot = utc(2026, 1, 1, 12)
    dues = {schedule_task("j", slot, 30).due_at for _ in range(20)}
    assert all(slot <= d <= slot + timedelta(seconds=30) for d in dues)
    assert len(dues) > 1
    assert schedule_task("j", slot, 30).id == schedule_task("j", slot).id
