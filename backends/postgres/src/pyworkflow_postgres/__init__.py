"""pyworkflow-postgres: PostgreSQL storage for pyworkflow (asyncpg)."""

from __future__ import annotations

from .backend import PostgresBackend

__all__ = ["PostgresBackend"]
