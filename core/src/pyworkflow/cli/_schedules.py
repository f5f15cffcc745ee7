"""``pyworkflow schedules list|create|show|pause|resume|delete|trigger|backfill|update`` and
``pyworkflow scheduler run``: the schedule API (``pyworkflow.engine.schedule_*``) from the
shell, with the predecessor's flags and table/json/plain output.

``create``, ``update`` and ``trigger`` need the workflow registered in this process: give
its module with the global ``--module`` (or ``$PYWORKFLOW_DISCOVER`` / the config file's
``module``). ``scheduler run`` is a worker loop: it fires due schedules and runs what they
start (``pyworkflow worker`` does the same).
"""

from __future__ import annotations

import argparse
from typing import Any

from pyworkflow.engine import api
from pyworkflow.engine.schedule_admin import (
    backfill_schedule,
    delete_schedule,
    get_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    trigger_schedule,
)
from pyworkflow.engine.schedule_overlap import OverlapPolicy, stored_policy
from pyworkflow.engine.schedule_spec import ScheduleSpec, create_schedule, update_schedule
from pyworkflow.engine.scheduled import LocalScheduler
from pyworkflow.errors import InvalidInput
from pyworkflow.models import Schedule, ScheduleStatus

from ._globals import discover_modules, output_format, storage_url
from ._output import emit_json, out, show_list, show_record
from ._runs import opened
from ._types import page_size, positive_seconds, when_arg

__all__ = ["add_parsers"]

POLICIES = [p.value for p in OverlapPolicy]
_COLUMNS = [
    ("Schedule ID", "schedule_id"),
    ("Workflow", "workflow_name"),
    ("Status", "status"),
    ("Schedule", "spec"),
    ("Next Run", "next_run_time"),
    ("Runs", "total_runs"),
]


def _spec_text(row: Schedule) -> str:
    if row.cron:
        return f"cron {row.cron} ({row.timezone})"
    if row.interval is not None:
        return f"every {row.interval:g}s"
    if row.calendar:
        return f"calendar ({len(row.calendar)} entries, {row.timezone})"
    return "-"


def _row(row: Schedule, *, full: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schedule_id": row.id,
        "workflow_name": row.workflow_name,
        "status": row.status.value,
        "spec": _spec_text(row),
        "overlap_policy": stored_policy(row).value,
        "next_run_time": row.next_run_at,
        "total_runs": row.total_runs,
        "created_at": row.created_at,
    }
    if full:
        record["spec"] = {"cron": row.cron, "interval": row.interval, "timezone": row.timezone}
        record.update(
            last_run_at=row.last_run_at,
            skipped_runs=row.skipped_runs,
            successful_runs=row.successful_runs,
            failed_runs=row.failed_runs,
            updated_at=row.updated_at,
        )
    return record


def _spec(args: argparse.Namespace, timezone: str = "UTC") -> ScheduleSpec | None:
    if args.cron and args.interval:
        raise InvalidInput("give --cron or --interval, not both")
    if args.cron:
        return ScheduleSpec(cron=args.cron, timezone=timezone)
    if args.interval:
        return ScheduleSpec(interval=args.interval, timezone=timezone)
    return None


async def cmd_list(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        rows = await list_schedules(
            workflow_name=args.workflow, status=args.status, limit=args.limit, storage=storage
        )
    show_list(
        output_format(args),
        [_row(r) for r in rows],
        _COLUMNS,
        plain="schedule_id",
        empty="no schedules",
    )
    return 0


async def cmd_create(args: argparse.Namespace) -> int:
    discover_modules(args)
    spec = _spec(args, args.timezone)
    if spec is None:
        raise InvalidInput("give --cron or --interval")
    async with opened(args, create=True) as storage:
        row = await create_schedule(
            args.workflow_name,
            spec,
            overlap_policy=args.overlap,
            schedule_id=args.schedule_id,
            storage=storage,
        )
    return _show(args, row, "Schedule created")


async def cmd_show(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        row = await get_schedule(args.schedule_id, storage=storage)
    return _show(args, row, f"Schedule {row.id}", full=True)


def _show(args: argparse.Namespace, row: Schedule, title: str, *, full: bool = False) -> int:
    record = _row(row, full=full)
    fields = [(label, key) for label, key in _COLUMNS]
    fields += [("Overlap", "overlap_policy"), ("Last Run", "last_run_at")]
    show_record(output_format(args), record, fields, title=title)
    return 0


async def cmd_pause(args: argparse.Namespace) -> int:
    async with opened(args, create=True) as storage:
        row = await pause_schedule(args.schedule_id, storage=storage)
    return _brief(args, {"schedule_id": row.id, "status": row.status.value}, "paused")


async def cmd_resume(args: argparse.Namespace) -> int:
    async with opened(args, create=True) as storage:
        row = await resume_schedule(args.schedule_id, storage=storage)
    record = {"schedule_id": row.id, "status": row.status.value, "next_run_time": row.next_run_at}
    return _brief(args, record, "resumed")


async def cmd_delete(args: argparse.Namespace) -> int:
    async with opened(args, create=True) as storage:
        await delete_schedule(args.schedule_id, storage=storage)
    return _brief(args, {"schedule_id": args.schedule_id, "deleted": True}, "deleted")


async def cmd_trigger(args: argparse.Namespace) -> int:
    async with opened(args, create=True) as storage:
        row = await get_schedule(args.schedule_id, storage=storage)
        run_id = await trigger_schedule(args.schedule_id, storage=storage)
    record = {
        "schedule_id": row.id,
        "triggered": True,
        "workflow_name": row.workflow_name,
        "run_id": run_id,
    }
    return _brief(args, record, f"triggered: run {run_id}")


async def cmd_backfill(args: argparse.Namespace) -> int:
    if args.start >= args.end:
        raise InvalidInput("--start must be before --end")
    async with opened(args, create=True) as storage:
        run_ids = await backfill_schedule(args.schedule_id, args.start, args.end, storage=storage)
    record = {
        "schedule_id": args.schedule_id,
        "start_time": args.start,
        "end_time": args.end,
        "runs_created": len(run_ids),
        "run_ids": run_ids,
    }
    return _brief(args, record, f"{len(run_ids)} runs started")


async def cmd_update(args: argparse.Namespace) -> int:
    spec = _spec(args)
    if spec is None and args.overlap is None:
        raise InvalidInput("give --cron, --interval or --overlap")
    async with opened(args, create=True) as storage:
        row = await update_schedule(args.schedule_id, spec, args.overlap, storage=storage)
    return _show(args, row, "Schedule updated")


def _brief(args: argparse.Namespace, record: dict[str, Any], text: str) -> int:
    if output_format(args) == "json":
        emit_json(record)
    else:
        out.print(f"schedule {record['schedule_id']}: {text}", markup=False, highlight=False)
    return 0


async def cmd_scheduler_run(args: argparse.Namespace) -> int:
    discover_modules(args)
    api.configure(storage_url(args), inline=False)
    try:
        scheduler = LocalScheduler(poll_interval=args.poll_interval)
        await scheduler.run(duration=args.duration)
    finally:
        await api.shutdown()
    return 0


def add_parsers(sub: Any, storage: Any, json_flag: Any) -> None:
    """Add ``schedules`` and ``scheduler`` to the command tree (``storage``/``json_flag`` add
    the common ``--storage`` and ``--json`` options to a parser)."""
    actions = sub.add_parser("schedules", help="manage schedules").add_subparsers(
        dest="schedules_command", required=True, metavar="ACTION"
    )
    p = actions.add_parser("list", help="schedules, newest id order")
    p.add_argument("--workflow", help="only this workflow's schedules")
    p.add_argument("--status", choices=[s.value for s in ScheduleStatus], help="only these")
    p.add_argument("--limit", type=page_size, default=20, help="1..1000 (default 20)")
    p.set_defaults(func=cmd_list)
    storage(p)
    json_flag(p)
    p = actions.add_parser("create", help="schedule a registered workflow (see --module)")
    p.add_argument("workflow_name", help="the workflow's registered name")
    _timing(p)
    p.add_argument("--timezone", default="UTC", help="IANA time zone of --cron (default UTC)")
    p.add_argument("--schedule-id", help="the schedule's id (default: a new one)")
    p.set_defaults(func=cmd_create, overlap="skip")
    storage(p)
    json_flag(p)
    for name, func, text in (
        ("show", cmd_show, "one schedule"),
        ("pause", cmd_pause, "stop starting runs (a trigger still works)"),
        ("resume", cmd_resume, "start runs again from the next slot"),
        ("trigger", cmd_trigger, "start one run now"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("schedule_id", help="the schedule's id")
        p.set_defaults(func=func)
        storage(p)
        json_flag(p)
    p = actions.add_parser("delete", help="remove a schedule (its runs stay)")
    p.add_argument("schedule_id", help="the schedule's id")
    p.add_argument("--force", action="store_true", help="accepted; nothing asks for confirmation")
    p.set_defaults(func=cmd_delete)
    storage(p)
    json_flag(p)
    p = actions.add_parser("backfill", help="start the runs of every slot in [--start, --end)")
    p.add_argument("schedule_id", help="the schedule's id")
    p.add_argument("--start", type=when_arg, required=True, help="ISO 8601; naive is UTC")
    p.add_argument("--end", type=when_arg, required=True, help="ISO 8601; naive is UTC")
    p.set_defaults(func=cmd_backfill)
    storage(p)
    json_flag(p)
    p = actions.add_parser("update", help="change the timing and/or the overlap policy")
    p.add_argument("schedule_id", help="the schedule's id")
    _timing(p)
    p.set_defaults(func=cmd_update, overlap=None)
    storage(p)
    json_flag(p)

    scheduler = sub.add_parser("scheduler", help="fire schedules in this process").add_subparsers(
        dest="scheduler_command", required=True, metavar="ACTION"
    )
    p = scheduler.add_parser("run", help="a worker loop that fires due schedules and runs them")
    p.add_argument(
        "--poll-interval", type=positive_seconds, default=5.0, help="seconds between polls (5)"
    )
    p.add_argument("--duration", type=positive_seconds, help="stop after this many seconds")
    p.set_defaults(func=cmd_scheduler_run)
    storage(p)


def _timing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cron", help='a 5-field cron expression, e.g. "0 9 * * 1-5"')
    p.add_argument("--interval", help='a duration: "30s", "1h", "1d"')
    p.add_argument("--overlap", choices=POLICIES, help="what a firing does while a run runs")
