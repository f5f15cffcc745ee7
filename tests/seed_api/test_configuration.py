"""programs/configuration.py: the predecessor's configuration API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any


def test_configuration_program(run_program: Any) -> None:
    assert run_program("configuration.py").stdout.strip().endswith("ok")
