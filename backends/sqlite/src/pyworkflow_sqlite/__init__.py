"""pyworkflow-sqlite: SQLite storage for pyworkflow (aiosqlite), the embedded default."""

from __future__ import annotations

from .backend import SqliteBackend

__all__ = ["SqliteBackend"]
