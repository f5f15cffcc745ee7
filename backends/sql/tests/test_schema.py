"""The shared schema, its migrations and statement text, checked without a server.

The DDL is also executed on every real server by each backend's tests (every connect runs it);
here it is compiled for each dialect and run on SQLite, and its shape is checked.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from pyworkflow_sql import LATEST, MIGRATIONS, metadata
from pyworkflow_sql.migrations import version_table_ddl
from pyworkflow_sql.statements import Sql, to_paramstyle
from sqlalchemy import Index, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine.interfaces import Dialect

DIALECTS: dict[str, Dialect] = {
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
    "mysql": mysql.dialect(),
    "sqlite": sqlite.dialect(),
}


def all_ddl(dialect: Dialect, collation: str | None = None) -> list[str]:
    out = [version_table_ddl(dialect, mysql_collation=collation)]
    for m in MIGRATIONS:
        out += m.statements(dialect, mysql_collation=collation)
    return out


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_no_text_column_has_a_default(name: str) -> None:
    for stmt in all_ddl(DIALECTS[name]):
        assert "DEFAULT " not in stmt.replace("DEFAULT CHARSET", ""), stmt


def test_mysql_tables_are_utf8mb4_innodb_dynamic_with_the_given_collation() -> None:
    tables = [s for s in all_ddl(DIALECTS["mysql"], "utf8mb4_nopad_bin") if "CREATE TABLE" in s]
    assert len(tables) == len(metadata.tables)
    for stmt in tables:
        assert "ENGINE=InnoDB" in stmt
        assert "CHARSET=utf8mb4" in stmt
        assert "ROW_FORMAT=DYNAMIC" in stmt
        assert stmt.endswith("COLLATE=utf8mb4_nopad_bin")
        assert " TEXT " not in stmt  # LONGTEXT: TEXT is 64 KiB on MySQL


def test_mysql_index_keys_fit_innodb_3072_bytes() -> None:
    for table in metadata.tables.values():
        keys = [list(ix.columns) for ix in table.indexes]
        keys += [list(c.columns) for c in table.constraints if c.columns]
        for cols in keys:
            size = sum(4 * c.type.length if getattr(c.type, "length", None) else 8 for c in cols)
            assert size <= 3072, (table.name, [c.name for c in cols])


def test_postgres_ids_compare_bytewise() -> None:
    runs = next(s for s in all_ddl(DIALECTS["postgresql"]) if "pyworkflow_runs (" in s)
    assert re.search(r'\bid VARCHAR\(255\) COLLATE "C" NOT NULL', runs)


def test_every_table_and_index_is_created_by_exactly_one_migration() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))
    created = [el for m in MIGRATIONS for el in m.elements]
    tables = [el.name for el in created if isinstance(el, Table)]
    indexes = [el.name for el in created if isinstance(el, Index)]
    assert sorted(tables) == sorted(t for t in metadata.tables if t != "pyworkflow_schema")
    declared = [ix.name for t in metadata.tables.values() for ix in t.indexes]
    assert sorted(indexes) == sorted(declared)  # type: ignore[type-var]


def test_contract_keys_exist() -> None:
    events = metadata.tables["pyworkflow_events"]
    assert [c.name for c in events.primary_key.columns] == ["run_id", "seq"]
    uniques = {
        tuple(c.name for c in con.columns)
        for t in metadata.tables.values()
        for con in t.constraints
        if type(con).__name__ == "UniqueConstraint"
    }
    assert ("run_id", "id") in uniques
    assert ("idempotency_key",) in uniques
    hooks = metadata.tables["pyworkflow_hooks"]
    assert [c.name for c in hooks.primary_key.columns] == ["token"]
    index_cols = {
        tuple(c.name for c in ix.columns) for t in metadata.tables.values() for ix in t.indexes
    }
    for needed in [
        ("created_at", "id"),
        ("due_at", "id"),
        ("expires_at",),
        ("workflow_name", "created_at", "id"),
        ("status", "created_at", "id"),
        ("parent_id", "created_at", "id"),
    ]:
        assert needed in index_cols, needed


def test_sqlite_ddl_runs_and_every_version_applies_on_top_of_the_previous() -> None:
    db = sqlite3.connect(":memory:")
    for stmt in all_ddl(DIALECTS["sqlite"]):
        db.execute(stmt)
    for stmt in all_ddl(DIALECTS["sqlite"]):  # every step is idempotent
        db.execute(stmt)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert set(metadata.tables) <= names


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("qmark", "a = ? AND b IN (?, ?)"),
        ("format", "a = %s AND b IN (%s, %s)"),
        ("numeric_dollar", "a = $1 AND b IN ($2, $3)"),
    ],
)
def test_paramstyles(style: str, expected: str) -> None:
    assert to_paramstyle("a = ? AND b IN (?, ?)", style) == expected  # type: ignore[arg-type]


def test_statement_shapes_are_cached_and_filters_are_exact() -> None:
    assert Sql.read(2, True) is Sql.read(2, True)
    sql = Sql.list_runs(True, 2, False, False, True, True)
    assert "LIKE" not in sql  # exact matches only: % and _ are ordinary characters
    assert sql.endswith("ORDER BY created_at DESC, id DESC LIMIT ?")
    assert sql.count("?") == 1 + 2 + 1 + 3 + 1
