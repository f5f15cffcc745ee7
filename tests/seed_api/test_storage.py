"""programs/storage.py: the predecessor's documented storage API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any


def test_storage_program(run_program: Any) -> None:
    assert run_program("storage.py").stdout.strip().endswith("ok")
