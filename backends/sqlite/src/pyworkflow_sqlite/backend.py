"""SQLite storage (``sqlite:///relative.db``, ``sqlite:////absolute.db``) on aiosqlite.

One **writer** connection serves every write; a multi-statement transaction holds an in-process
lock that single statements wait for, so a transaction never interleaves with a statement of
another coroutine; other processes are kept out by
SQLite's own file lock (every write statement takes the write lock when it starts, honouring
``busy_timeout``; multi-statement work uses ``BEGIN IMMEDIATE``). Reads use a small pool of
read-only connections, which WAL lets run beside the writer. Each aiosqlite connection owns a
thread, so nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, ClassVar

import aiosqlite
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import to_micros
from pyworkflow.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInput,
    PayloadTooLarge,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)
from pyworkflow.features import Features
from pyworkflow.urls import Options
from pyworkflow_sql import Conn, Row
from pyworkflow_sql.group import GroupCommit, Pending
from pyworkflow_sql.statements import EVENT_COLS, Sql
from sqlalchemy.dialects import sqlite as sa_sqlite

__all__ = ["SqliteBackend"]

_SYNC = ("full", "normal", "extra")
#: Errors that no retry fixes: permissions, a read-only file or folder, not a SQLite file.
_CONFIGURATION = frozenset(
    {"SQLITE_PERM", "SQLITE_READONLY", "SQLITE_READONLY_DIRECTORY", "SQLITE_NOTADB", "SQLITE_AUTH"}
)
#: busy_timeout (ms) of the writer while it opens the file and migrates the schema.
CONNECT_BUSY_MS = 60_000


class _Conn:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, args: Sequence[Any]) -> int:
        cur = await self._db.execute(sql, args)
        return cur.rowcount

    async def query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        return list(await self._db.execute_fetchall(sql, args))


class SqliteBackend(GroupCommit):
    """Options: ``synchronous`` (full | normal | extra, default full: an acknowledged write
    survives power loss; normal survives a process crash only), ``busy_timeout`` (ms the writer
    waits for another process's lock, default 5000), ``pool_size`` (read connections, default
    4), ``group_commit`` (default true: appends that arrive while the writer is busy are
    written in one transaction, one fsync; each stays atomic with its own conflict)."""

    schemes = ("sqlite",)
    features = Features(migrations=True, multi_host=False)
    ddl_dialect: ClassVar[Any] = sa_sqlite.dialect()
    paramstyle = "qmark"

    def _configure(self, options: Options) -> None:
        if self.url.username is not None or self.url.password is not None:
            raise InvalidInput(
                "a sqlite URL takes no credentials (a SQLite file has no users): use "
                "sqlite:///relative.db or sqlite:////abs.db"
            )
        if self.url.hosts:
            raise InvalidInput(
                f"a sqlite URL has no host: use sqlite:///relative.db or sqlite:////abs.db "
                f"(got {self.url})"
            )
        self.path = self.url.database
        if not self.path:
            raise InvalidInput(f"a sqlite URL needs a file path (got {self.url})")
        self.synchronous = options.take_choice("synchronous", _SYNC, "full")
        self.busy_timeout = options.take_int("busy_timeout", 5000, minimum=0)
        self.pool_size = options.take_int("pool_size", 4, minimum=1)
        self._init_group_commit(options.take_bool("group_commit", True))
        self.memory = self.path == ":memory:"
        if self.memory:  # one private database: nothing to share, nothing survives
            self.features = replace(self.features, durable=False, multi_process=False)
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._idle: asyncio.Queue[aiosqlite.Connection] | None = None
        self._lock = asyncio.Lock()

    async def _connection(self, *, read_only: bool) -> aiosqlite.Connection:
        db = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
        # Opening waits longer than a write would: switching a new file to WAL and running the
        # migrations queue behind every other process opening the same empty file.
        wait = self.busy_timeout if read_only else max(self.busy_timeout, CONNECT_BUSY_MS)
        try:
            await db.execute(f"PRAGMA busy_timeout = {wait}")
            if read_only:
                await db.execute("PRAGMA query_only = 1")
            else:
                if not self.memory:
                    await _switch_to_wal(db, wait / 1000)
                await db.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
        except BaseException:
            await db.close()
            raise
        return db

    def _check_folder(self) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            # SQLite says only "unable to open database file", which reads as transient.
            raise ConfigurationError(
                f"the directory of the SQLite file {self.path} does not exist "
                f"({folder}): create it, or fix the URL"
            )

    async def _open_driver(self) -> None:
        if not self.memory:
            await asyncio.to_thread(self._check_folder)
        self._lock = asyncio.Lock()
        self._writer = await self._connection(read_only=False)
        self._idle = asyncio.Queue()
        if not self.memory:
            for _ in range(self.pool_size):
                db = await self._connection(read_only=True)
                self._readers.append(db)
                self._idle.put_nowait(db)

    async def _connect(self) -> None:
        await super()._connect()
        await self._w().execute(f"PRAGMA busy_timeout = {self.busy_timeout}")

    async def _close_driver(self) -> None:
        conns = [*self._readers, *([self._writer] if self._writer else [])]
        self._readers, self._writer = [], None
        for db in conns:
            with contextlib.suppress(Exception):  # a broken connection: nothing to save
                await db.close()

    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StorageUnavailable("the sqlite backend is closed")
        return self._writer

    # A single statement needs no lock of its own: the writer's thread runs its queue in order
    # and each statement is atomic. It must only never land inside another coroutine's
    # BEGIN ... COMMIT, so it waits while a transaction holds ``_lock``. Checking the lock and
    # queueing the statement happen without a suspension point in between, so a transaction
    # that starts later queues its BEGIN behind this statement.

    async def _execute(self, sql: str, args: Sequence[Any]) -> int:
        if self._lock.locked():
            async with self._lock:
                cur = await self._w().execute(sql, args)
                return cur.rowcount
        cur = await self._w().execute(sql, args)
        return cur.rowcount

    async def _write_query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        if self._lock.locked():
            async with self._lock:
                return list(await self._w().execute_fetchall(sql, args))
        return list(await self._w().execute_fetchall(sql, args))

    async def _query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        if self.memory or self._idle is None:
            return await self._write_query(sql, args)
        db = await self._idle.get()
        try:
            return list(await db.execute_fetchall(sql, args))
        finally:
            self._idle.put_nowait(db)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._lock:
            db = self._w()
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield _Conn(db)
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    def _append_statement(
        self, run_id: str, events: list[EncodedEvent], expected: int
    ) -> tuple[str, Sequence[Any]]:
        # Profiled (sequential appends): building the statement text per call (a join of n
        # row groups) and the VALUES subquery SQLite runs as a co-routine cost a few us per
        # append; the text is cached per batch size and a single event is a plain SELECT.
        if len(events) == 1:
            e = events[0]
            ts = to_micros(e.timestamp)
            return _append_sql(1), (
                run_id,
                expected + 1,
                e.id,
                e.type,
                e.data,
                ts,
                expected,
                run_id,
                expected,
            )
        args: list[Any] = []
        for i, e in enumerate(events, expected + 1):
            args += (run_id, i, e.id, e.type, e.data, to_micros(e.timestamp))
        args += (expected, run_id, expected)
        return _append_sql(len(events)), args

    async def _append_group(self, group: list[Pending]) -> list[int]:
        # One BEGIN IMMEDIATE ... COMMIT (one fsync) for the whole group. A failing statement
        # (unique violation) is undone on its own by SQLite (ABORT), the transaction goes on.
        results: list[int] = []
        async with self._transaction() as conn:
            for p in group:
                sql, args = self._append_statement(p.run_id, p.events, p.expected)
                try:
                    results.append(await conn.execute(sql, args))
                except sqlite3.IntegrityError as exc:
                    if not self._is_unique_violation(exc):
                        raise
                    results.append(-1)
        return results

    def _schema_session(self) -> Any:
        # BEGIN IMMEDIATE is the database lock: other processes wait (busy_timeout) until the
        # whole upgrade, which is transactional in SQLite, has committed.
        return self._transaction()

    def _is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and getattr(exc, "sqlite_errorname", "") in (
            "SQLITE_CONSTRAINT_UNIQUE",
            "SQLITE_CONSTRAINT_PRIMARYKEY",
        )

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        text = self._redact(f"{type(exc).__name__}: {exc}")
        if self._is_unique_violation(exc):
            return ConflictError(text)
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_TOOBIG":
            return PayloadTooLarge(text)
        if name in _CONFIGURATION or (name.startswith("SQLITE_CANTOPEN") and not self._open):
            # Opening the file failed while connecting: a path or permission mistake. Later
            # (a journal file, file descriptors running out) it may pass: transient then.
            return ConfigurationError(f"cannot use the SQLite file {self.path}: {text}")
        if name.startswith(
            ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_FULL")
        ):
            return StorageUnavailable(text)
        if isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc):
            return SchemaError(text)
        if isinstance(exc, ValueError) and "no active connection" in str(exc):
            return StorageUnavailable(text)  # aiosqlite after close
        if isinstance(exc, OSError | TimeoutError):
            return StorageUnavailable(text)
        return StorageError(text)


@functools.lru_cache(maxsize=64)
def _append_sql(n: int) -> str:
    """The guarded INSERT of ``n`` events: written only if the log is at the expected version
    (``? = 0`` or its event ``seq = expected`` exists); the primary key refuses the rest."""
    head = f"INSERT INTO pyworkflow_events ({EVENT_COLS}) SELECT "
    if n == 1:
        return f"{head}?, ?, ?, ?, ?, ? WHERE {Sql.GUARD}"
    rows = ", ".join(["(?, ?, ?, ?, ?, ?)"] * n)
    return f"{head}* FROM (VALUES {rows}) AS v WHERE {Sql.GUARD}"


async def _switch_to_wal(db: aiosqlite.Connection, seconds: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried for up to ``seconds`` while the file is locked.

    The switch needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without its
    busy handler, where waiting could deadlock; several stores opening one new file at once
    on a loaded machine then failed to open. Retrying after a short pause is safe: the pragma
    changes nothing until it succeeds.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.05)
