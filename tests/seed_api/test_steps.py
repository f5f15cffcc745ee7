"""The predecessor's step programs (see programs/steps.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_steps_program(run_program: Callable[..., Any]) -> None:
    assert "steps: ok" in run_program("steps.py").stdout
