"""The ``pyworkflow`` command line.

Every command that opens one store takes ``--storage URL`` (default:
:func:`pyworkflow.config.resolve_url`); ``storage copy`` takes its two URLs as arguments and
``bench`` its own ``--url``. Commands that print a table take ``--json``.
Exit codes: 0 ok, 1 error (one line on stderr, no traceback for
a :class:`~pyworkflow.errors.PyWorkflowError`), 2 usage (one line on stderr: a bad or
out-of-range argument is refused by its argparse type). Stored text is printed literally,
never interpreted as Rich markup.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from pyworkflow.engine.worker import DEFAULT_LEASE
from pyworkflow.errors import PyWorkflowError

from . import _commands as c
from . import _hooks as hooks_cmd
from . import _runs as runs_cmd
from . import _schedules as schedules_cmd
from . import _setup as setup_cmd
from . import _tasks as tasks_cmd
from . import _worker as worker_cmd
from . import _workflows as workflows_cmd
from ._globals import add_global_options, apply_verbosity
from ._types import page_size, positive_int, positive_seconds, when_arg
from ._ui import run_ui

__all__ = ["build_parser", "main"]


def _storage(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        metavar="URL",
        help="storage URL (default: the global --storage, "
        "$PYWORKFLOW_STORAGE_URL, [tool.pyworkflow] storage, sqlite:///pyworkflow.db)",
    )


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="same as the global --output json")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (the usage itself is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _runs_parser(sub: Any) -> None:
    runs = sub.add_parser("runs", help="inspect and cancel runs").add_subparsers(
        dest="runs_command", required=True, metavar="ACTION"
    )
    p = runs.add_parser("list", help="runs, newest first")
    p.add_argument(
        "--status", action="append", help="only this status (a RunStatus value); repeatable"
    )
    p.add_argument("--workflow", help="only runs of this workflow name")
    p.add_argument("-q", "--query", help="case-insensitive text in the workflow name or the input")
    p.add_argument(
        "--start-time", type=when_arg, help="only runs started at or after (ISO 8601, UTC)"
    )
    p.add_argument(
        "--end-time", type=when_arg, help="only runs started at or before (ISO 8601, UTC)"
    )
    p.add_argument(
        "--limit", type=page_size, default=20, help="1..1000 (default 20, as the predecessor)"
    )
    p.add_argument("--cursor", help="next_cursor of a previous page (see --json)")
    _storage(p)
    _json(p)
    p.set_defaults(func=runs_cmd.cmd_runs_list)
    for names, func, text in (
        (("status", "show"), runs_cmd.cmd_runs_status, "one run (`show` is an alias)"),
        (("logs", "events"), runs_cmd.cmd_runs_logs, "a run's event log (`events` is an alias)"),
        (("chain",), runs_cmd.cmd_runs_chain, "the continue-as-new chain of a run, oldest first"),
        (("children",), runs_cmd.cmd_runs_children, "the child runs of a run, at every depth"),
    ):
        p = runs.add_parser(names[0], aliases=list(names[1:]), help=text)
        p.add_argument("run_id", help="the run's id")
        if func is runs_cmd.cmd_runs_logs:
            p.add_argument("--filter", help="only events whose type contains this text")
        if func is runs_cmd.cmd_runs_children:
            p.add_argument("--status", action="append", help="only this status; repeatable")
        _storage(p)
        _json(p)
        p.set_defaults(func=func)
    p = runs.add_parser("cancel", help="cancel a run and its running children")
    p.add_argument("run_id", help="the run's id")
    p.add_argument("--reason", help="recorded with the cancellation")
    p.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="wait until the run has ended (default --no-wait)",
    )
    p.add_argument(
        "--timeout", type=positive_seconds, default=30.0, help="seconds --wait waits (30)"
    )
    _storage(p)
    p.set_defaults(func=runs_cmd.cmd_runs_cancel)


def _workflows_parser(sub: Any) -> None:
    wf = sub.add_parser("workflows", help="the workflows of --module").add_subparsers(
        dest="workflows_command", required=True, metavar="ACTION"
    )
    p = wf.add_parser("list", help="registered workflows")
    _json(p)
    p.set_defaults(func=workflows_cmd.cmd_workflows_list)
    p = wf.add_parser("info", help="one registered workflow")
    p.add_argument("name", help="the workflow's registered name")
    _json(p)
    p.set_defaults(func=workflows_cmd.cmd_workflows_info)
    p = wf.add_parser("run", help="start a registered workflow by name and wait for it")
    p.add_argument("name", nargs="?", help="the workflow's registered name")
    p.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument (VALUE is JSON if it parses, else str); repeatable",
    )
    p.add_argument("--args-json", metavar="JSON", help="keyword arguments as a JSON object")
    p.add_argument(
        "--durable",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="every run is durable here; --no-durable is refused",
    )
    p.add_argument("--idempotency-key", help="a second start with this key returns the same run")
    p.add_argument("--no-wait", action="store_true", help="print the run id and return")
    p.add_argument("--debug", action="store_true", help="accepted for compatibility; no effect")
    _storage(p)
    p.set_defaults(func=workflows_cmd.cmd_workflows_run)


def _worker_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--concurrency",
        "-c",
        type=positive_int,
        default=4,
        metavar="N",
        help="tasks at once (default 4)",
    )
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
        "-l",
        "--loglevel",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="log level (default warning)",
    )
    p.add_argument(
        "--until-idle",
        action="store_true",
        help="exit when no task is due instead of running forever",
    )
    p.add_argument(
        "--include-timers",
        action="store_true",
        help="with --until-idle: also wait for pending sleeps and step retries to fall due",
    )
    _storage(p)
    p.set_defaults(func=worker_cmd.cmd_worker)


def _worker_parser(sub: Any) -> None:
    w = sub.add_parser(
        "worker", help="claim and run tasks (timers, retries, hooks, starts); `worker run`"
    )
    _worker_options(w)
    actions = w.add_subparsers(dest="worker_command", required=False, metavar="[ACTION]")
    _worker_options(actions.add_parser("run", help="the same as `pyworkflow worker`"))
    p = actions.add_parser(
        "status", aliases=["list"], help="what the store knows of the work (no worker registry)"
    )
    _storage(p)
    _json(p)
    p.set_defaults(func=worker_cmd.cmd_worker_status)
    p = actions.add_parser("queues", help="the kinds of task in the store's queue")
    _json(p)
    p.set_defaults(func=worker_cmd.cmd_worker_queues)


def _hooks_parser(sub: Any) -> None:
    hooks = sub.add_parser("hooks", help="list and resume hooks").add_subparsers(
        dest="hooks_command", required=True, metavar="ACTION"
    )
    p = hooks.add_parser("list", help="hooks with their tokens (RUN_ID: that run's pending ones)")
    p.add_argument("run_id", nargs="?", help="a run: its pending hooks (--status widens it)")
    p.add_argument("--run-id", dest="run_id_opt", help="only hooks of this run")
    p.add_argument("--status", choices=hooks_cmd.STATUSES, help="only hooks in this state")
    p.add_argument("--limit", type=page_size, default=20, help="1..1000 (default 20)")
    _storage(p)
    _json(p)
    p.set_defaults(func=hooks_cmd.cmd_hooks_list)
    p = hooks.add_parser("info", help="one hook, with its payload")
    p.add_argument("token", help="the hook's token")
    _storage(p)
    _json(p)
    p.set_defaults(func=hooks_cmd.cmd_hooks_info)
    p = hooks.add_parser("run", help="every hook of one run")
    p.add_argument("run_id", help="the run's id")
    _storage(p)
    _json(p)
    p.set_defaults(func=hooks_cmd.cmd_hooks_run)
    p = hooks.add_parser("resume", help="deliver a payload to a hook")
    p.add_argument("token", nargs="?", help="the hook's token (see `hooks list`)")
    p.add_argument("payload", nargs="?", help="JSON payload (default null)")
    p.add_argument("-p", "--payload", dest="payload_opt", metavar="JSON", help="JSON payload")
    p.add_argument("-f", "--payload-file", metavar="PATH", help="file holding the JSON payload")
    _storage(p)
    p.set_defaults(func=hooks_cmd.cmd_hooks_resume)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pyworkflow", description="Durable workflows on the database you already run."
    )
    add_global_options(parser)
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
    p.add_argument("--idempotency-key", help="a second start with this key returns the same run")
    p.add_argument("--no-wait", action="store_true", help="print the run id and return")
    p.add_argument("--timeout", type=positive_seconds, help="seconds to wait for the result")
    _storage(p)
    p.set_defaults(func=workflows_cmd.cmd_run)

    _workflows_parser(sub)
    _worker_parser(sub)
    _runs_parser(sub)
    _hooks_parser(sub)
    setup_cmd.add_parsers(sub)
    schedules_cmd.add_parsers(sub, _storage, _json)
    tasks_cmd.add_parsers(sub, _storage, _json)

    p = sub.add_parser("conformance", help="run the conformance suite against a URL")
    p.add_argument("url", nargs="?", help="storage URL (default: the configured store)")
    p.add_argument("extra", nargs=argparse.REMAINDER, help="arguments passed on to pytest")
    _storage(p)
    p.set_defaults(func=c.cmd_conformance)

    p = sub.add_parser("bench", help="benchmarks (pyworkflow-benchmarks)", add_help=False)
    p.add_argument("argv", nargs=argparse.REMAINDER, help="arguments of the benchmarks")
    p.set_defaults(func=c.cmd_bench)

    p = sub.add_parser("ui", help="web UI over a store (pyworkflow-ui)", add_help=False)
    p.add_argument("argv", nargs=argparse.REMAINDER, help="arguments of the web UI")

    storage = sub.add_parser("storage", help="schema and data management").add_subparsers(
        dest="storage_command", required=True, metavar="ACTION"
    )
    p = storage.add_parser("migrate", help="create or migrate the schema of a store")
    p.add_argument("url", nargs="?", help="storage URL (default: the configured store)")
    _storage(p)
    p.set_defaults(func=c.cmd_storage_migrate)
    p = storage.add_parser("copy", help="copy every run with its history to another store")
    p.add_argument("src", help="URL of the store to copy from")
    p.add_argument("dst", help="URL of the store to copy to")
    p.set_defaults(func=c.cmd_storage_copy)
    return parser


_VALUED = {"--output", "--module", "--runtime", "--storage", "--storage-path"}


def _command_at(argv: list[str]) -> int:
    """The index of the command word (after the global options), or len(argv)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in _VALUED:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return i
    return i


def _conformance_args(rest: list[str]) -> tuple[str | None, list[str]]:
    """``conformance``'s own words: a URL (the first word with ``://``), ``--storage URL``;
    everything else is pytest's (so ``-k events`` or ``-x`` need no URL before them)."""
    url, extra, i = None, [], 0
    while i < len(rest):
        word = rest[i]
        if word == "--storage" and i + 1 < len(rest):
            url, i = rest[i + 1], i + 2
            continue
        if word.startswith("--storage="):
            url = word.partition("=")[2]
        elif url is None and "://" in word and not word.startswith("-"):
            url = word
        elif word != "--":
            extra.append(word)
        i += 1
    return url, extra


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    at = _command_at(args_list)
    word = args_list[at] if at < len(args_list) else None
    rest = args_list[at + 1 :]
    parser = build_parser()
    if word == "bench":  # hand everything after "bench" over untouched
        return c.run_bench(rest)
    if word == "ui":  # likewise for the web UI (its own options and --help)
        return run_ui(rest)
    try:
        if word == "conformance" and not {"-h", "--help"} & set(rest):
            args = parser.parse_args(args_list[: at + 1])
            args.url, args.extra = _conformance_args(rest)
        else:
            args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    apply_verbosity(args)
    try:
        return int(asyncio.run(args.func(args)) or 0)
    except PyWorkflowError as exc:
        if args.g_verbose:
            raise
        message = " ".join(str(exc).split())
        print(f"pyworkflow: error: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
