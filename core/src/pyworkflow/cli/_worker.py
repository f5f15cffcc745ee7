"""``pyworkflow worker [run]``, ``worker status|list`` and ``worker queues``.

There is no Celery: a worker claims tasks (timers, resumptions, retries, schedule firings)
from the store with a lease. Workers do not register anywhere, so ``status`` reports what the
store knows (runs waiting for a worker), and ``queues`` the kinds of task in the store's one
queue.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path

from rich.markup import escape

from pyworkflow.codec import from_micros
from pyworkflow.engine import api
from pyworkflow.engine.errors import UnsafeSetup
from pyworkflow.engine.registry import load_file
from pyworkflow.engine.runtime import read_all
from pyworkflow.engine.worker import Worker
from pyworkflow.models import RunFilter, RunStatus
from pyworkflow.storage import StorageBackend

from ._globals import (
    discover_modules,
    output_format,
    prepare_store,
    refuse_celery,
    storage_url,
)
from ._output import err, show_list
from ._runs import opened

__all__ = ["cmd_worker", "cmd_worker_queues", "cmd_worker_status", "next_timer"]


def from_micros_or_none(value: object) -> datetime | None:
    return from_micros(value) if isinstance(value, int) else None


_ACTIVE = frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.SUSPENDED})


def _import(spec: str) -> None:
    if spec.endswith(".py") or Path(spec).is_file():
        load_file(spec)
    else:
        importlib.import_module(spec)


async def next_timer(storage: StorageBackend) -> datetime | None:
    """The earliest pending sleep or step retry of any unfinished run (read from the logs,
    since tasks are not listable through the storage contract); ``None`` if there is none."""
    earliest: datetime | None = None
    cursor: str | None = None
    while True:
        page = await storage.list_runs(RunFilter(statuses=_ACTIVE), limit=1000, cursor=cursor)
        for run in page.items:
            events = await read_all(storage, run.id)
            woke = {e.data.get("pos") for e in events if e.type == "sleep.completed"}
            for e in events:
                due = None
                if e.type == "sleep.started" and e.data.get("pos") not in woke:
                    due = from_micros_or_none(e.data.get("wake_at"))
                elif e.type == "step.failed" and e.data.get("final") is False and e is events[-1]:
                    due = from_micros_or_none(e.data.get("retry_at"))
                if due is not None and (earliest is None or due < earliest):
                    earliest = due
        cursor = page.next_cursor
        if cursor is None:
            return earliest


async def cmd_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    refuse_celery(args)
    discover_modules(args)
    for spec in args.imports:
        _import(spec)
    url = storage_url(args)
    prepare_store(url)
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
            while args.include_timers:
                due = await next_timer(storage)
                if due is None:
                    break
                wait = (due - datetime.now(UTC)).total_seconds()
                await asyncio.sleep(min(max(wait, 0.0), args.poll * 20) + 0.01)
                count += await worker.run_until_idle()
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


async def cmd_worker_status(args: argparse.Namespace) -> int:
    counts = {s: 0 for s in _ACTIVE}
    async with opened(args) as storage:
        cursor: str | None = None
        while True:
            page = await storage.list_runs(RunFilter(statuses=_ACTIVE), limit=1000, cursor=cursor)
            for run in page.items:
                counts[run.status] += 1
            cursor = page.next_cursor
            if cursor is None:
                break
    err.print(
        "pyworkflow workers do not register in the store (there is no Celery); the store has "
        f"{counts[RunStatus.PENDING]} pending, {counts[RunStatus.RUNNING]} running and "
        f"{counts[RunStatus.SUSPENDED]} suspended run(s)",
        markup=False,
        highlight=False,
    )
    show_list(
        output_format(args),
        [],
        [("Worker", "name"), ("Status", "status")],
        plain="name",
        empty="no worker registry: start workers with `pyworkflow worker run`",
    )
    return 0


_QUEUES = [
    {
        "name": "resume",
        "purpose": "start or resume a run: timers, retries, hooks, children",
        "routing_key": "resume",
    },
    {"name": "schedule", "purpose": "fire a schedule", "routing_key": "schedule"},
]


async def cmd_worker_queues(args: argparse.Namespace) -> int:
    err.print(
        "one task queue in the store, claimed with leases by every worker; its task kinds:",
        markup=False,
        highlight=False,
    )
    show_list(
        output_format(args),
        _QUEUES,
        [("Name", "name"), ("Purpose", "purpose"), ("Routing Key", "routing_key")],
        plain="name",
    )
    return 0
