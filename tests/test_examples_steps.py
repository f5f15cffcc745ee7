"""The step examples run as scripts on SQLite and check their own output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("example", "first_line"),
    [
        ("retries.py", "fetched https://example.invalid"),
        ("step_context.py", "A-17: 19.99 EUR (paid=False)"),
    ],
)
def test_step_example_runs(tmp_path: Path, example: str, first_line: str) -> None:
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
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == first_line
