"""``pyworkflow tasks list``: the stored tasks with their leases (``StorageBackend.list_tasks``).

One page, in claim order (earliest due first): each task's id, run, kind, state (``ready``,
``scheduled``, ``leased``, ``expired``), due time, the worker holding it and until when, and
its attempts. ``--json`` prints every field and the page's ``next_cursor``. The lease token is
never printed.
"""

from __future__ import annotations

import argparse
from typing import Any

from pyworkflow.task_views import TaskInfo, TaskState

from ._globals import output_format
from ._output import emit_json, jsonable, show_list
from ._runs import opened
from ._types import page_size

__all__ = ["add_parsers", "cmd_tasks_list"]

_COLUMNS = [
    ("Task ID", "task_id"),
    ("Run ID", "run_id"),
    ("Kind", "kind"),
    ("State", "state"),
    ("Due", "due_at"),
    ("Worker", "worker"),
    ("Lease Until", "lease_expires_at"),
    ("Attempts", "attempts"),
]


def _row(info: TaskInfo) -> dict[str, Any]:
    task = info.task
    return {
        "task_id": task.id,
        "run_id": task.run_id,
        "kind": task.kind,
        "state": info.state.value,
        "due_at": task.due_at,
        "worker": info.worker,
        "lease_expires_at": info.lease_expires_at,
        "attempts": task.attempts,
        "payload": task.payload,
        "created_at": task.created_at,
    }


async def cmd_tasks_list(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        page = await storage.list_tasks(
            run_id=args.run, state=args.state, limit=args.limit, cursor=args.cursor
        )
    rows = [_row(i) for i in page.items]
    if output_format(args) == "json":
        emit_json({"tasks": jsonable(rows), "next_cursor": page.next_cursor})
        return 0
    show_list(output_format(args), rows, _COLUMNS, plain="task_id", empty="no tasks")
    return 0


def add_parsers(sub: Any, storage: Any, json_flag: Any) -> None:
    """Add ``tasks list`` to the command tree (``storage``/``json_flag`` add the common
    ``--storage`` and ``--json`` options to a parser)."""
    actions = sub.add_parser("tasks", help="inspect tasks and leases").add_subparsers(
        dest="tasks_command", required=True, metavar="ACTION"
    )
    p = actions.add_parser("list", help="tasks with their leases, earliest due first")
    p.add_argument("--run", help="only this run's tasks")
    p.add_argument("--state", choices=[s.value for s in TaskState], help="only this state")
    p.add_argument("--limit", type=page_size, default=50, help="1..1000 (default 50)")
    p.add_argument("--cursor", help="next_cursor of a previous page (see --json)")
    p.set_defaults(func=cmd_tasks_list)
    storage(p)
    json_flag(p)
