"""Schedules as the predecessor's documentation writes them: @scheduled_workflow,
activate_scheduled_workflows, create_schedule with a ScheduleSpec, trigger, pause, resume,
backfill, delete, and a LocalScheduler tick that fires what is due."""

import asyncio
from datetime import UTC, datetime, timedelta

import pyworkflow
from pyworkflow import (
    CalendarSpec,
    LocalScheduler,
    OverlapPolicy,
    RunStatus,
    ScheduleSpec,
    ScheduleStatus,
    activate_scheduled_workflows,
    backfill_schedule,
    create_schedule,
    delete_schedule,
    get_schedule,
    get_scheduled_workflow,
    get_storage,
    get_workflow_run,
    list_scheduled_workflows,
    list_schedules,
    pause_schedule,
    resume_schedule,
    scheduled_workflow,
    step,
    trigger_schedule,
    update_schedule,
    workflow,
)


@scheduled_workflow(cron="0 9 * * 1-5", timezone="Europe/Paris", overlap_policy=OverlapPolicy.SKIP)
async def morning_report():
    return "sent"


@step()
async def count(n: int) -> int:
    return n + 1


@workflow()
async def tally(n: int = 0):
    return await count(n)


async def main():
    try:
        scheduled_workflow()
    except ValueError as exc:
        message = str(exc)
    else:
        raise AssertionError("a scheduled workflow without a spec was accepted")
    assert "at least one of" in message

    assert morning_report.__scheduled__ is True
    assert morning_report.__schedule_spec__.timezone == "Europe/Paris"
    assert morning_report.__overlap_policy__ == OverlapPolicy.SKIP

    # documented defaults
    assert ScheduleSpec().timezone == "UTC"
    assert (ScheduleSpec().start_at, ScheduleSpec().end_at, ScheduleSpec().jitter) == (
        None,
        None,
        None,
    )
    assert CalendarSpec().hour == 0
    assert (CalendarSpec().second, CalendarSpec().minute) == (0, 0)
    assert CalendarSpec().day_of_week is None

    meta = get_scheduled_workflow("morning_report")
    assert meta is not None
    assert meta.spec.cron == "0 9 * * 1-5"
    assert "morning_report" in list_scheduled_workflows()
    assert await activate_scheduled_workflows() == ["auto_morning_report"]
    assert await activate_scheduled_workflows() == []  # idempotent
    auto = await get_schedule("auto_morning_report")
    assert auto.status == ScheduleStatus.ACTIVE
    assert auto.next_run_time.hour in (7, 8)  # 09:00 in Paris is 07:00 or 08:00 UTC

    schedule = await create_schedule("tally", ScheduleSpec(interval="1h"), 41, schedule_id="hourly")
    assert schedule.schedule_id == "hourly"
    run_id = await trigger_schedule("hourly")
    assert isinstance(run_id, str)
    await pyworkflow.resume(run_id)  # the local runtime runs it to its end here
    triggered = await pyworkflow.get_workflow_run(run_id)
    assert triggered.status == RunStatus.COMPLETED, triggered.status
    counted = await get_schedule("hourly")
    assert (counted.total_runs, counted.successful_runs, counted.failed_runs) == (1, 1, 0)

    try:
        await create_schedule("no_such_workflow", ScheduleSpec(interval="1h"))
    except ValueError:
        pass  # an unregistered workflow
    else:
        raise AssertionError("a schedule of an unregistered workflow was created")
    updated = await update_schedule("hourly", spec=ScheduleSpec(interval="60m"))
    assert updated.next_run_time is not None
    updated = await update_schedule("hourly", overlap_policy=OverlapPolicy.ALLOW_ALL)
    assert updated.schedule_id == "hourly"

    paused = await pause_schedule("hourly")
    assert paused.status == ScheduleStatus.PAUSED
    resumed = await resume_schedule("hourly")
    assert resumed.status == ScheduleStatus.ACTIVE
    assert resumed.next_run_time is not None

    start = datetime(2026, 1, 5, tzinfo=UTC)
    ran = await backfill_schedule("hourly", start, start + timedelta(hours=3))
    assert len(ran) == 3, ran

    # workers (here a LocalScheduler in this process) fire what is due and run it
    scheduler = LocalScheduler(poll_interval=0.1)
    for _ in range(50):
        if not await scheduler.tick_once():
            break
    run = await get_workflow_run(run_id)
    assert run.status.value == "completed", run
    # run(duration=) polls until the duration is over; stop() ends it early
    assert not scheduler.is_running
    background = asyncio.create_task(scheduler.run(duration=5))
    await asyncio.sleep(0.2)
    assert scheduler.is_running
    scheduler.stop()
    await asyncio.wait_for(background, 5)
    assert not scheduler.is_running
    assert run.result == 42, run

    weekly = ScheduleSpec(calendar=[CalendarSpec(hour=8, day_of_week=0)])  # Mondays 08:00
    await create_schedule("tally", weekly, schedule_id="weekly")
    assert (await get_schedule("weekly")).next_run_time.weekday() == 0
    assert {s.schedule_id for s in await list_schedules()} >= {"hourly", "weekly"}
    mine = await list_schedules(workflow_name="tally", status=ScheduleStatus.ACTIVE, limit=100)
    assert {s.schedule_id for s in mine} == {"hourly", "weekly"}, mine
    await delete_schedule("weekly")

    # every function takes storage= (here the configured store, opened as documented)
    storage = get_storage()
    await storage.connect()
    assert (await get_schedule("hourly", storage=storage)).schedule_id == "hourly"
    assert "hourly" in {s.schedule_id for s in await list_schedules(storage=storage)}
    await storage.disconnect()
    print("schedules ok")


asyncio.run(main())
