"""The predecessor's continue-as-new program (programs/continue_as_new.py) runs unchanged
on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_continue_as_new_program(run_program: RunProgram) -> None:
    proc = run_program("continue_as_new.py")
    assert proc.stdout.strip().endswith("continue_as_new: ok")
