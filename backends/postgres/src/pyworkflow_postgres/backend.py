"""PostgreSQL storage (``postgresql://user:pass@host:5432/db?schema=...``) on asyncpg.

One long-lived asyncpg pool. asyncpg prepares each statement once per connection and keeps it
in its statement cache, so the hot path is one Bind/Execute round trip. The pool's reset hook is
replaced by one that does nothing beyond asyncpg's own rollback of a dirty transaction (no
``RESET ALL`` round trip on every release; we never change session state after connect).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import asyncpg
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import to_micros
from pyworkflow.errors import InvalidInput, PyWorkflowError, StorageUnavailable
from pyworkflow.features import Features
from pyworkflow.urls import Options
from pyworkflow_sql import Conn, Row
from pyworkflow_sql.group import GroupCommit, Pending
from pyworkflow_sql.rows import TASKS
from pyworkflow_sql.statements import EVENT_COLS
from sqlalchemy.dialects import postgresql as sa_pg

from .errors import translate

__all__ = ["PostgresBackend"]

_GUARD = (
    "WHERE $2::bigint = 0 OR EXISTS "
    "(SELECT 1 FROM pyworkflow_events WHERE run_id = $1::varchar AND seq = $2::bigint)"
)
# One event: scalar parameters. A batch: parallel arrays through unnest, so 1 or 1000 events
# are one prepared statement and one round trip.
APPEND_ONE = (
    f"INSERT INTO pyworkflow_events ({EVENT_COLS}) "
    f"SELECT $1::varchar, $2::bigint + 1, $3::varchar, $4::varchar, $5::text, $6::bigint {_GUARD}"
)
APPEND_MANY = (
    f"INSERT INTO pyworkflow_events ({EVENT_COLS}) "
    "SELECT $1::varchar, $2::bigint + t.n, t.id, t.type, t.data, t.ts "
    "FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) "
    f"WITH ORDINALITY AS t(id, type, data, ts, n) {_GUARD}"
)
_T = ", ".join(f"t.{c}" for c in TASKS.columns)
CLAIM = (
    "WITH c AS (SELECT id FROM pyworkflow_tasks WHERE due_at <= $4 AND "
    "(expires_at IS NULL OR expires_at <= $5) ORDER BY due_at, id LIMIT $6 "
    "FOR UPDATE SKIP LOCKED) "
    "UPDATE pyworkflow_tasks AS t SET attempts = t.attempts + 1, worker = $1, token = $2, "
    f"expires_at = $3 FROM c WHERE t.id = c.id RETURNING {_T}"
)
APPEND_MANY_CALL = "SELECT pyworkflow_append_many($1, $2, $3, $4, $5, $6, $7)"


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Pool reset hook: asyncpg has already rolled back a dirty transaction; nothing else."""


def _rowcount(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1]) if status and status[-1].isdigit() else 0


class _Conn:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._c = conn

    async def execute(self, sql: str, args: Sequence[Any]) -> int:
        return _rowcount(await self._c.execute(sql, *args))

    async def query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        return list(await self._c.fetch(sql, *args))


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, double-quoted (any text, quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class PostgresBackend(GroupCommit):
    """Options: ``schema`` (default ``public``; created at connect if absent, every table lives
    in it), ``pool_size`` (max connections, default 16), ``connect_timeout`` (seconds, default
    10), ``command_timeout`` (seconds per statement, default none), ``sslmode`` (disable, allow,
    prefer, require, verify-ca, verify-full; default prefer; require and stronger never fall
    back to plaintext: a server without TLS is a :class:`ConfigurationError`),
    ``group_commit`` (default false: coalesce concurrent appends into one call and one
    transaction, each still atomic on its own)."""

    schemes = ("postgresql", "postgres")
    flushers = 2  # group commit: a second call fills while the first one commits
    features = Features(migrations=True)
    ddl_dialect: ClassVar[Any] = sa_pg.dialect()  # type: ignore[no-untyped-call]
    paramstyle = "numeric_dollar"

    def _configure(self, options: Options) -> None:
        if not self.url.database:
            raise InvalidInput(f"a postgresql URL needs a database name (got {self.url})")
        schema = options.take_str("schema", "public")
        if not schema or len(schema.encode()) > 63 or "\x00" in schema:
            raise InvalidInput(f"schema must be 1..63 bytes (got {schema!r})")
        self.schema: str = schema
        self.pool_size = options.take_int("pool_size", 16, minimum=1)
        self.connect_timeout = options.take_float("connect_timeout", 10.0, minimum=0.1)
        timeout = options.take_float("command_timeout", 0.0, minimum=0.0)
        self.command_timeout = timeout or None
        self.sslmode = options.take_choice(
            "sslmode",
            ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
            "prefer",
        )
        self._init_group_commit(options.take_bool("group_commit", False))
        self._pool: asyncpg.Pool | None = None

    async def _open_driver(self) -> None:
        hosts = [h for h, _ in self.url.hosts] or ["127.0.0.1"]
        ports = [p or 5432 for _, p in self.url.hosts] or [5432]
        self._pool = await asyncpg.create_pool(
            host=hosts,
            port=ports,
            user=self.url.username,
            password=self.url.password,  # to the driver only
            database=self.url.database,
            min_size=1,
            max_size=self.pool_size,
            timeout=self.connect_timeout,
            command_timeout=self.command_timeout,
            ssl=self.sslmode,
            reset=_no_reset,
            # Unqualified table names resolve in our schema; set in the startup packet, so
            # it costs no round trip.
            server_settings={
                "search_path": quote_ident(self.schema),
                "application_name": "pyworkflow",
                # A statement prepared while the tables were small would otherwise switch to
                # a generic plan after five runs, costed on that empty table and kept until
                # the next ANALYZE: the append guard then scanned the whole event table
                # (80-130 ms per append at 100k events, found by the benchmark). Planning
                # these statements afresh costs ~0.1 ms against a multi-ms commit.
                "plan_cache_mode": "force_custom_plan",
            },
        )

    async def _close_driver(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), 10)
            except Exception:
                pool.terminate()

    def _p(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageUnavailable("the postgres backend is closed")
        return self._pool

    async def _execute(self, sql: str, args: Sequence[Any]) -> int:
        return _rowcount(await self._p().execute(sql, *args))

    async def _query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        return list(await self._p().fetch(sql, *args))

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._p().acquire() as conn, conn.transaction():
            yield _Conn(conn)

    @asynccontextmanager
    async def _schema_session(self) -> AsyncIterator[Conn]:
        # A transaction-scoped advisory lock keyed by the schema name: connects racing on one
        # empty schema wait here; the upgrade, DDL included, commits atomically.
        key = int.from_bytes(hashlib.sha256(self.schema.encode()).digest()[:8], "big", signed=True)
        async with self._transaction() as conn:
            await conn.query("SELECT pg_advisory_xact_lock($1::bigint)", (key,))
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}", ())
            yield conn

    def _append_statement(
        self, run_id: str, events: list[EncodedEvent], expected: int
    ) -> tuple[str, Sequence[Any]]:
        if len(events) == 1:
            e = events[0]
            return APPEND_ONE, (run_id, expected, e.id, e.type, e.data, to_micros(e.timestamp))
        return APPEND_MANY, (
            run_id,
            expected,
            [e.id for e in events],
            [e.type for e in events],
            [e.data for e in events],
            [to_micros(e.timestamp) for e in events],
        )

    async def _append_group(self, group: list[Pending]) -> list[int]:
        # Sorted by run so concurrent groups (other processes) take row locks in one order.
        order = sorted(range(len(group)), key=lambda i: group[i].run_id)
        runs, expected, counts = [], [], []
        ids: list[str] = []
        types: list[str] = []
        data: list[str] = []
        ts: list[int] = []
        for i in order:
            p = group[i]
            runs.append(p.run_id)
            expected.append(p.expected)
            counts.append(len(p.events))
            for e in p.events:
                ids.append(e.id)
                types.append(e.type)
                data.append(e.data)
                ts.append(to_micros(e.timestamp))
        rows = await self._query(APPEND_MANY_CALL, (runs, expected, counts, ids, types, data, ts))
        by_order = list(rows[0][0])
        results = [0] * len(group)
        for pos, i in enumerate(order):
            results[i] = by_order[pos]
        return results

    def _claim_statement(self) -> str:
        return CLAIM

    def _is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, asyncpg.UniqueViolationError)

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        return translate(exc, self._redact, self.sslmode)
