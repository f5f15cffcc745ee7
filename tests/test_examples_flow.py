"""examples/batch.py (continue-as-new) and examples/transient.py run and print what their
docstrings say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name: str, tmp_path: Path) -> str:
    env = {**os.environ, "PYWORKFLOW_STORAGE_URL": f"sqlite:///{tmp_path}/ex.db"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("batch.py", ["continued_as_new 0", "continued_as_new 30", "completed 40", "total 595"]),
        ("transient.py", ["ran ['transient'] stored: None", "durable run completed hello durable"]),
    ],
)
def test_example_runs(name: str, expected: list[str], tmp_path: Path) -> None:
    out = _run(name, tmp_path)
    for text in expected:
        assert text in out, out
