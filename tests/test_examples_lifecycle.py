"""examples/cancellation.py and examples/children.py run as scripts on a fresh SQLite store
and check their own outcome (they exit non-zero if it is not what their docstring says)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("cancellation.py", "cancelled; released ['hold-12A']"),
        ("children.py", "watch: cancelled; audit: completed 2"),
    ],
)
def test_example_runs(tmp_path: Path, example: str, expected: str) -> None:
    env = {**os.environ, "PYWORKFLOW_STORAGE_URL": f"sqlite:///{tmp_path}/example.db"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / example)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert expected in proc.stdout
