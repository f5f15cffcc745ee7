"""The heartbeat notes a test that keeps running, and only that one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SLOW = """
import time

def test_slow():
    time.sleep(1.6)

def test_quick():
    pass
"""


def _run(tmp_path: Path, *args: str) -> str:
    (tmp_path / "test_beats.py").write_text(SLOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_beats.py", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_long_test_is_noted_while_it_runs(tmp_path: Path) -> None:
    out = _run(tmp_path, "--pyworkflow-heartbeat", "0.5")
    notes = [part for part in out.split("[") if part.startswith("still running")]
    assert 2 <= len(notes) <= 4, out  # at 0.5, 1.0 and 1.5 s (a busy machine may skip one)
    assert all(n.startswith("still running test_slow: ") for n in notes), out
    assert "test_quick" not in out
