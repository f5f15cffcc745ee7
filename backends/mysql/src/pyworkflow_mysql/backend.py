"""MySQL 8 / MariaDB 10.11+ storage (``mysql://user:pass@host:3306/db``) on aiomysql.

One long-lived aiomysql pool in autocommit mode: a single guarded ``INSERT ... SELECT`` is its
own transaction, so an append is one round trip (appends that arrive meanwhile are grouped:
``group.py``). Sessions use READ COMMITTED (the guard's
read is a consistent read, so concurrent appenders to one run race only on the unique key) and
strict SQL mode (oversized or invalid values fail instead of being truncated). ``FOUND_ROWS``
makes UPDATE report matched rows, so a compare-and-swap that rewrites equal values still counts.
aiomysql has no server-side prepared statements: statement text is built once per shape and
the driver interpolates escaped literals.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, ClassVar

import aiomysql
from pymysql.constants import CLIENT
from pyworkflow._ids import new_id
from pyworkflow._rows import events_from_rows
from pyworkflow._validate import MAX_SEQUENCE, EncodedEvent
from pyworkflow.codec import to_micros
from pyworkflow.errors import InvalidInput, PayloadTooLarge, PyWorkflowError, StorageUnavailable
from pyworkflow.features import Features
from pyworkflow.models import Event, Lease
from pyworkflow.urls import Options
from pyworkflow_sql import Conn, Row
from pyworkflow_sql.group import GroupCommit, Pending
from pyworkflow_sql.rows import TASKS
from pyworkflow_sql.statements import EVENT_COLS, Sql
from sqlalchemy.dialects import mysql as sa_mysql

from ._tls import no_tls_error, require_tls, server_offers_tls
from .errors import errno_of, translate
from .group import Statement, write_group
from .replay import CHUNK, aggregate_sql, parse_chunk

__all__ = ["MySQLBackend"]

_DUP_KEY_NAME = 1061


class _Conn:
    def __init__(self, conn: aiomysql.Connection) -> None:
        self._c = conn

    async def execute(self, sql: str, args: Sequence[Any]) -> int:
        async with self._c.cursor() as cur:
            return int(await cur.execute(sql, tuple(args) or None))

    async def query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        async with self._c.cursor() as cur:
            await cur.execute(sql, tuple(args) or None)
            return list(await cur.fetchall())


class MySQLBackend(GroupCommit):
    """Options: ``pool_size`` (max connections, default 16), ``connect_timeout`` (seconds,
    default 10), ``ssl`` (true/false, default false), ``group_commit`` (default true:
    appends that arrive while another is being written go out together, one transaction and
    one round trip, each still atomic on its own). ``ssl=true`` requires TLS, verified
    against the system CA store with the host name checked: a server that does not offer TLS
    or whose certificate does not verify is a :class:`ConfigurationError`, never a silent
    plaintext connection."""

    schemes = ("mysql", "mariadb")
    flushers = 2  # group commit: a second group fills while the first one commits
    features = Features(migrations=True)
    ddl_dialect: ClassVar[Any] = sa_mysql.dialect()
    paramstyle = "format"
    insert_ignore = ""  # INSERT IGNORE would also downgrade real errors: catch 1062 instead

    def _configure(self, options: Options) -> None:
        if not self.url.database:
            raise InvalidInput(f"a mysql URL needs a database name (got {self.url})")
        # The driver sends it as latin-1; failing there would put it in the error's args.
        if not all(ord(c) < 256 for c in self.url.password or ""):
            raise InvalidInput(
                "a MySQL password must be latin-1 text: the driver cannot send other characters"
            )
        self.pool_size = options.take_int("pool_size", 16, minimum=1)
        self.connect_timeout = options.take_float("connect_timeout", 10.0, minimum=0.1)
        self.ssl = options.take_bool("ssl", False)
        self._init_group_commit(options.take_bool("group_commit", True))
        self._pool: aiomysql.Pool | None = None
        self._collation = "utf8mb4_bin"
        self._max_packet = 16 << 20
        # Unfiltered reads as one aggregated row per chunk (replay.py); MariaDB only.
        self.aggregate_reads = options.take_bool("aggregate_reads", True)
        self._aggregate_sql: str | None = None
        self._chunk = CHUNK

    async def _open_driver(self) -> None:
        ssl_ctx: Any = None
        host, port = self.url.host or "127.0.0.1", self.url.port or 3306
        if self.ssl:
            import ssl

            ssl_ctx = ssl.create_default_context()
            # Checked before the pool connects, so no credentials go out in plaintext.
            if await server_offers_tls(host, port, self.connect_timeout) is False:
                raise no_tls_error(self._where)
        self._pool = await aiomysql.create_pool(
            host=host,
            port=port,
            user=self.url.username or "root",
            password=self.url.password or "",  # to the driver only
            db=self.url.database,
            minsize=1,
            maxsize=self.pool_size,
            autocommit=True,
            charset="utf8mb4",
            connect_timeout=self.connect_timeout,
            client_flag=CLIENT.FOUND_ROWS,
            sql_mode="'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",  # aiomysql does not quote it
            init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            ssl=ssl_ctx,
            pool_recycle=3600,
        )
        rows = await self._query("SELECT VERSION(), @@max_allowed_packet", ())
        version, packet = str(rows[0][0]), int(rows[0][1])
        self._max_packet = packet
        # Byte-exact, NO PAD id comparison (utf8mb4_bin is PAD SPACE: 'a' = 'a ').
        self._collation = (
            "utf8mb4_nopad_bin" if "mariadb" in version.lower() else ("utf8mb4_0900_bin")
        )
        self.server_version = version
        if self.aggregate_reads and "mariadb" in version.lower():
            # Room below the packet for the row's framing and the count (1 GiB: its cap).
            self._aggregate_sql = aggregate_sql(min(max(packet - 65536, 4096), 1 << 30))

    async def _close_driver(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            try:
                await asyncio.wait_for(pool.wait_closed(), 10)
            except Exception:
                pool.terminate()

    def _mysql_collation(self) -> str | None:
        return self._collation

    def _p(self) -> aiomysql.Pool:
        if self._pool is None:
            raise StorageUnavailable("the mysql backend is closed")
        return self._pool

    @property
    def _where(self) -> str:
        return f"{self.url.host or '127.0.0.1'}:{self.url.port or 3306}"

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[aiomysql.Connection]:
        async with self._p().acquire() as conn:
            if self.ssl:
                require_tls(conn, self._where)
            yield conn

    async def _execute(self, sql: str, args: Sequence[Any]) -> int:
        async with self._acquire() as conn, conn.cursor() as cur:
            return int(await cur.execute(sql, tuple(args) or None))

    async def _query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        async with self._acquire() as conn, conn.cursor() as cur:
            await cur.execute(sql, tuple(args) or None)
            return list(await cur.fetchall())

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._acquire() as conn:
            await conn.begin()
            try:
                yield _Conn(conn)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()

    @asynccontextmanager
    async def _schema_session(self) -> AsyncIterator[Conn]:
        # GET_LOCK is server-wide and per connection: name it after the database (hashed to fit
        # the 64-character limit). DDL autocommits here, so each step is idempotent instead.
        name = "pyworkflow:" + hashlib.sha256(self.url.database.encode()).hexdigest()[:40]
        async with self._acquire() as conn:
            c = _Conn(conn)
            got = await c.query("SELECT GET_LOCK(%s, %s)", (name, 60))
            if not got or got[0][0] != 1:
                raise StorageUnavailable("timed out waiting for the schema migration lock")
            # CREATE ... IF NOT EXISTS on an existing object is a note; don't warn about it.
            await c.execute("SET SESSION sql_notes = 0", ())
            try:
                yield c
            finally:
                await c.execute("SET SESSION sql_notes = 1", ())
                await c.query("SELECT RELEASE_LOCK(%s)", (name,))

    def _append_statement(
        self, run_id: str, events: list[EncodedEvent], expected: int
    ) -> tuple[str, Sequence[Any]]:
        if sum(len(e.data) for e in events) * 4 > self._max_packet // 2:
            size = sum(len(e.data.encode()) for e in events)
            if size + 4096 > self._max_packet:
                raise PayloadTooLarge(
                    f"{size} bytes of event data in one append; the server's "
                    f"max_allowed_packet is {self._max_packet}"
                )
        args: list[Any] = []
        n = len(events)
        if expected and n <= _SMALL_BATCH:  # each row selected FROM the event (run_id, v)
            for i, e in enumerate(events, expected + 1):
                args += (run_id, i, e.id, e.type, e.data, to_micros(e.timestamp), run_id, expected)
            return self.q(_append_next_sql(n)), args
        for i, e in enumerate(events, expected + 1):
            args += (run_id, i, e.id, e.type, e.data, to_micros(e.timestamp))
        if expected == 0:
            return self.q(_append_first_sql(n)), args
        args += (expected, run_id, expected)
        return self.q(_append_sql(n)), args

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        sql = self._aggregate_sql
        if sql is None or types:
            return await super()._read(run_id, after, limit, types)
        end = MAX_SEQUENCE if limit is None else min(after + limit, MAX_SEQUENCE)
        size = self._chunk
        out: list[Event] = []
        # The next chunk is asked for before this one is decoded, so the server builds it
        # while the client decodes (the two halves of a replay's time, overlapped).
        pending: asyncio.Future[list[Row]] | None = asyncio.ensure_future(
            self._query(sql, (run_id, after, min(after + size, end)))
        )
        try:
            while pending is not None:
                (count, text), *_ = await pending
                pending = None
                hi = min(after + size, end)
                if count == hi - after and hi < end:
                    pending = asyncio.ensure_future(
                        self._query(sql, (run_id, hi, min(hi + size, end)))
                    )
                    await asyncio.sleep(0)  # let it send the query before decoding starts
                rows = parse_chunk(int(count), text, after + 1)
                if rows is None:  # the aggregate is not to be trusted: rows for the rest
                    rest = None if limit is None else end - after
                    tail = await super()._read_rows(run_id, after, rest, None)
                    return out + events_from_rows(run_id, tail)
                out += events_from_rows(run_id, rows)
                after = hi
            return out
        finally:
            if pending is not None:  # never leave a query (or its error) behind a failed read
                await asyncio.gather(pending, return_exceptions=True)

    async def _append_group(self, group: list[Pending]) -> list[int]:
        # Sorted by run (then version) so concurrent groups take row locks in one order.
        order = sorted(range(len(group)), key=lambda i: (group[i].run_id, group[i].expected))
        statements: list[Statement] = []
        for i in order:
            p = group[i]
            try:
                sql, args = self._append_statement(p.run_id, p.events, p.expected)
            except Exception as exc:  # PayloadTooLarge: this append's own failure
                p.future.set_exception(exc)
                continue
            statements.append((i, sql, args))
        if not statements:
            return [0] * len(group)
        async with self._acquire() as conn:
            return await write_group(
                conn, statements, self._is_unique_violation, len(group), self._max_packet // 2
            )

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        # No UPDATE ... RETURNING here: lock the due rows (skipping ones another claimer holds),
        # update them, commit. Locked rows are invisible to concurrent claimers.
        token = new_id()
        at = to_micros(now)
        async with self._transaction() as conn:
            rows = await conn.query(_CLAIM_SELECT, (at, at, limit))
            if not rows:
                return []
            ids = [r[0] for r in rows]
            await conn.execute(
                self.q(
                    f"UPDATE {TASKS.table} SET {Sql.CLAIM_SET} WHERE id IN "
                    f"({', '.join('?' * len(ids))})"
                ),
                (worker, token, to_micros(expires_at), *ids),
            )
        return self._leases(rows, worker, token, expires_at, claimed=False)

    def _is_unique_violation(self, exc: BaseException) -> bool:
        return errno_of(exc) == 1062

    def _is_duplicate_index(self, exc: BaseException) -> bool:
        return errno_of(exc) == _DUP_KEY_NAME

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        return translate(exc, self._redact)


_CLAIM_SELECT = (
    f"SELECT {TASKS.select_list} FROM {TASKS.table} WHERE due_at <= %s AND "
    "(expires_at IS NULL OR expires_at <= %s) ORDER BY due_at, id LIMIT %s "
    "FOR UPDATE SKIP LOCKED"
)


# Profiled with MariaDB's SHOW PROFILE (sequential appends, commit excluded): the general guard,
# ``SELECT ... FROM DUAL WHERE ? = 0 OR EXISTS (subquery)``, spent ~1.0 ms in the server's
# Optimizing/Statistics/Executing stages against ~0.5 ms for a plain INSERT: aiomysql has no
# server-side prepared statements, so the subquery is planned on every append. The two hot
# shapes get cheaper statements with the same guarantee:
# - the first append (expected version 0) is a plain multi-row INSERT: a log that is not empty
#   holds sequence 1 (sequences are dense from 1), so the primary key (run_id, seq) refuses it
#   with a duplicate-key error, which is the conflict;
# - a single event after version v selects its row FROM the event (run_id, v) itself, a
#   primary-key lookup the optimizer resolves as a constant table: no row, nothing inserted;
# - a few events (a workflow step appends two) are a UNION ALL of that select, one per row:
#   in a loop alternating the shapes (sequential, autocommit, 150 appends each), two events
#   took 512 us against 562 for the derived table under the EXISTS guard, three 589 against
#   651; from ten events on the UNION is the slower (758 against 720; 2.9 ms against 2.1 ms
#   for 100), so larger batches keep the derived table.
_SMALL_BATCH = 4


@functools.cache
def _append_next_sql(n: int) -> str:
    """``n`` events after version v, each row selected from the event (run_id, v)."""
    one = "SELECT ?, ?, ?, ?, ?, ? FROM pyworkflow_events WHERE run_id = ? AND seq = ?"
    return f"INSERT INTO pyworkflow_events ({EVENT_COLS}) " + " UNION ALL ".join([one] * n)


@functools.cache
def _append_first_sql(n: int) -> str:
    """The first append of a log: ``n`` rows, guarded by the primary key alone."""
    return f"INSERT INTO pyworkflow_events ({EVENT_COLS}) VALUES " + ", ".join(
        ["(?, ?, ?, ?, ?, ?)"] * n
    )


@functools.cache
def _append_sql(n: int) -> str:
    """The guarded multi-row INSERT ... SELECT for ``n`` events (``?`` style)."""
    if n == 1:
        source = "SELECT ?, ?, ?, ?, ?, ? FROM DUAL"
        return f"INSERT INTO pyworkflow_events ({EVENT_COLS}) {source} WHERE {Sql.GUARD}"
    first = "SELECT ? AS run_id, ? AS seq, ? AS id, ? AS type, ? AS data, ? AS ts"
    rest = " UNION ALL SELECT ?, ?, ?, ?, ?, ?" * (n - 1)
    return (
        f"INSERT INTO pyworkflow_events ({EVENT_COLS}) SELECT * FROM ({first}{rest}) AS v "
        f"WHERE {Sql.GUARD}"
    )
