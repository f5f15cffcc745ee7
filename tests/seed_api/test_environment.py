"""The predecessor's configuration keys, config file and environment variables
(programs/environment.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_environment_program(run_program: RunProgram) -> None:
    assert run_program("environment.py").stdout.strip().endswith("environment: ok")
