"""Each program in examples/ that demonstrates an engine feature runs as a script on a fresh
SQLite store, checks its own outcome (it exits non-zero when that is not what its docstring
says) and prints what the docs show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("cancellation.py", ["cancelled; released ['hold-12A']"]),
        ("children.py", ["watch: cancelled; audit: completed 2"]),
        ("retries.py", ["fetched https://example.invalid"]),
        ("step_context.py", ["A-17: 19.99 EUR (paid=False)"]),
        ("batch.py", ["continued_as_new 0", "continued_as_new 30", "completed 40", "total 595"]),
        ("transient.py", ["ran ['transient'] stored: None", "durable run completed hello durable"]),
        ("cron.py", ["slots run: True, each once: True", "counted: True, True"]),
    ],
)
def test_example_runs(tmp_path: Path, example: str, expected: list[str]) -> None:
    env = {**os.environ, "PYWORKFLOW_STORAGE_URL": f"sqlite:///{tmp_path}/example.db"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / example)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for text in expected:
        assert text in proc.stdout, proc.stdout
