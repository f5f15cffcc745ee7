"""The PNG: one panel per scenario, one bar per backend, height = ours/raw, linear from 0.

Ratios, not rates: rates span five orders of magnitude (a list append vs a DynamoDB
request), and two bars on a log axis make 0.97x look like anything. Every panel's axis is
linear and starts at 0, with a line at 1.0 (parity with the raw driver), so a bar's height
is the ratio itself. ``workflow_100_steps`` has no raw side: its bar is the engine's steps/s
over the same backend's ``seq_append`` rate (one step is one append), labelled as such.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .results import Result

__all__ = ["figure", "plot", "ratios"]

_WORKFLOW = "workflow_100_steps"


def ratios(results: list[Result], scenario: str) -> dict[str, float]:
    """backend -> the ratio plotted for ``scenario`` (backends without one are left out)."""
    out: dict[str, float] = {}
    for r in results:
        if r.scenario != scenario or not r.ok or r.ours is None:
            continue
        if scenario == _WORKFLOW:
            seq = next(
                (
                    s
                    for s in results
                    if s.backend == r.backend and s.scenario == "seq_append" and s.ours
                ),
                None,
            )
            if seq is not None and seq.ours is not None and seq.ours.rate:
                out[r.backend] = r.ours.rate / seq.ours.rate
        elif r.ratio is not None:
            out[r.backend] = r.ratio
    return out


def figure(results: list[Result], title: str = "pyworkflow bench") -> Figure | None:
    """The chart as a matplotlib figure (None when nothing has a ratio to show)."""
    scenarios = [s for s in dict.fromkeys(r.scenario for r in results) if ratios(results, s)]
    if not scenarios:
        return None
    backends = list(dict.fromkeys(r.backend for r in results if r.ours))
    cols = min(4, len(scenarios))
    rows = math.ceil(len(scenarios) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        by_backend = ratios(results, scenario)
        shown = [b for b in backends if b in by_backend]
        xs = list(range(len(shown)))
        heights = [by_backend[b] for b in shown]
        bars = ax.bar(xs, heights, 0.6, color="#2b6cb0")
        ax.bar_label(bars, labels=[f"{h:.2f}x" for h in heights], fontsize=8, padding=2)
        ax.axhline(1.0, color="#c53030", linewidth=1, linestyle="--")
        ax.set_yscale("linear")
        # Always from 0, and always showing the 1.0 line with room for the labels.
        ax.set_ylim(0, max([1.0, *heights]) * 1.18)
        label = "steps/s ÷ seq_append/s" if scenario == _WORKFLOW else "ours / raw"
        ax.set_title(scenario, fontsize=10)
        ax.set_ylabel(label, fontsize=8)
        ax.set_xticks(xs)
        ax.set_xticklabels(shown, rotation=30, ha="right", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.axis("off")
    fig.suptitle(f"{title} (median rates; 1.0 = as fast as the raw driver)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def plot(results: list[Result], path: str | Path, title: str = "pyworkflow bench") -> None:
    """Write the chart of ``results`` to ``path`` (PNG); nothing when no ratio exists."""
    fig = figure(results, title)
    if fig is None:
        return
    fig.savefig(path, dpi=110)
    plt.close(fig)
