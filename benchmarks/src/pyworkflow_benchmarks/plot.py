"""The PNG: one panel per scenario, a pair of bars (ours, raw) per backend, log scale.

Rates span five orders of magnitude (a list append vs a DynamoDB request), hence the log
axis; the ratio ours/raw is printed above each pair so the comparison does not depend on
reading a log scale.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt

from .results import Result

__all__ = ["plot"]


def plot(results: list[Result], path: str | Path, title: str = "pyworkflow bench") -> None:
    """Write the chart of ``results`` to ``path`` (PNG)."""
    scenarios = list(dict.fromkeys(r.scenario for r in results if r.ours))
    backends = list(dict.fromkeys(r.backend for r in results if r.ours))
    if not scenarios:
        return
    cols = min(4, len(scenarios))
    rows = math.ceil(len(scenarios) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    width = 0.38
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        by_backend = {r.backend: r for r in results if r.scenario == scenario and r.ours}
        xs = range(len(backends))
        ours = [by_backend[b].ours.rate if b in by_backend else 0 for b in backends]  # type: ignore[union-attr]
        raw = [
            by_backend[b].raw.rate if b in by_backend and by_backend[b].raw else 0  # type: ignore[union-attr]
            for b in backends
        ]
        ax.bar([x - width / 2 for x in xs], ours, width, label="pyworkflow", color="#2b6cb0")
        ax.bar([x + width / 2 for x in xs], raw, width, label="raw driver", color="#b7b7b7")
        for x, b in zip(xs, backends, strict=True):
            r = by_backend.get(b)
            if r is not None and r.ratio is not None:
                top = max(ours[x], raw[x])
                ax.annotate(
                    f"{r.ratio:.2f}x",
                    (x, top),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
        unit = next(iter(by_backend.values())).unit if by_backend else "events"
        ax.set_title(scenario, fontsize=10)
        ax.set_yscale("log")
        ax.set_ylabel(f"{unit}/s (log)", fontsize=8)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(backends, rotation=30, ha="right", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.margins(y=0.15)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=9)
    fig.suptitle(f"{title} (median events/s; label = ours/raw)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
