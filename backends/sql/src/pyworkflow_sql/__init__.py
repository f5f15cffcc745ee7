"""pyworkflow-sql: the schema, migrations and shared ``SqlBackend`` of the SQL backends."""

from __future__ import annotations

from .backend import Conn, Row, SqlBackend
from .migrations import LATEST, MIGRATIONS, Migration
from .schema import metadata

__all__ = ["LATEST", "MIGRATIONS", "Conn", "Migration", "Row", "SqlBackend", "metadata"]
