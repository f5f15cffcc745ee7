"""The predecessor's transient program (programs/transient.py) runs unchanged
on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_transient_program(run_program: RunProgram) -> None:
    proc = run_program("transient.py")
    assert proc.stdout.strip().endswith("transient: ok")
