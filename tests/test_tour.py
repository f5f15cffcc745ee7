"""docs/tour.md's first step: examples/survive.py, killed with SIGKILL in the middle of a step,
finishes the same run when started again, without executing the step it had recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "examples" / "survive.py"


def test_survive_kill_9_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/tour.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWORKFLOW_")}
    first = subprocess.Popen(
        [sys.executable, "-u", str(PROGRAM), url],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert first.stdout is not None
        for line in first.stdout:  # until the last step but one is in flight
            seen.append(line.rstrip())
            if line.startswith("executing pack") or time.monotonic() > deadline:
                break
        assert seen[-1:] == ["executing pack (5 s)"], seen
        assert "executing reserve" in seen
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL  # killed, not finished

    second = subprocess.run(
        [sys.executable, str(PROGRAM), url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    out = second.stdout.splitlines()
    assert second.returncode == 0, second.stdout + second.stderr
    assert out[0] == seen[0]  # the same run, found by its idempotency key
    # reserve was recorded before the kill: replayed, never executed again; pack was in
    # flight (executed again: at-least-once), ship is new
    assert [line for line in out if line.startswith("executing")] == [
        "executing pack (5 s)",
        "executing ship",
    ], out
    assert out[-1].endswith("completed ['reserved A-17', 'packed A-17', 'shipped A-17']"), out
