"""The chart's axes: ratios on a linear axis from 0 with the 1.0 line (matplotlib objects)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from pyworkflow_benchmarks.measure import Summary
from pyworkflow_benchmarks.plot import figure, plot
from pyworkflow_benchmarks.results import Result


def _summary(rate: float) -> Summary:
    return Summary(rate=rate, cpu_us=1.0, conflicts=0, events=1, samples=[rate])


RESULTS = [
    # ratio 0.97 must look like 0.97, not like a tall bar against a short one.
    Result("postgres", "seq_append", "events", _summary(970), _summary(1000)),
    Result("memory", "seq_append", "events", _summary(50_000), _summary(100_000)),
    Result("postgres", "replay_10k", "events", _summary(300_000), _summary(100_000)),
    Result("postgres", "workflow_100_steps", "steps", _summary(776)),
    Result("cassandra", "seq_append", "events", _summary(10)),  # no raw: no bar
]


def _panels() -> dict[str, plt.Axes]:
    fig = figure(RESULTS)
    assert fig is not None
    return {ax.get_title(): ax for ax in fig.axes if ax.get_title()}


def _bars(ax: plt.Axes) -> dict[str, float]:
    names = [t.get_text() for t in ax.get_xticklabels()]
    return dict(zip(names, [p.get_height() for p in ax.patches], strict=True))


def test_every_panel_is_linear_from_zero_with_the_parity_line() -> None:
    panels = _panels()
    assert set(panels) == {"seq_append", "replay_10k", "workflow_100_steps"}
    for title, ax in panels.items():
        assert ax.get_yscale() == "linear", title
        bottom, top = ax.get_ylim()
        assert bottom == 0, title
        assert top >= 1.0, title
        parity = [ln for ln in ax.get_lines() if set(ln.get_ydata()) == {1.0}]
        assert len(parity) == 1, title


def test_bar_heights_are_the_ratios() -> None:
    panels = _panels()
    assert _bars(panels["seq_append"]) == pytest.approx({"postgres": 0.97, "memory": 0.5})
    # above parity, the axis grows to show the whole bar
    assert _bars(panels["replay_10k"]) == pytest.approx({"postgres": 3.0})
    assert panels["replay_10k"].get_ylim()[1] > 3.0
    # the engine's panel: steps/s over the same backend's seq_append rate
    assert _bars(panels["workflow_100_steps"]) == pytest.approx({"postgres": 0.8})
    plt.close("all")


def test_plot_writes_a_png(tmp_path: Path) -> None:
    plot(RESULTS, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
