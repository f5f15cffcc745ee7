"""The commands behind ``pyworkflow`` (each an ``async def cmd_*(args) -> int``)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rich.markup import escape

from pyworkflow.config import resolve_url
from pyworkflow.engine.copy import copy_storage
from pyworkflow.errors import InvalidInput
from pyworkflow.storage import StorageBackend

from ._globals import output_format, storage_url
from ._output import emit_json, err, jsonable, out
from ._ui import delegated, run_delegated

__all__ = [
    "cmd_bench",
    "cmd_conformance",
    "cmd_storage_copy",
    "cmd_storage_migrate",
    "emit_json",
    "err",
    "jsonable",
    "opened",
    "out",
    "run_bench",
]


@asynccontextmanager
async def opened(url: str | None) -> AsyncIterator[StorageBackend]:
    """The store at ``url`` (``None``: :func:`~pyworkflow.config.resolve_url`), connected."""
    backend = StorageBackend.from_url(resolve_url(url))
    async with backend:
        yield backend


# -- delegated packages --------------------------------------------------------------------------


async def cmd_conformance(args: argparse.Namespace) -> int:
    runner = delegated("conformance")  # MissingDependency names the install line
    url = args.url or storage_url(args)
    extra = [a for a in args.extra if a != "--"]
    return int(await asyncio.to_thread(runner, url, extra) or 0)


async def cmd_bench(args: argparse.Namespace) -> int:
    return run_bench(list(args.argv))


def run_bench(argv: list[str]) -> int:
    return run_delegated("bench", argv)


# -- storage -------------------------------------------------------------------------------------


async def cmd_storage_migrate(args: argparse.Namespace) -> int:
    async with opened(args.url or storage_url(args)) as storage:
        features = storage.features
        where = storage.url.render()
    if output_format(args) == "json":
        emit_json({"url": where, "ok": True, "migrations": features.migrations})
    else:
        print(f"{where}: schema is up to date")
    return 0


async def cmd_storage_copy(args: argparse.Namespace) -> int:
    if args.g_storage or args.g_storage_path:
        raise InvalidInput(
            "storage copy takes its two stores as SRC and DST URLs; --storage means nothing here"
        )
    as_json = output_format(args) == "json"
    async with opened(args.src) as src, opened(args.dst) as dst:
        if not src.features.durable and not as_json:
            err.print("note: the source is not durable; it holds only this process's data")

        def progress(run: Any, state: str) -> None:
            if not as_json:
                err.print(f"{state:8} {escape(run.id)}")

        report = await copy_storage(src, dst, on_run=progress)
    if as_json:
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
