"""``pyworkflow bench``: argument parsing and the top-level run.

Exit status: 0 when every scenario that ran succeeded; 1 when a scenario failed (an error, or
contention verification found a duplicate or lost sequence), or an explicitly requested URL
could not be run; 2 for bad arguments. Missed speed targets never fail the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import engine_bench
from .discover import DEFAULT_BACKENDS, Target, default_targets, explicit_target
from .facts import machine_facts
from .goals import evaluate
from .report import markdown_table, print_report
from .results import SCHEMA_ID, BackendRun, Result, validate
from .runner import Settings, run_target
from .scenarios import SCENARIOS

__all__ = ["main"]

ALL_SCENARIOS = [*SCENARIOS, engine_bench.NAME]


def _parser(prog: str = "pyworkflow bench") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Event-append throughput and replay of pyworkflow backends, each figure "
        "beside the raw driver doing the same work in the same run.",
    )
    p.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="URL",
        help="backend URL (repeatable); default: every backend reachable here",
    )
    p.add_argument(
        "--backends",
        nargs="+",
        choices=DEFAULT_BACKENDS,
        metavar="NAME",
        help=f"without --url: only these of the default backends ({', '.join(DEFAULT_BACKENDS)})",
    )
    p.add_argument(
        "--scenarios",
        nargs="+",
        choices=ALL_SCENARIOS,
        default=ALL_SCENARIOS,
        metavar="NAME",
        help=f"scenarios to run (default all: {', '.join(ALL_SCENARIOS)})",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=3.0,
        help="seconds each scenario runs per repetition (default 3)",
    )
    p.add_argument(
        "--repetitions", type=int, default=3, help="repetitions; figures are medians (default 3)"
    )
    p.add_argument(
        "--replay-events",
        type=int,
        default=10_000,
        help="events in the replay_10k run (default 10000)",
    )
    p.add_argument(
        "--deep-events",
        type=int,
        default=100_000,
        help="events already in the run before deep_append (default 100000)",
    )
    p.add_argument("--json", metavar="OUT.json", help="write results as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="write a bar chart (PNG)")
    p.add_argument("--markdown", metavar="OUT.md", help="write the table as Markdown")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--peers",
        action="store_true",
        help="instead: a 100-step workflow on pyworkflow, DBOS Transact and pyworkflow-engine "
        "0.4.0 side by side (SQLite and PostgreSQL; --backends narrows; each peer in its own "
        "virtual environment, installed once from PyPI)",
    )
    return p


def main(argv: list[str] | None = None, *, prog: str = "pyworkflow bench") -> int:
    """Entry point of ``pyworkflow bench`` and ``python -m pyworkflow_benchmarks`` (which
    passes its own ``prog``, so its usage line names the command that was typed)."""
    args = _parser(prog).parse_args(argv)
    if args.duration < 0 or args.repetitions < 1 or args.replay_events < 1 or args.deep_events < 0:
        print(
            "pyworkflow bench: --duration >= 0, --repetitions >= 1, --replay-events >= 1, "
            "--deep-events >= 0",
            file=sys.stderr,
        )
        return 2
    if args.peers:
        return asyncio.run(_peers(args))
    settings = Settings(
        args.duration, args.repetitions, args.replay_events, args.deep_events, tuple(args.scenarios)
    )
    return asyncio.run(_main(args, settings))


async def _peers(args: argparse.Namespace) -> int:
    from .peers import run_peers
    from .peers.report import print_peers

    stores = [b for b in (args.backends or ["sqlite", "postgres"]) if b in ("sqlite", "postgres")]
    if not stores:
        print("pyworkflow bench --peers: peers run on sqlite and postgres only", file=sys.stderr)
        return 2
    results = await run_peers(stores, progress=not args.quiet)
    print_peers(results, Console(width=None if sys.stdout.isatty() else 180))
    if args.json:
        rows = [vars(r) for r in results]
        await asyncio.to_thread(
            Path(args.json).write_text, json.dumps({"peers": rows}, indent=2) + "\n"
        )
    # A peer that cannot run on a store is a finding, not a failure; ours failing is one.
    return 1 if any(r.error for r in results if r.peer == "pyworkflow") else 0


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    # Progress goes to stderr; the table to stdout, wide enough to stay readable in CI logs.
    console = Console(stderr=True)
    out = Console(width=None if sys.stdout.isatty() else 180)
    started = datetime.now(UTC)
    backends: list[BackendRun] = []
    results: list[Result] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="pwbench-") as tmp:
        if args.url:
            targets = [explicit_target(u) for u in args.url]
        else:
            targets = await default_targets(Path(tmp), args.backends)
        try:
            runnable = [t for t in targets if t.skipped is None]
            failed |= bool(args.url) and len(runnable) < len(targets)  # explicit URL unusable
            failed |= await _run_all(runnable, settings, backends, results, console, args.quiet)
            ran = iter(list(backends))  # one per runnable target, in order
            backends[:] = [
                BackendRun(t.name, t.url, t.skipped) if t.skipped else next(ran) for t in targets
            ]
        finally:
            for t in targets:
                for cleanup in t.cleanups:
                    try:
                        await cleanup()
                    except Exception as exc:
                        console.print(f"[yellow]cleanup of {t.name} failed: {exc}[/]")
    failed |= any(not r.ok for r in results)
    goals = evaluate(results)
    print_report(out, results, backends, goals)
    doc = _document(settings, started, backends, results, goals, not failed)
    problems = validate(doc)
    if problems:  # a bug in this package: say so loudly rather than write a bad file
        console.print("[red]result document does not match its schema:[/] " + "; ".join(problems))
        failed = True
    _write_outputs(args, doc, results)
    return 1 if failed else 0


def _write_outputs(args: argparse.Namespace, doc: dict[str, Any], results: list[Result]) -> None:
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(markdown_table(results))
    if args.plot and results:
        from .plot import plot

        plot(results, args.plot)


async def _run_all(
    targets: list[Target],
    settings: Settings,
    backends: list[BackendRun],
    results: list[Result],
    console: Console,
    quiet: bool,
) -> bool:
    per_backend = settings.repetitions * 2 * len(settings.scenarios)
    failed = False
    with Progress(
        TextColumn("{task.description:<44}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        task = progress.add_task("starting", total=per_backend * len(targets))
        for n, target in enumerate(targets, 1):

            def tick(desc: str, advance: int) -> None:
                progress.update(task, description=desc, advance=advance)

            try:
                run, found = await run_target(target, settings, tick)
                if engine_bench.NAME in settings.scenarios:
                    found.append(await engine_bench.run(target, settings, tick))
            except Exception as exc:
                run = BackendRun(
                    target.name, target.url, f"failed to run: {type(exc).__name__}: {exc}"
                )
                found = []
                failed = True
            backends.append(run)
            results.extend(found)
            progress.update(task, completed=per_backend * n)
    return failed


def _document(
    settings: Settings,
    started: datetime,
    backends: list[BackendRun],
    results: list[Result],
    goals: list[dict[str, Any]],
    ok: bool,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "ok": ok,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "settings": {
            "duration": settings.duration,
            "repetitions": settings.repetitions,
            "replay_events": settings.replay_events,
            "deep_events": settings.deep_events,
            "scenarios": list(settings.scenarios),
        },
        "machine": machine_facts(),
        "backends": [b.as_json() for b in backends],
        "results": [r.as_json() for r in results],
        "goals": goals,
    }
