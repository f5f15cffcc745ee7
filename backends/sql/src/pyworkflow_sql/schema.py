"""The one schema of the SQL backends, as SQLAlchemy Core ``MetaData``.

SQLAlchemy is used here only to *describe* the schema and to compile its DDL for each dialect;
the hot path never goes through SQLAlchemy (see :mod:`pyworkflow_sql.statements`).

Design choices, valid on PostgreSQL 15+, MySQL 8, MariaDB 10.11+ and SQLite 3.40+:

* **Timestamps are BIGINT epoch microseconds** (:func:`pyworkflow.codec.to_micros`). That is
  exact on every engine (MySQL ``TIMESTAMP`` ends in 2038 and converts through the session
  time zone, ``DATETIME`` has no zone, SQLite has no date type at all), comparisons and keyset
  cursors are integer comparisons, and no driver converts time zones behind our back.
* **JSON values are TEXT** holding compact JSON (``"null"`` for ``None``), never SQL NULL, so
  reads return exactly what was written. No TEXT column has a DEFAULT (MySQL 8 rejects it).
  On MySQL they are LONGTEXT (TEXT stops at 64 KiB).
* **Ids are VARCHAR(255)** compared byte-exactly: ``COLLATE "C"`` on PostgreSQL, a NO PAD binary
  utf8mb4 collation on MySQL/MariaDB (``utf8mb4_bin`` is PAD SPACE there, so ``"a"`` would equal
  ``"a "``), SQLite's default BINARY. All three then order ids by code point, like Python.
* Floats (schedule ``interval``/``jitter``) are stored as JSON text, so they round-trip bit-exactly
  whatever the server's float formatting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql, postgresql

__all__ = [
    "ID",
    "MYSQL_TABLE_OPTIONS",
    "events",
    "hooks",
    "metadata",
    "runs",
    "schedules",
    "schema_version",
    "tasks",
]

metadata = MetaData()

#: An id column type: 255 UTF-8 bytes, compared byte-exactly (collation chosen per server for
#: MySQL at DDL time, see :func:`pyworkflow_sql.ddl.ddl_statements`).
ID = String(255).with_variant(postgresql.VARCHAR(255, collation="C"), "postgresql")
#: A text column (JSON or free text): LONGTEXT on MySQL, where TEXT stops at 64 KiB.
JSON_TEXT = Text().with_variant(mysql.LONGTEXT(), "mysql")
#: A short enum value (status strings).
SHORT = String(32).with_variant(postgresql.VARCHAR(32, collation="C"), "postgresql")
MICROS = BigInteger()

#: InnoDB + DYNAMIC rows: 3072-byte index keys, enough for two VARCHAR(255) utf8mb4 columns.
MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_row_format": "DYNAMIC",
}

schema_version = Table(
    "pyworkflow_schema",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", MICROS, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)

events = Table(
    "pyworkflow_events",
    metadata,
    Column("run_id", ID, nullable=False),
    Column("seq", BigInteger, nullable=False, autoincrement=False),
    Column("id", ID, nullable=False),
    Column("type", ID, nullable=False),
    Column("data", JSON_TEXT, nullable=False),
    Column("ts", MICROS, nullable=False),
    # The append invariant: one event per (run, sequence); the clustered key on MySQL/SQLite
    # makes a replay one range scan.
    PrimaryKeyConstraint("run_id", "seq"),  # MySQL ignores (and warns about) PK names
    # Event ids are unique within a run: a retried append after a lost ack conflicts.
    UniqueConstraint("run_id", "id", name="uq_pyworkflow_events_id"),
    sqlite_with_rowid=False,  # cluster SQLite's rows by (run_id, seq) too
    **MYSQL_TABLE_OPTIONS,
)

runs = Table(
    "pyworkflow_runs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("workflow_name", ID, nullable=False),
    Column("status", SHORT, nullable=False),
    Column("input", JSON_TEXT, nullable=False),
    Column("result", JSON_TEXT, nullable=False),
    Column("error", JSON_TEXT, nullable=False),
    Column("context", JSON_TEXT, nullable=False),
    Column("metadata", JSON_TEXT, nullable=False),
    Column("idempotency_key", ID, nullable=True),
    Column("parent_id", ID, nullable=True),
    Column("continued_from", ID, nullable=True),
    Column("continued_to", ID, nullable=True),
    Column("created_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
    Column("started_at", MICROS, nullable=True),
    Column("completed_at", MICROS, nullable=True),
    # NULLs never collide in a unique index on any of the three engines.
    UniqueConstraint("idempotency_key", name="uq_pyworkflow_runs_idem"),
    **MYSQL_TABLE_OPTIONS,
)
# Keyset listing, newest first: (created_at, id) and the same per filter.
Index("ix_pyworkflow_runs_created", runs.c.created_at, runs.c.id)

tasks = Table(
    "pyworkflow_tasks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("run_id", ID, nullable=False),
    Column("kind", ID, nullable=False),
    Column("due_at", MICROS, nullable=False),
    Column("payload", JSON_TEXT, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("worker", ID, nullable=True),
    Column("token", ID, nullable=True),
    Column("expires_at", MICROS, nullable=True),
    **MYSQL_TABLE_OPTIONS,
)
# Due tasks, earliest first (claim scans this in order and skips live leases).
Index("ix_pyworkflow_tasks_due", tasks.c.due_at, tasks.c.id)

hooks = Table(
    "pyworkflow_hooks",
    metadata,
    Column("token", ID, primary_key=True),
    Column("run_id", ID, nullable=False),
    Column("name", ID, nullable=False),
    Column("status", SHORT, nullable=False),
    Column("payload", JSON_TEXT, nullable=False),
    Column("url", JSON_TEXT, nullable=True),
    Column("json_schema", JSON_TEXT, nullable=False),
    Column("metadata", JSON_TEXT, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("expires_at", MICROS, nullable=True),
    Column("received_at", MICROS, nullable=True),
    **MYSQL_TABLE_OPTIONS,
)

schedules = Table(
    "pyworkflow_schedules",
    metadata,
    Column("id", ID, primary_key=True),
    Column("workflow_name", ID, nullable=False),
    Column("status", SHORT, nullable=False),
    Column("cron", JSON_TEXT, nullable=True),
    Column("interval_s", JSON_TEXT, nullable=False),
    Column("calendar", JSON_TEXT, nullable=False),
    Column("jitter_s", JSON_TEXT, nullable=False),
    Column("timezone", JSON_TEXT, nullable=False),
    Column("input", JSON_TEXT, nullable=False),
    Column("next_run_at", MICROS, nullable=True),
    Column("last_run_at", MICROS, nullable=True),
    Column("stats", JSON_TEXT, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)

# Version 2 indexes (see pyworkflow_sql.migrations): one per list_runs filter, lease expiry,
# retention and the per-run deletes of tasks and hooks. Declared on the tables so that
# ``metadata`` describes the latest schema; the migration list says which version adds them.
# On SQLite, version 4 makes the parent and completed indexes partial (WHERE ... IS NOT NULL).
V2_INDEXES = (
    Index("ix_pyworkflow_runs_name", runs.c.workflow_name, runs.c.created_at, runs.c.id),
    Index("ix_pyworkflow_runs_status", runs.c.status, runs.c.created_at, runs.c.id),
    Index("ix_pyworkflow_runs_parent", runs.c.parent_id, runs.c.created_at, runs.c.id),
    Index("ix_pyworkflow_runs_completed", runs.c.completed_at),
    Index("ix_pyworkflow_tasks_expires", tasks.c.expires_at),
    Index("ix_pyworkflow_tasks_run", tasks.c.run_id),
    Index("ix_pyworkflow_hooks_run", hooks.c.run_id),
    Index("ix_pyworkflow_schedules_status", schedules.c.status, schedules.c.id),
)
