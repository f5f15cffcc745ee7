"""The predecessor's step-context program (see programs/step_context.py) on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_step_context_program(run_program: Callable[..., Any]) -> None:
    assert "step_context: ok" in run_program("step_context.py").stdout
