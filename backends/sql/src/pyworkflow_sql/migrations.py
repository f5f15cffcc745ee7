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
retention, per-run cleanup). Version 3 adds PostgreSQL's group-commit function (a no-op on the
other dialects). All ship in the first release, so upgrading from versions 1 and 2 is a real,
tested path rather than a hypothetical one. Version 4 (SQLite only) makes the parent and
retention indexes of runs partial (``WHERE ... IS NOT NULL``): a new run has neither a parent
nor a completion time, so creating it no longer writes those two B-trees, while every query
that uses them compares the column (which implies ``IS NOT NULL``), so their plans stay
indexed. It drops and recreates two indexes: no table data is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Index, Table
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from . import schema as s

__all__ = ["LATEST", "MIGRATIONS", "DialectDDL", "Migration", "version_table_ddl"]


@dataclass(frozen=True)
class DialectDDL:
    """Hand-written, idempotent DDL for one dialect only (skipped on the others)."""

    dialect: str
    sql: str


@dataclass(frozen=True)
class Migration:
    """One schema version: the tables and indexes it adds, in order."""

    version: int
    description: str
    elements: tuple[Table | Index | DialectDDL, ...]

    def statements(self, dialect: Dialect, *, mysql_collation: str | None = None) -> list[str]:
        """The DDL of this version for ``dialect``.

        ``mysql_collation`` (MySQL/MariaDB only) is the NO PAD binary utf8mb4 collation the
        server offers; it becomes every table's default collation.
        """
        return [
            el.sql if isinstance(el, DialectDDL) else _compile(el, dialect, mysql_collation)
            for el in self.elements
            if not isinstance(el, DialectDDL) or el.dialect == dialect.name
        ]


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


# Group commit (PostgreSQL, opt-in): several appends, to any runs, in one call and one
# transaction. Each append runs in its own subtransaction (BEGIN ... EXCEPTION), so it stays
# all-or-nothing and its conflict is its own: the result per append is the number of rows
# inserted (== its event count), 0 when its guard failed, -1 on a unique violation.
APPEND_MANY_FUNCTION = """
CREATE OR REPLACE FUNCTION pyworkflow_append_many(
    p_runs varchar[], p_expected bigint[], p_counts int[],
    p_ids varchar[], p_types varchar[], p_data text[], p_ts bigint[]
) RETURNS int[] LANGUAGE plpgsql AS $fn$
DECLARE
    results int[] := '{}';
    base int := 0;
    inserted int;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_runs, 1), 0) LOOP
        BEGIN
            INSERT INTO pyworkflow_events (run_id, seq, id, type, data, ts)
            SELECT p_runs[i], p_expected[i] + k, p_ids[base + k], p_types[base + k],
                   p_data[base + k], p_ts[base + k]
            FROM generate_series(1, p_counts[i]) AS k
            WHERE p_expected[i] = 0 OR EXISTS (
                SELECT 1 FROM pyworkflow_events
                WHERE run_id = p_runs[i] AND seq = p_expected[i]);
            GET DIAGNOSTICS inserted = ROW_COUNT;
            results := results || inserted;
        EXCEPTION WHEN unique_violation THEN
            results := results || -1;
        END;
        base := base + p_counts[i];
    END LOOP;
    RETURN results;
END
$fn$
"""

# SQLite, version 4: see the module docstring. DROP + CREATE IF NOT EXISTS, so a step redone
# after a lost version record (or on a database created partial) ends in the same state.
_PARTIAL_RUN_INDEXES = (
    "DROP INDEX IF EXISTS ix_pyworkflow_runs_parent",
    "CREATE INDEX IF NOT EXISTS ix_pyworkflow_runs_parent ON pyworkflow_runs "
    "(parent_id, created_at, id) WHERE parent_id IS NOT NULL",
    "DROP INDEX IF EXISTS ix_pyworkflow_runs_completed",
    "CREATE INDEX IF NOT EXISTS ix_pyworkflow_runs_completed ON pyworkflow_runs "
    "(completed_at) WHERE completed_at IS NOT NULL",
)

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
    Migration(
        3,
        "PostgreSQL: pyworkflow_append_many() for group commit (no-op elsewhere)",
        (DialectDDL("postgresql", APPEND_MANY_FUNCTION),),
    ),
    Migration(
        4,
        "SQLite: partial parent and retention indexes on runs (no-op elsewhere)",
        tuple(DialectDDL("sqlite", sql) for sql in _PARTIAL_RUN_INDEXES),
    ),
)
#: The schema version this code writes and understands.
LATEST = MIGRATIONS[-1].version
