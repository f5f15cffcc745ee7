"""The predecessor's context API programs run unchanged (see conftest.py)."""

from __future__ import annotations

from .conftest import RunProgram


def test_context(run_program: RunProgram) -> None:
    assert "context: ok" in run_program("context.py").stdout


def test_event_limits(run_program: RunProgram) -> None:
    assert "limits: ok" in run_program("limits.py").stdout
