"""Versioned schema migrations: a small ordered list, applied at ``connect()`` under a lock.

Why not Alembic: the backends never use a SQLAlchemy engine at run time (they talk to asyncpg,
aiomysql and aiosqlite directly), Alembic needs a synchronous engine plus an ``env.py`` and a
script directory in the installed package, and it cannot hold *our* database lock on *our*
connection while it works. Our migrations are additive DDL, so a list of versions, each a list of
tables and indexes compiled by SQLAlchemy for the dialect, is short and fully testable.

Rules:

* Versions are 1, 2, ... and each is recorded in ``pyworkflow_schema`` once applied. A database
  whose version is newer than :data:`LATEST` is refused with :class:`SchemaError`.
* Every step is idempotent (``CREATE ... IF NOT EXISTS``; on MySQL 8, which lacks ``CREATE INDEX IF
  NOT EXISTS``, "duplicate key name" is ignored), so a step interrupted half-way (MySQL DDL is not
  transactional) is simply redone. On PostgreSQL and SQLite the whole upgrade is one transaction.
* No step ever drops or rewrites data.

Version 1 creates the tables with the keys the contract relies on (event (run_id, seq) and
(run_id, id), run idempotency key, hook token) and the two hot indexes (runs by (created_at, id),
tasks by (due_at, id)). Version 2 adds the secondary indexes (per list filter, lease expiry,
retention, per-run cleanup). Both ship in the first release, so upgrading from version 1 is a
real, tested path rather than a hypothetical one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Index, Table
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from . import schema as s

__all__ = ["LATEST", "MIGRATIONS", "Migration", "version_table_ddl"]


@dataclass(frozen=True)
class Migration:
    """One schema version: the tables and indexes it adds, in order."""

    version: int
    description: str
    elements: tuple[Table | Index, ...]

    def statements(self, dialect: Dialect, *, mysql_collation: str | None = None) -> list[str]:
        """The DDL of this version for ``dialect``.

        ``mysql_collation`` (MySQL/MariaDB only) is the NO PAD binary utf8mb4 collation the
        server offers; it becomes every table's default collation.
        """
        return [_compile(el, dialect, mysql_collation) for el in self.elements]


def _compile(element: Table | Index, dialect: Dialect, collation: str | None) -> str:
    is_mysql = dialect.name in ("mysql", "mariadb")
    if isinstance(element, Table):
        sql = str(CreateTable(element, if_not_exists=True).compile(dialect=dialect)).strip()
        if is_mysql and collation:
            sql += f" COLLATE={collation}"
        return sql
    # MySQL 8 has no CREATE INDEX IF NOT EXISTS: the runner ignores "duplicate key name".
    return str(CreateIndex(element, if_not_exists=not is_mysql).compile(dialect=dialect)).strip()


def version_table_ddl(dialect: Dialect, *, mysql_collation: str | None = None) -> str:
    """``CREATE TABLE IF NOT EXISTS pyworkflow_schema``: the bootstrap, outside the list."""
    return _compile(s.schema_version, dialect, mysql_collation)


MIGRATIONS: Sequence[Migration] = (
    Migration(
        1,
        "tables with their unique keys; runs by (created_at, id); tasks by (due_at, id)",
        (
            s.events,
            s.runs,
            s.tasks,
            s.hooks,
            s.schedules,
            *(ix for ix in s.runs.indexes if ix.name == "ix_pyworkflow_runs_created"),
            *(ix for ix in s.tasks.indexes if ix.name == "ix_pyworkflow_tasks_due"),
        ),
    ),
    Migration(2, "secondary indexes: list filters, lease expiry, retention", s.V2_INDEXES),
)
#: The schema version this code writes and understands.
LATEST = MIGRATIONS[-1].version
