"""Harness for the predecessor-API tests.

Each test runs one program from ``programs/`` as its own process, the way a user of the
predecessor (pyworkflow-engine 0.1.x) would run it: ``python program.py`` in a fresh working
directory. The program is written as the predecessor's documentation writes it and asserts
the documented behaviour itself; the test passes when it exits 0.

The store is chosen from outside so that one program runs on SQLite and on PostgreSQL:
``PYWORKFLOW_STORAGE_URL`` names a fresh, empty store, and ``SEED_STORAGE_URL`` repeats it
for programs that build their storage themselves. A program that configures storage the
predecessor's way (``configure(storage=...)``, ``pyworkflow.config.yaml``) may ignore both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROGRAMS = Path(__file__).with_name("programs")
#: a program that has not ended after this long has hung (a wait that never returns)
TIMEOUT = 120.0

RunProgram = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(params=["sqlite", "postgres"])
def seed_url(request: pytest.FixtureRequest, tmp_path: Path, pyworkflow_services: Any) -> str:
    """A fresh, empty store on SQLite and on PostgreSQL (skipped, saying so, without one)."""
    url: str = pyworkflow_services.fresh_url(request.param, tmp_path)
    return url


@pytest.fixture
def run_program(seed_url: str, tmp_path: Path) -> RunProgram:
    """``run_program("hooks.py", *args, env={...})`` runs ``programs/hooks.py`` in a fresh
    working directory with the store of ``seed_url`` and fails the test, showing its output,
    unless it exits 0. Returns the finished process (``stdout``, ``stderr``)."""

    def run(
        name: str, *args: str, env: dict[str, str] | None = None, expect: int = 0
    ) -> subprocess.CompletedProcess[str]:
        cwd = tmp_path / "cwd"
        cwd.mkdir(exist_ok=True)
        full_env = {
            **os.environ,
            "PYWORKFLOW_STORAGE_URL": seed_url,
            "SEED_STORAGE_URL": seed_url,
            "PYTHONPATH": str(PROGRAMS),
            **(env or {}),
        }
        proc = subprocess.run(
            [sys.executable, str(PROGRAMS / name), *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if proc.returncode != expect:
            pytest.fail(
                f"{name} exited {proc.returncode} (expected {expect})\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
                pytrace=False,
            )
        return proc

    return run
