"""``pyworkflow hooks list|info|run|resume``.

A hook's token is learned from its run's log (``hook.created``); its state from the store's
hook record. ``hooks list RUN_ID`` (our original form) is ``hooks list --run-id RUN_ID
--status pending``. A pending hook whose ``expires_at`` has passed is shown ``expired``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyworkflow.engine import api
from pyworkflow.errors import InvalidInput, NotFound
from pyworkflow.models import Hook, RunFilter
from pyworkflow.storage import StorageBackend

from ._globals import output_format, storage_url
from ._output import emit_json, out, show_list, show_record
from ._runs import opened

__all__ = ["STATUSES", "cmd_hooks_info", "cmd_hooks_list", "cmd_hooks_resume", "cmd_hooks_run"]

STATUSES = ("pending", "received", "expired", "cancelled")
_COLUMNS = [
    ("Token", "token"),
    ("Name", "name"),
    ("Status", "status"),
    ("Run ID", "run_id"),
    ("Created", "created_at"),
    ("Expires", "expires_at"),
]


def _row(hook: Hook, *, full: bool = False) -> dict[str, Any]:
    status = hook.status.value
    if status == "pending" and hook.expires_at is not None and hook.expires_at < datetime.now(UTC):
        status = "expired"
    row: dict[str, Any] = {
        "token": hook.token,
        "hook_id": hook.token,  # a hook is addressed by its token here: one id, two names
        "run_id": hook.run_id,
        "name": hook.name,
        "status": status,
        "created_at": hook.created_at,
        "expires_at": hook.expires_at,
        "has_schema": hook.schema is not None,
    }
    if full:
        row.update(received_at=hook.received_at, payload=hook.payload, payload_schema=hook.schema)
    return row


async def _hooks_of(storage: StorageBackend, run_id: str) -> list[Hook]:
    created = await storage.read(run_id, types=["hook.created"])
    hooks = []
    for event in created:
        hook = await storage.get_hook(str(event.data["token"]))
        if hook is not None:
            hooks.append(hook)
    return hooks


async def _collect(
    storage: StorageBackend, run_id: str | None, status: str | None, limit: int
) -> list[dict[str, Any]]:
    if run_id is not None:
        if await storage.get_run(run_id) is None:
            raise NotFound(f"run {run_id!r} does not exist")
        run_ids = [run_id]
    else:  # newest runs first, until `limit` hooks are found
        run_ids, cursor = [], None
        while True:
            page = await storage.list_runs(RunFilter(), limit=1000, cursor=cursor)
            run_ids += [r.id for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    rows: list[dict[str, Any]] = []
    for rid in run_ids:
        for hook in await _hooks_of(storage, rid):
            row = _row(hook)
            if status is None or row["status"] == status:
                rows.append(row)
        if len(rows) >= limit:
            break
    return rows[:limit]


async def cmd_hooks_list(args: argparse.Namespace) -> int:
    if args.run_id and args.run_id_opt and args.run_id != args.run_id_opt:
        raise InvalidInput("give the run id once (RUN_ID or --run-id)")
    run_id = args.run_id or args.run_id_opt
    status = args.status or ("pending" if args.run_id else None)
    async with opened(args) as storage:
        rows = await _collect(storage, run_id, status, args.limit)
    show_list(
        output_format(args),
        rows,
        _COLUMNS,
        plain="token",
        title="Hooks",
        empty="no hooks found",
    )
    return 0


async def cmd_hooks_info(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        hook = await storage.get_hook(args.token)
    if hook is None:
        raise NotFound("no hook with this token")
    row = _row(hook, full=True)
    show_record(
        output_format(args),
        row,
        [
            ("Token", "token"),
            ("Name", "name"),
            ("Status", "status"),
            ("Run ID", "run_id"),
            ("Created", "created_at"),
            ("Expires", "expires_at"),
            ("Received", "received_at"),
            ("Payload", "payload"),
            ("Payload Schema", "payload_schema"),
        ],
        title=f"hook {hook.name}",
    )
    return 0


async def cmd_hooks_run(args: argparse.Namespace) -> int:
    async with opened(args) as storage:
        rows = await _collect(storage, args.run_id, None, 10**6)
    fmt = output_format(args)
    if fmt == "json":
        emit_json({"run_id": args.run_id, "hook_count": len(rows), "hooks": rows})
        return 0
    show_list(
        fmt,
        rows,
        _COLUMNS,
        plain="token",
        title=f"hooks of run {args.run_id}",
        empty="this run has no hooks",
    )
    return 0


def _payload(args: argparse.Namespace) -> Any:
    given = [p for p in (args.payload, args.payload_opt, args.payload_file) if p is not None]
    if len(given) > 1:
        raise InvalidInput("give the payload once (PAYLOAD, -p/--payload or -f/--payload-file)")
    if args.payload_file is not None:
        try:
            given = [Path(args.payload_file).read_text(encoding="utf-8")]
        except OSError as exc:
            raise InvalidInput(f"cannot read the payload file: {exc}") from exc
    text = given[0] if given else "null"
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidInput("the payload must be JSON (quote a string: '\"yes\"')") from None


async def cmd_hooks_resume(args: argparse.Namespace) -> int:
    payload = _payload(args)
    if args.token is None:
        raise InvalidInput("name the hook's token (see `pyworkflow hooks list`)")
    api.configure(storage_url(args), inline=False)
    try:
        storage = await api.default_engine().storage()
        hook = await storage.get_hook(args.token)
        done = await api.deliver_hook(args.token, payload)
    finally:
        await api.shutdown()
    assert hook is not None  # deliver_hook raised NotFound otherwise
    if output_format(args) == "json":
        emit_json(
            {
                "resumed": done,
                "run_id": hook.run_id,
                "hook_id": hook.token,
                "status": "resumed" if done else _row(hook)["status"],
            }
        )
    else:
        out.print(
            "hook resumed" if done else "hook was already resumed or has expired",
            markup=False,
            highlight=False,
        )
    return 0 if done else 1
