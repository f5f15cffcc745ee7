"""The commands behind ``pyworkflow`` (each an ``async def cmd_*(args) -> int``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from pyworkflow.config import resolve_url
from pyworkflow.engine import api
from pyworkflow.engine.copy import copy_storage
from pyworkflow.engine.errors import UnsafeSetup
from pyworkflow.engine.registry import load_file, load_target
from pyworkflow.engine.runtime import read_all
from pyworkflow.engine.worker import Worker
from pyworkflow.errors import InvalidInput, MissingDependency, NotFound
from pyworkflow.models import RunFilter, RunStatus
from pyworkflow.storage import StorageBackend

out = Console(soft_wrap=True)
err = Console(stderr=True)


def jsonable(value: Any) -> Any:
    """Models and their fields as JSON (datetimes ISO 8601, enums by value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@asynccontextmanager
async def opened(url: str | None) -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url(resolve_url(url))
    async with backend:
        yield backend


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


def _t(value: str) -> Text:
    """Stored text as a table cell or title: shown literally, never read as Rich markup (a
    name holding ``[/b]`` would otherwise crash the table, and ``[bold]`` would vanish)."""
    return Text(value)


def _row(table: Table, *cells: str) -> None:
    table.add_row(*(_t(cell) for cell in cells))


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


# -- run / worker --------------------------------------------------------------------------------


async def cmd_run(args: argparse.Namespace) -> int:
    definition = load_target(args.target)
    url = resolve_url(args.storage)
    kwargs: dict[str, Any] = {}
    for item in args.kw:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--kw takes KEY=VALUE, got {item!r}")
        kwargs[key] = _parse_value(value)
    engine = api.configure(url, inline=not args.no_wait)
    storage = await engine.storage()
    if args.no_wait and not storage.features.multi_process:
        raise UnsafeSetup(
            f"--no-wait on {storage.url.scheme}:// would leave the run in a store that ends "
            "with this process; use a durable store (e.g. sqlite:///wf.db)"
        )
    try:
        run_id = await api.start(
            definition.fn,
            *[_parse_value(a) for a in args.args],
            idempotency_key=args.idempotency_key,
            **kwargs,
        )
        if args.no_wait:
            emit_json({"run_id": run_id}) if args.json else print(run_id)
            return 0
        run = await api.wait(run_id, timeout=args.timeout)
        raw = await storage.get_run(run_id)
    finally:
        await api.shutdown()
    assert raw is not None
    if args.json:
        emit_json(
            {
                "run_id": run_id,
                "status": run.status,
                "result": raw.result,
                "error": raw.error,
                "continued_to": run.continued_to,
            }
        )
    elif run.status is RunStatus.COMPLETED:
        err.print(f"run {escape(run_id)} completed", style="green")
        result = run.result
        print(result if isinstance(result, str) else json.dumps(jsonable(raw.result)))
    else:
        err.print(f"run {escape(run_id)} ended {run.status.value}", style="red")
    if run.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        message = (raw.error or {}).get("message") if isinstance(raw.error, dict) else raw.error
        print(f"pyworkflow: error: run {run.status.value}: {message}", file=sys.stderr)
        return 1
    return 0


def _import(spec: str) -> None:
    if spec.endswith(".py") or Path(spec).is_file():
        load_file(spec)
    else:
        importlib.import_module(spec)


async def cmd_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for spec in args.imports:
        _import(spec)
    url = resolve_url(args.storage)
    engine = api.configure(url, inline=False)
    storage = await engine.storage()
    if not storage.features.multi_process:
        raise UnsafeSetup(
            f"a worker process cannot share {storage.url.scheme}:// with anyone: that store "
            "lives inside one process. Run Worker(storage) in the process that starts the runs, "
            "or use a durable store such as sqlite:///wf.db"
        )
    worker = Worker(engine, concurrency=args.concurrency, lease=args.lease, poll=args.poll)
    try:
        if args.until_idle:
            count = await worker.run_until_idle()
            err.print(f"worker {escape(worker.name)}: {count} task(s) processed, none due now")
            return 0
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, worker.stop)
        err.print(
            f"worker {escape(worker.name)} on {escape(storage.url.render())} "
            f"(concurrency {args.concurrency}); Ctrl-C stops"
        )
        await worker.run()
        return 0
    finally:
        await api.shutdown()


# -- runs ----------------------------------------------------------------------------------------


async def cmd_runs_list(args: argparse.Namespace) -> int:
    statuses = None
    if args.status:
        try:
            statuses = frozenset(RunStatus(s) for s in args.status)
        except ValueError:
            raise InvalidInput(
                f"--status must be one of {', '.join(s.value for s in RunStatus)}"
            ) from None
    async with opened(args.storage) as storage:
        page = await storage.list_runs(
            RunFilter(workflow_name=args.workflow, statuses=statuses),
            limit=args.limit,
            cursor=args.cursor,
        )
    if args.json:
        emit_json({"runs": list(page.items), "next_cursor": page.next_cursor})
        return 0
    more = f"; more with --cursor {page.next_cursor}" if page.next_cursor else ""
    table = Table(title=_t(f"{len(page.items)} run(s){more}"))
    table.add_column("id", no_wrap=True)
    for col in ("workflow", "status", "created", "completed", "result/error"):
        table.add_column(col)
    for r in page.items:
        detail = r.result if r.status is RunStatus.COMPLETED else r.error
        _row(
            table,
            r.id,
            r.workflow_name,
            r.status.value,
            _when(r.created_at),
            _when(r.completed_at),
            "" if detail is None else _short(detail, 40),
        )
    out.print(table)
    return 0


async def cmd_runs_show(args: argparse.Namespace) -> int:
    async with opened(args.storage) as storage:
        run = await storage.get_run(args.run_id)
        version = await storage.version(args.run_id)
    if run is None:
        raise NotFound(f"run {args.run_id!r} does not exist")
    if args.json:
        emit_json({**jsonable(run), "events": version})
        return 0
    table = Table(show_header=False, title=_t(f"run {run.id}"))
    for key, value in jsonable(run).items():
        if value not in (None, {}, ""):
            _row(table, key, value if isinstance(value, str) else json.dumps(value))
    _row(table, "events", str(version))
    out.print(table)
    return 0


async def cmd_runs_events(args: argparse.Namespace) -> int:
    async with opened(args.storage) as storage:
        if await storage.get_run(args.run_id) is None:
            raise NotFound(f"run {args.run_id!r} does not exist")
        events = await read_all(storage, args.run_id)
    if args.json:
        emit_json(
            [
                {
                    "sequence": e.sequence,
                    "id": e.id,
                    "type": e.type,
                    "timestamp": e.timestamp,
                    "data": e.data,
                }
                for e in events
            ]
        )
        return 0
    table = Table(title=_t(f"{len(events)} event(s) of run {args.run_id}"))
    for col in ("seq", "type", "time", "data"):
        table.add_column(col)
    for e in events:
        _row(
            table,
            str(e.sequence),
            e.type,
            e.timestamp.strftime("%H:%M:%S.%f")[:-3],
            _short({k: v for k, v in e.data.items() if k != "kind"}, 80),
        )
    out.print(table)
    return 0


async def cmd_runs_chain(args: argparse.Namespace) -> int:
    async with opened(args.storage) as storage:
        chain = await storage.chain(args.run_id)
    if args.json:
        emit_json(chain)
        return 0
    table = Table(title=f"chain of {len(chain)} run(s), oldest first")
    table.add_column("#")
    table.add_column("id", no_wrap=True)
    for col in ("status", "created"):
        table.add_column(col)
    for i, r in enumerate(chain, 1):
        _row(table, str(i), r.id, r.status.value, _when(r.created_at))
    out.print(table)
    return 0


async def cmd_runs_cancel(args: argparse.Namespace) -> int:
    api.configure(resolve_url(args.storage), inline=False)
    try:
        done = await api.cancel(args.run_id, reason=args.reason)
    finally:
        await api.shutdown()
    if args.json:
        emit_json({"run_id": args.run_id, "cancelled": done})
    else:
        print(f"run {args.run_id} cancelled" if done else f"run {args.run_id} had already ended")
    return 0


# -- hooks ---------------------------------------------------------------------------------------


async def cmd_hooks_list(args: argparse.Namespace) -> int:
    api.configure(resolve_url(args.storage), inline=False)
    try:
        hooks = await api.pending_hooks(args.run_id)
    finally:
        await api.shutdown()
    if args.json:
        emit_json(hooks)
        return 0
    table = Table(title=_t(f"{len(hooks)} pending hook(s) of run {args.run_id}"))
    table.add_column("name")
    table.add_column("token", no_wrap=True)
    for col in ("created", "expires"):
        table.add_column(col)
    for h in hooks:
        _row(table, h.name, h.token, _when(h.created_at), _when(h.expires_at))
    out.print(table)
    return 0


async def cmd_hooks_resume(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(args.payload)
    except ValueError:
        raise InvalidInput("the payload must be JSON (quote a string: '\"yes\"')") from None
    api.configure(resolve_url(args.storage), inline=False)
    try:
        done = await api.deliver_hook(args.token, payload)
    finally:
        await api.shutdown()
    if args.json:
        emit_json({"resumed": done})
    else:
        print("hook resumed" if done else "hook was already resumed or has expired")
    return 0 if done else 1


# -- delegated packages --------------------------------------------------------------------------


async def cmd_conformance(args: argparse.Namespace) -> int:
    try:
        runner = importlib.import_module("pyworkflow_conformance.runner")
    except ImportError as exc:
        raise MissingDependency(
            "the conformance suite is not installed; install it with: "
            'pip install "pyworkflow[conformance]"'
        ) from exc
    url = args.url or resolve_url(args.storage)
    extra = [a for a in args.extra if a != "--"]
    return int(await asyncio.to_thread(runner.main, url, extra) or 0)


async def cmd_bench(args: argparse.Namespace) -> int:
    return run_bench(list(args.argv))


def run_bench(argv: list[str]) -> int:
    try:
        bench = importlib.import_module("pyworkflow_benchmarks.cli")
    except ImportError:
        print(
            "pyworkflow: error: MissingDependency: the benchmarks are not installed; install "
            'them with: pip install "pyworkflow[bench]"',
            file=sys.stderr,
        )
        return 1
    return int(bench.main(argv) or 0)


# -- storage -------------------------------------------------------------------------------------


async def cmd_storage_migrate(args: argparse.Namespace) -> int:
    async with opened(args.url or args.storage) as storage:
        features = storage.features
        where = storage.url.render()
    if args.json:
        emit_json({"url": where, "ok": True, "migrations": features.migrations})
    else:
        print(f"{where}: schema is up to date")
    return 0


async def cmd_storage_copy(args: argparse.Namespace) -> int:
    async with opened(args.src) as src, opened(args.dst) as dst:
        if not src.features.durable and not args.json:
            err.print("note: the source is not durable; it holds only this process's data")

        def progress(run: Any, state: str) -> None:
            if not args.json:
                err.print(f"{state:8} {escape(run.id)}")

        report = await copy_storage(src, dst, on_run=progress)
    if args.json:
        emit_json(dataclasses.asdict(report))
    else:
        print(
            f"{report.runs} run(s): {report.copied} copied, {report.skipped} already complete, "
            f"{report.events} event(s), {report.hooks} hook(s), {report.schedules} "
            f"schedule(s) copied; {len(report.errors)} error(s)"
        )
        for line in report.errors:
            print(f"  {line}", file=sys.stderr)
    return 1 if report.errors else 0
