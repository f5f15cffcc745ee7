"""The URL suite, run the two ways a backend author runs it, in a clean directory.

The child pytest runs outside the workspace (no pyproject.toml, so asyncio_mode is pytest-
asyncio's default "strict"): this also proves the contract tests carry their own asyncio marks.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

AREAS_RUN = [
    "events",
    "concurrency",
    "runs",
    "tasks",
    "hooks",
    "schedules",
    "retention",
    "roundtrip",
    "errors",
]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def _table_rows(output: str) -> dict[str, list[int]]:
    """area -> [passed, failed, skipped, xfail] from the printed table's memory rows."""
    assert "pyworkflow conformance by area" in output, output[-3000:]
    rows: dict[str, list[int]] = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 6 and cells[0] == "memory":
            rows[cells[1]] = [int(c) for c in cells[2:]]
    return rows


def test_runner_main_prints_the_area_table(tmp_path: Path) -> None:
    code = "from pyworkflow_conformance.runner import main; raise SystemExit(main('memory://'))"
    proc = _run(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = _table_rows(proc.stdout)
    for area in AREAS_RUN:
        passed, failed, _, _ = rows[area]
        assert passed > 0, area
        assert failed == 0, area
    assert "TOTAL" in rows


def test_pytest_option_alone_runs_the_url_suite(tmp_path: Path) -> None:
    proc = _run(
        ["-m", "pytest", "--backend-url", "memory://", "-q", "-k", "events or hook"], tmp_path
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "url_suite.py" in proc.stdout or "passed" in proc.stdout
    rows = _table_rows(proc.stdout)
    assert rows["hooks"][0] > 0


def test_bad_url_is_a_usage_error(tmp_path: Path) -> None:
    proc = _run(["-m", "pytest", "--pyworkflow-url", "not a url"], tmp_path)
    assert proc.returncode == 4  # pytest's usage-error exit code
    assert "--pyworkflow-url" in proc.stderr


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("how", ["pyworkflow conformance", "pytest --pyworkflow-url"])
def test_unreachable_server_is_one_line_quickly(tmp_path: Path, how: str) -> None:
    """Issue 14: 105 setup errors with driver tracebacks over 72 s; now one line, exit 4."""
    pytest.importorskip("pyworkflow_postgres")
    url = f"postgresql://root:s3cretPW@127.0.0.1:{_closed_port()}/postgres"
    if how == "pytest --pyworkflow-url":
        args = ["-m", "pytest", "--pyworkflow-url", url]
    else:
        args = ["-m", "pyworkflow.cli", "conformance", url]
    started = time.monotonic()
    proc = _run(args, tmp_path)
    elapsed = time.monotonic() - started
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output[-3000:]
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[-3000:]
    assert lines[0].startswith("ERROR: cannot connect to the postgres server at postgresql://")
    assert "ConnectionRefusedError" in lines[0]
    assert "s3cretPW" not in output
    assert "Traceback" not in output
    assert elapsed < 30, elapsed
