"""``pyworkflow bench --peers``: the measurement and the table (the peers themselves are
installed from PyPI, so only pyworkflow's own workload runs here)."""

from __future__ import annotations

import sys
from pathlib import Path

from pyworkflow_benchmarks.peers.report import print_peers
from pyworkflow_benchmarks.peers.run import PEERS, PeerResult, _measure, ensure_env
from rich.console import Console


def test_our_workload_reports_steps_per_second(tmp_path: Path) -> None:
    python = ensure_env(PEERS[0], tmp_path)
    assert python == Path(sys.executable)  # ours needs no environment of its own
    result = _measure(python, "workload_ours.py", f"sqlite:///{tmp_path}/s.db", 2, 2)
    assert result.error is None
    assert result.steps_per_s is not None
    assert result.steps_per_s > 0


def test_a_peer_that_fails_is_reported_with_its_error(tmp_path: Path) -> None:
    result = _measure(Path(sys.executable), "workload_ours.py", "nosuchscheme://x", 1, 1)
    assert result.steps_per_s is None
    assert result.error is not None
    assert "nosuchscheme" in result.error


def test_the_table_shows_figures_and_errors_side_by_side() -> None:
    console = Console(record=True, width=200)
    print_peers(
        [
            PeerResult("pyworkflow", "postgres", "sequential", steps_per_s=1234.4),
            PeerResult("other", "postgres", "sequential", error="relation does not exist"),
        ],
        console,
    )
    text = console.export_text()
    assert "1,234" in text
    assert "error: relation does not exist" in text
