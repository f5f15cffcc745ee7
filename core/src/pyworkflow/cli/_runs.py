"""``pyworkflow runs ...``: list, status (alias show), logs (alias events), children, chain,
cancel. Each row carries the predecessor's keys (``run_id``, ``duration`` text ...) and ours
(``id``, ``error`` ...), so programs written against either keep working."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from pyworkflow.engine import api
from pyworkflow.engine.runtime import decoded_run, read_all
from pyworkflow.errors import InvalidInput, NotFound, PyWorkflowError
from pyworkflow.models import RunFilter, RunStatus, WorkflowRun
from pyworkflow.storage import StorageBackend

from ._globals import ensure_store_exists, output_format, storage_url
from ._output import duration, emit_json, jsonable, out, show_list, show_record

__all__ = [
    "cmd_runs_cancel",
    "cmd_runs_chain",
    "cmd_runs_children",
    "cmd_runs_list",
    "cmd_runs_logs",
    "cmd_runs_status",
    "opened",
    "run_row",
]


@asynccontextmanager
async def opened(
    args: argparse.Namespace, *, create: bool = False
) -> AsyncIterator[StorageBackend]:
    """The command's store. A read command (``create=False``) never creates a SQLite file."""
    url = storage_url(args)
    if not create:
        ensure_store_exists(url)
    backend = StorageBackend.from_url(url)
    async with backend:
        yield backend


def run_row(run: WorkflowRun, now: datetime | None = None) -> dict[str, Any]:
    """One run as a listing row: the predecessor's keys first, then ours."""
    now = now or datetime.now(UTC)
    return {
        "run_id": run.id,
        "workflow_name": run.workflow_name,
        "status": run.status.value,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "duration": duration(run.started_at, run.completed_at, now),
        **{k: v for k, v in jsonable(run).items() if k not in ("workflow_name", "status")},
    }


def _decoded(run: WorkflowRun) -> WorkflowRun:
    try:
        return decoded_run(run)
    except PyWorkflowError:  # a value this process cannot decode: show it as stored
        return run


def _statuses(values: list[str] | None) -> frozenset[RunStatus] | None:
    if not values:
        return None
    try:
        return frozenset(RunStatus(s) for s in values)
    except ValueError:
        raise InvalidInput(
            f"--status must be one of {', '.join(s.value for s in RunStatus)}"
        ) from None


def _matches(
    run: WorkflowRun, query: str | None, start: datetime | None, end: datetime | None
) -> bool:
    if query:
        text = f"{run.workflow_name} {json.dumps(run.input, default=str)}".lower()
        if query.lower() not in text:
            return False
    when = run.started_at or run.created_at
    if start is not None and when < start:
        return False
    return not (end is not None and when > end)


#: The columns of a run in `runs list` (and, with its depth, `runs children`).
_RUN_COLUMNS = [
    ("Run ID", "run_id"),
    ("Workflow", "workflow_name"),
    ("Status", "status"),
    ("Started", "started_at"),
    ("Duration", "duration"),
]


async def cmd_runs_list(args: argparse.Namespace) -> int:
    statuses = _statuses(args.status)
    filtered = bool(args.query or args.start_time or args.end_time)
    items: list[WorkflowRun] = []
    cursor = args.cursor
    async with opened(args) as storage:
        while True:  # the text and time filters are applied here: page until enough match
            page = await storage.list_runs(
                RunFilter(workflow_name=args.workflow, statuses=statuses),
                limit=args.limit if not filtered else 1000,
                cursor=cursor,
            )
            items += [
                r for r in page.items if _matches(r, args.query, args.start_time, args.end_time)
            ]
            cursor = page.next_cursor
            if not filtered or cursor is None or len(items) >= args.limit:
                break
    items = items[: args.limit]
    next_cursor = page.next_cursor if not filtered else None
    rows = [run_row(r) for r in items]
    if args.json:  # our page shape: rows plus the cursor of the next page
        emit_json({"runs": rows, "next_cursor": next_cursor})
        return 0
    more = f"; more with --cursor {next_cursor}" if next_cursor else ""
    show_list(
        output_format(args),
        rows,
        _RUN_COLUMNS,
        plain="run_id",
        title=f"{len(rows)} run(s){more}",
        empty="no runs found",
    )
    return 0


async def cmd_runs_status(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        raw = await storage.get_run(args.run_id)
        version = await storage.version(args.run_id)
    if raw is None:
        raise NotFound(f"run {args.run_id!r} does not exist")
    run = _decoded(raw)
    stored_input = run.input if isinstance(run.input, dict) else {}
    record = {
        **run_row(run),
        "input_args": stored_input.get("args", []),
        "input_kwargs": stored_input.get("kwargs", {}),
        "result": run.result,
        "error": run.error,
        "context": run.context,
        "events": version,
    }
    show_record(
        output_format(args),
        record,
        [
            ("Run ID", "run_id"),
            ("Workflow", "workflow_name"),
            ("Status", "status"),
            ("Created", "created_at"),
            ("Started", "started_at"),
            ("Completed", "completed_at"),
            ("Duration", "duration"),
            ("Input Arguments", "input_args"),
            ("Input Keyword Arguments", "input_kwargs"),
            ("Result", "result"),
            ("Error", "error"),
            ("Context", "context"),
            ("Parent", "parent_id"),
            ("Continued From", "continued_from"),
            ("Continued To", "continued_to"),
            ("Events", "events"),
        ],
        title=f"run {run.id}",
    )
    return 0


async def cmd_runs_logs(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        if await storage.get_run(args.run_id) is None:
            raise NotFound(f"run {args.run_id!r} does not exist")
        events = await read_all(storage, args.run_id)
    wanted = (args.filter or "").lower()
    rows = [
        {
            "event_id": e.id,
            "id": e.id,
            "sequence": e.sequence,
            "type": e.type,
            "timestamp": e.timestamp,
            "data": e.data,
        }
        for e in events
        if wanted in e.type.lower()
    ]
    fmt = output_format(args)
    if fmt == "plain":
        for row in rows:
            print(f"{row['sequence']}: {row['type']}")
        return 0
    show_list(
        fmt,
        rows,
        [("Seq", "sequence"), ("Type", "type"), ("Timestamp", "timestamp"), ("Data", "data")],
        plain="sequence",
        title=f"{len(rows)} event(s) of run {args.run_id}",
        empty="no events found",
    )
    return 0


async def cmd_runs_children(args: argparse.Namespace) -> int:
    statuses = _statuses(args.status)
    async with opened(args) as storage:
        if await storage.get_run(args.run_id) is None:
            raise NotFound(f"run {args.run_id!r} does not exist")
        rows: list[dict[str, Any]] = []
        frontier = [(args.run_id, 0)]
        while frontier:  # every descendant, depth first listed by level
            parent, depth = frontier.pop(0)
            for child in await storage.children(parent):
                frontier.append((child.id, depth + 1))
                if statuses is None or child.status in statuses:
                    rows.append({**run_row(child), "nesting_depth": depth + 1})
    show_list(
        output_format(args),
        rows,
        [*_RUN_COLUMNS[:3], ("Depth", "nesting_depth"), *_RUN_COLUMNS[3:]],
        plain="run_id",
        title=f"children of run {args.run_id}",
        empty="no child workflows",
    )
    return 0


async def cmd_runs_chain(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        chain = await storage.chain(args.run_id)
    rows = []
    for i, run in enumerate(chain):
        label = "START" if i == 0 else f"#{i}"
        if run.continued_to is None and i == len(chain) - 1 and i:
            label = "CURRENT"
        mark = "<--" if run.id == args.run_id else ""
        rows.append(
            {
                **run_row(run),
                "continued_from_run_id": run.continued_from,
                "continued_to_run_id": run.continued_to,
                "position": label,
                "marker": mark,
            }
        )
    show_list(
        output_format(args),
        rows,
        [
            ("", "position"),
            ("Run ID", "run_id"),
            ("Status", "status"),
            ("Started", "started_at"),
            ("Duration", "duration"),
            ("", "marker"),
        ],
        plain="run_id",
        title="Continue-As-New Chain (oldest first)",
        empty="no chain",
    )
    return 0


async def cmd_runs_cancel(args: argparse.Namespace) -> int:
    # The request is durable; its delivery is an execution of the run. With --wait this
    # process executes it (importing the workflow from where the run recorded it), so the
    # command returns once the run has really ended; without, a worker delivers it.
    api.configure(storage_url(args), inline=bool(args.wait))
    try:
        storage = await api.default_engine().storage()
        before = await storage.get_run(args.run_id)
        if before is None:
            raise NotFound(f"run {args.run_id!r} does not exist")
        done = await api.cancel(args.run_id, reason=args.reason)
        run = before
        if done and args.wait:
            try:
                run = await api.wait(args.run_id, timeout=args.timeout)
            except TimeoutError:
                run = await storage.get_run(args.run_id) or before
        else:
            run = await storage.get_run(args.run_id) or before
    finally:
        await api.shutdown()
    if output_format(args) == "json":
        emit_json({"run_id": args.run_id, "cancelled": done, "status": run.status.value})
    elif done:
        out.print(f"run {args.run_id} cancelled", markup=False, highlight=False)
    else:
        out.print(
            f"warning: run {args.run_id} had already ended ({before.status.value})",
            markup=False,
            highlight=False,
        )
    return 0
