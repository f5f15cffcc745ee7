"""Human-readable output: the rich table at the end, and the same table as Markdown."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .results import BackendRun, Result

__all__ = ["markdown_table", "notes_for", "print_report"]


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def notes_for(r: Result) -> str:
    """The short notes shown beside a figure."""
    parts: list[str] = []
    if r.error:
        return f"ERROR: {r.error}"
    if r.skipped:
        return f"skipped: {r.skipped}"
    if r.unit != "events":
        parts.append(f"unit: {r.unit}/s")
    if r.scenario == "contention_16" and r.ours:
        problems = r.extra.get("problems", [])
        verdict = "; ".join(problems) if problems else "0 duplicate/lost seqs"
        raw_c = f", raw conflicts {r.raw.conflicts}" if r.raw else ""
        parts.append(f"conflicts {r.ours.conflicts}{raw_c}; {verdict}")
    if r.scenario == "replay_10k" and "ms_ours" in r.extra:
        raw_ms = r.extra.get("ms_raw")
        raw_txt = f" vs raw {raw_ms:.1f}" if raw_ms is not None else ""
        parts.append(f"{r.extra['ms_ours']:.1f} ms per replay{raw_txt}")
    if "round_trips_per_step" in r.extra:
        parts.append(f"{r.extra['round_trips_per_step']:.2f} storage calls per step")
    for label, v in r.extra.get("raw_variants", {}).items():
        ratio = r.ours.rate / v["events_per_s"] if r.ours and v["events_per_s"] else None
        parts.append(f"{label}: {_num(v['events_per_s'])}/s (ratio {_num(ratio)})")
    parts.extend(r.notes)
    return "; ".join(parts)


def _rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        rows.append(
            [
                r.backend,
                r.scenario,
                _num(r.ours.rate if r.ours else None),
                _num(r.raw.rate if r.raw else None),
                "-" if r.ratio is None else f"{r.ratio:.2f}",
                _num(r.ours.cpu_us if r.ours else None),
                _num(r.raw.cpu_us if r.raw else None),
                notes_for(r),
            ]
        )
    return rows


HEADERS = [
    "backend",
    "scenario",
    "ours/s",
    "raw/s",
    "ours/raw",
    "CPU µs/ev",
    "raw CPU µs/ev",
    "notes",
]


def print_report(
    console: Console,
    results: list[Result],
    backends: list[BackendRun],
    goals: list[dict[str, object]],
) -> None:
    """The results table, the goals table and the skipped backends with their reasons."""
    table = Table(title="pyworkflow bench (medians)", show_lines=False)
    for h in HEADERS:
        table.add_column(
            h,
            justify="right" if h not in ("backend", "scenario", "notes") else "left",
            overflow="fold",
        )
    for row in _rows(results):
        style = "red" if row[-1].startswith("ERROR") or "lost" in row[-1] else None
        # escaped: rich would take `[postgres]` in an install line for a markup tag and drop it
        table.add_row(*(escape(cell) for cell in row), style=style)
    console.print(table)
    if goals:
        gt = Table(title="targets")
        for h in ("backend", "target", "measured", "met"):
            gt.add_column(h)
        for g in goals:
            met = {True: "[green]yes[/]", False: "[yellow]no[/]", None: "-"}[g["met"]]  # type: ignore[index]
            gt.add_row(str(g["backend"]), str(g["goal"]), _num(g["value"]), met)  # type: ignore[arg-type]
        console.print(gt)
    for b in backends:
        if b.skipped:
            console.print(f"[yellow]skipped {escape(b.name)}[/]: {escape(b.skipped)}")


def markdown_table(results: list[Result]) -> str:
    """The results as a GitHub Markdown table (for docs/benchmarks.md)."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in _rows(results):
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    return "\n".join(lines) + "\n"
