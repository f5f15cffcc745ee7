"""The predecessor's execution program (programs/execution.py) runs unchanged
on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_execution_program(run_program: RunProgram) -> None:
    proc = run_program("execution.py")
    assert proc.stdout.strip().endswith("execution: ok")
