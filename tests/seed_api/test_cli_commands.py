"""programs/cli.py: the predecessor's CLI commands as its docs type them, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any


def test_cli_commands_as_documented(run_program: Any) -> None:
    assert run_program("cli.py").stdout.strip().endswith("cli: ok")
