"""The conformance command as the docs show it: pytest arguments with no URL before them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_conformance_k_area_without_a_url_outside_the_repository(tmp_path: Path) -> None:
    """`pyworkflow conformance -k hooks` (docs/engine.md): no URL, so the configured store's
    backend (the default, SQLite) is tested; `-k` selects the area; pytest-asyncio says
    nothing about its loop scope although no project configuration is found here."""
    pytest.importorskip("pyworkflow_conformance")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYWORKFLOW_", "PYTEST_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pyworkflow.cli", "conformance", "-k", "hooks", "--co", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    selected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert len(selected) >= 5, output
    assert all("TestConformance::" in line for line in selected), output
    assert "Deprecation" not in output
    assert not (tmp_path / "pyworkflow.db").exists()  # collecting opens no store
