"""The predecessor's hooks program (programs/hooks.py) runs unchanged
on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_hooks_program(run_program: RunProgram) -> None:
    proc = run_program("hooks.py")
    assert proc.stdout.strip().endswith("hooks: ok")
