"""The predecessor's names, records, enums and errors (programs/surface.py) on SQLite and
PostgreSQL."""

from __future__ import annotations

from .conftest import RunProgram


def test_surface_program(run_program: RunProgram) -> None:
    assert run_program("surface.py").stdout.strip().endswith("surface: ok")
