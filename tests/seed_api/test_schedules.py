"""The predecessor's schedule API (see programs/schedules.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_schedules_program(run_program: Callable[..., Any]) -> None:
    assert "schedules ok" in run_program("schedules.py").stdout
