"""The predecessor's child-workflow programs run unchanged (see conftest.py)."""

from __future__ import annotations

from .conftest import RunProgram


def test_children(run_program: RunProgram) -> None:
    assert "children: ok" in run_program("children.py").stdout
