"""SQL text shared by the three dialects, written once with ``?`` placeholders.

:func:`to_paramstyle` turns a ``?`` statement into the driver's style (``$1`` for asyncpg,
``%s`` for aiomysql, ``?`` for sqlite3) once; results are cached, so the hot path does a dict
lookup at most and never compiles anything. No statement contains a literal ``?`` or ``%``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

from .rows import HOOKS, RUNS, SCHEDULES, TASKS

__all__ = ["EVENT_COLS", "Paramstyle", "Sql", "to_paramstyle"]

Paramstyle = Literal["qmark", "numeric_dollar", "format"]
EVENT_COLS = "run_id, seq, id, type, data, ts"
E = "pyworkflow_events"


@functools.cache
def to_paramstyle(sql: str, style: Paramstyle) -> str:
    """``sql`` with each ``?`` replaced for ``style`` (cached per text and style)."""
    if style == "qmark":
        return sql
    if style == "format":
        return sql.replace("?", "%s")
    parts = sql.split("?")
    out = [parts[0]]
    for i, part in enumerate(parts[1:], 1):
        out.append(f"${i}")
        out.append(part)
    return "".join(out)


def marks(n: int) -> str:
    return ", ".join("?" * n)


class Sql:
    """Statements in ``?`` style; a backend converts each once with :func:`to_paramstyle`."""

    GUARD = f"(? = 0 OR EXISTS (SELECT 1 FROM {E} WHERE run_id = ? AND seq = ?))"
    VERSION = f"SELECT MAX(seq) FROM {E} WHERE run_id = ?"
    SCHEMA_VERSION = "SELECT MAX(version) FROM pyworkflow_schema"
    RECORD_VERSION = "INSERT INTO pyworkflow_schema (version, applied_at) VALUES (?, ?)"

    INSERT_RUN = f"INSERT INTO {RUNS.table} ({RUNS.select_list}) VALUES ({marks(len(RUNS.fields))})"
    GET_RUN = f"SELECT {RUNS.select_list} FROM {RUNS.table} WHERE id = ?"
    RUN_BY_KEY = f"SELECT {RUNS.select_list} FROM {RUNS.table} WHERE idempotency_key = ?"
    RUN_EXISTS = f"SELECT 1 FROM {RUNS.table} WHERE id = ?"

    INSERT_TASK = (
        f"INSERT INTO {TASKS.table} ({TASKS.select_list}) VALUES ({marks(len(TASKS.fields))})"
    )
    COMPLETE = f"DELETE FROM {TASKS.table} WHERE id = ? AND token = ?"
    EXTEND = f"UPDATE {TASKS.table} SET expires_at = ? WHERE id = ? AND token = ?"
    RELEASE = (
        f"UPDATE {TASKS.table} SET due_at = ?, worker = NULL, token = NULL, expires_at = NULL "
        "WHERE id = ? AND token = ?"
    )
    DUE = (
        f"SELECT id FROM {TASKS.table} WHERE due_at <= ? AND (expires_at IS NULL OR "
        "expires_at <= ?) ORDER BY due_at, id LIMIT ?"
    )
    CLAIM_SET = "attempts = attempts + 1, worker = ?, token = ?, expires_at = ?"

    INSERT_HOOK = (
        f"INSERT INTO {HOOKS.table} ({HOOKS.select_list}) VALUES ({marks(len(HOOKS.fields))})"
    )
    GET_HOOK = f"SELECT {HOOKS.select_list} FROM {HOOKS.table} WHERE token = ?"
    HOOK_EXISTS = f"SELECT 1 FROM {HOOKS.table} WHERE token = ?"
    RESOLVE_HOOK = (
        f"UPDATE {HOOKS.table} SET status = 'received', payload = ?, received_at = ? "
        "WHERE token = ? AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?)"
    )

    INSERT_SCHEDULE = (
        f"INSERT INTO {SCHEDULES.table} ({SCHEDULES.select_list}) "
        f"VALUES ({marks(len(SCHEDULES.fields))})"
    )
    GET_SCHEDULE = f"SELECT {SCHEDULES.select_list} FROM {SCHEDULES.table} WHERE id = ?"
    SCHEDULE_EXISTS = f"SELECT 1 FROM {SCHEDULES.table} WHERE id = ?"
    DELETE_SCHEDULE = f"DELETE FROM {SCHEDULES.table} WHERE id = ?"

    DELETE_RUN_ROWS = (
        f"DELETE FROM {E} WHERE run_id = ?",
        f"DELETE FROM {TASKS.table} WHERE run_id = ?",
        f"DELETE FROM {HOOKS.table} WHERE run_id = ?",
    )

    @staticmethod
    @functools.cache
    def read(n_types: int, limited: bool) -> str:
        sql = f"SELECT seq, id, type, data, ts FROM {E} WHERE run_id = ? AND seq > ?"
        if n_types:
            sql += f" AND type IN ({marks(n_types)})"
        sql += " ORDER BY seq"
        return sql + " LIMIT ?" if limited else sql

    @staticmethod
    @functools.cache
    def update(table: str, columns: tuple[str, ...], key: str, guard: str | None) -> str:
        """``UPDATE table SET c = ?, ... WHERE key = ? [AND guard = ?]``."""
        sets = ", ".join(f"{c} = ?" for c in columns)
        if table == SCHEDULES.table:
            sets += ", revision = revision + 1"
        sql = f"UPDATE {table} SET {sets} WHERE {key} = ?"
        return f"{sql} AND {guard} = ?" if guard else sql

    @staticmethod
    @functools.cache
    def list_runs(
        name: bool, n_statuses: int, after: bool, before: bool, parent: bool, cursor: bool
    ) -> str:
        where = []
        if name:
            where.append("workflow_name = ?")
        if n_statuses:
            where.append(f"status IN ({marks(n_statuses)})")
        if after:
            where.append("created_at >= ?")
        if before:
            where.append("created_at < ?")
        if parent:
            where.append("parent_id = ?")
        if cursor:
            where.append("created_at <= ? AND (created_at < ? OR id < ?)")
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        return (
            f"SELECT {RUNS.select_list} FROM {RUNS.table}{cond} "
            "ORDER BY created_at DESC, id DESC LIMIT ?"
        )

    @staticmethod
    @functools.cache
    def list_schedules(status: bool, after: bool) -> str:
        where = (["status = ?"] if status else []) + (["id > ?"] if after else [])
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT {SCHEDULES.select_list} FROM {SCHEDULES.table}{cond} ORDER BY id LIMIT ?"

    @staticmethod
    @functools.cache
    def doomed(n_statuses: int) -> str:
        return (
            f"SELECT id FROM {RUNS.table} WHERE completed_at IS NOT NULL AND completed_at < ? "
            f"AND status IN ({marks(n_statuses)})"
        )

    @staticmethod
    @functools.cache
    def delete_run(n_statuses: int) -> str:
        return (
            f"DELETE FROM {RUNS.table} WHERE id = ? AND completed_at IS NOT NULL AND "
            f"completed_at < ? AND status IN ({marks(n_statuses)})"
        )


def flat(rows: Sequence[Sequence[object]]) -> list[object]:
    """Rows flattened into one argument list (multi-row statements)."""
    return [v for row in rows for v in row]
