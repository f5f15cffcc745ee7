"""The predecessor's cancellation programs run unchanged (see conftest.py)."""

from __future__ import annotations

from .conftest import RunProgram


def test_cancellation(run_program: RunProgram) -> None:
    assert "cancellation: ok" in run_program("cancellation.py").stdout
