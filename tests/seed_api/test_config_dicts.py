"""The predecessor's storage config dicts and classes for every backend type
(programs/config_dicts.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_config_dicts_program(run_program: RunProgram) -> None:
    assert run_program("config_dicts.py").stdout.strip().endswith("config_dicts: ok")
