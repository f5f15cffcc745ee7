"""The ``pyworkflow`` command line.

Every command takes ``--storage URL`` (default: :func:`pyworkflow.config.resolve_url`) and
every read command ``--json``. Exit codes: 0 ok, 1 error (one line on stderr, no traceback for
a :class:`~pyworkflow.errors.PyWorkflowError`), 2 usage (one line on stderr: a bad or
out-of-range argument is refused by its argparse type). Stored text is printed literally,
never interpreted as Rich markup.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import NoReturn

from pyworkflow.engine.worker import DEFAULT_LEASE
from pyworkflow.errors import PyWorkflowError

from . import _commands as c
from ._types import page_size, positive_int, positive_seconds
from ._ui import run_ui

__all__ = ["build_parser", "main"]


def _storage(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        metavar="URL",
        help="storage URL (default: "
        "$PYWORKFLOW_STORAGE_URL, [tool.pyworkflow] storage, sqlite:///pyworkflow.db)",
    )


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (the usage itself is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pyworkflow", description="Durable workflows on the database you already run."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="start a workflow and wait for its result")
    p.add_argument("target", help="file.py:function or package.module:function")
    p.add_argument("args", nargs="*", help="positional arguments (JSON if they parse, else str)")
    p.add_argument(
        "--kw",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument (VALUE is JSON if it parses, else str); repeatable",
    )
    p.add_argument("--idempotency-key")
    p.add_argument("--no-wait", action="store_true", help="print the run id and return")
    p.add_argument("--timeout", type=positive_seconds, help="seconds to wait for the result")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_run)

    p = sub.add_parser("worker", help="claim and run tasks (timers, retries, hooks, starts)")
    p.add_argument("--concurrency", type=positive_int, default=4, help="tasks at once (default 4)")
    p.add_argument(
        "--lease",
        type=positive_seconds,
        default=DEFAULT_LEASE,
        help=f"lease seconds, renewed at half (default {DEFAULT_LEASE:g})",
    )
    p.add_argument(
        "--poll", type=positive_seconds, default=0.5, help="idle poll seconds (default 0.5)"
    )
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="module or file.py defining workflows to load first; repeatable",
    )
    p.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="default warning",
    )
    p.add_argument(
        "--until-idle",
        action="store_true",
        help="exit when no task is due instead of running forever",
    )
    _storage(p)
    p.set_defaults(func=c.cmd_worker)

    runs = sub.add_parser("runs", help="inspect and cancel runs").add_subparsers(
        dest="runs_command", required=True, metavar="ACTION"
    )
    p = runs.add_parser("list", help="runs, newest first")
    p.add_argument("--status", action="append", help="only this status; repeatable")
    p.add_argument("--workflow", help="only runs of this workflow name")
    p.add_argument("--limit", type=page_size, default=50, help="1..1000 (default 50)")
    p.add_argument("--cursor", help="next_cursor of a previous page (see --json)")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_runs_list)
    for name, func, text in (
        ("show", c.cmd_runs_show, "one run"),
        ("events", c.cmd_runs_events, "a run's event log"),
        ("chain", c.cmd_runs_chain, "the continue-as-new chain of a run, oldest first"),
    ):
        p = runs.add_parser(name, help=text)
        p.add_argument("run_id")
        _storage(p)
        _json(p)
        p.set_defaults(func=func)
    p = runs.add_parser("cancel", help="cancel a run and its running children")
    p.add_argument("run_id")
    p.add_argument("--reason")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_runs_cancel)

    hooks = sub.add_parser("hooks", help="list and resume hooks").add_subparsers(
        dest="hooks_command", required=True, metavar="ACTION"
    )
    p = hooks.add_parser("list", help="the hooks a run is waiting on (with their tokens)")
    p.add_argument("run_id")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_hooks_list)
    p = hooks.add_parser("resume", help="deliver a payload to a hook")
    p.add_argument("token")
    p.add_argument("payload", nargs="?", default="null", help="JSON payload (default null)")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_hooks_resume)

    p = sub.add_parser("conformance", help="run the conformance suite against a URL")
    p.add_argument("url", nargs="?")
    p.add_argument("extra", nargs=argparse.REMAINDER, help="arguments passed on to pytest")
    _storage(p)
    p.set_defaults(func=c.cmd_conformance)

    p = sub.add_parser("bench", help="benchmarks (pyworkflow-benchmarks)", add_help=False)
    p.add_argument("argv", nargs=argparse.REMAINDER)
    p.set_defaults(func=c.cmd_bench)

    p = sub.add_parser("ui", help="web UI over a store (pyworkflow-ui)", add_help=False)
    p.add_argument("argv", nargs=argparse.REMAINDER)

    storage = sub.add_parser("storage", help="schema and data management").add_subparsers(
        dest="storage_command", required=True, metavar="ACTION"
    )
    p = storage.add_parser("migrate", help="create or migrate the schema of a store")
    p.add_argument("url", nargs="?")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_storage_migrate)
    p = storage.add_parser("copy", help="copy every run with its history to another store")
    p.add_argument("src")
    p.add_argument("dst")
    _storage(p)
    _json(p)
    p.set_defaults(func=c.cmd_storage_copy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["bench"]:  # hand everything after "bench" over untouched
        return c.run_bench(args_list[1:])
    if args_list[:1] == ["ui"]:  # likewise for the web UI (its own options and --help)
        return run_ui(args_list[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(asyncio.run(args.func(args)) or 0)
    except PyWorkflowError as exc:
        message = " ".join(str(exc).split())
        print(f"pyworkflow: error: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
