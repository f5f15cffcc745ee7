"""Raw ceiling for SQLite: aiosqlite, one INSERT per event in autocommit, in the SAME file
as the backend's store, with the same pragmas (WAL; ``synchronous`` as the URL says, FULL by
default), so both sides pay the same fsync per commit.

The batch is ``BEGIN; executemany(100 rows); COMMIT`` on the one connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite
from pyworkflow.codec import to_micros
from pyworkflow.urls import StorageURL

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling
from .sql import RUN_STATUS, SqlNames, ddl, statements

__all__ = ["SqliteRaw"]

_SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


class SqliteRaw(RawCeiling):
    append_how = "aiosqlite: one INSERT per event, autocommit, same file and pragmas"
    batch_how = "aiosqlite: BEGIN; executemany of 100 rows; COMMIT"
    create_how = "aiosqlite: one INSERT into a runs table of the same shape"

    def __init__(self, url: StorageURL) -> None:
        self.path = url.path
        self.synchronous = str(url.query.get("synchronous", "FULL")).upper()
        self.journal_mode = str(url.query.get("journal_mode", "WAL")).upper()
        self.names = SqlNames.fresh()
        self.sql = statements(self.names, "?")

    async def open(self) -> None:
        self.db = await aiosqlite.connect(self.path, isolation_level=None)
        await self.db.execute(f"PRAGMA journal_mode={self.journal_mode}")
        await self.db.execute(f"PRAGMA synchronous={self.synchronous}")
        await self.db.execute("PRAGMA busy_timeout=10000")
        for stmt in ddl(self.names, "TEXT", "TEXT"):
            await self.db.execute(stmt)

    async def close(self) -> None:
        try:
            for t in (self.names.events, self.names.runs):
                await self.db.execute(f"DROP TABLE IF EXISTS {t}")
        finally:
            await self.db.close()

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        try:
            await self.db.execute(
                self.sql.insert, (run_id, seq, row.id, row.type, row.data, row.micros)
            )
        except sqlite3.IntegrityError:
            return False
        return True

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        await self.db.execute("BEGIN")
        try:
            await self.db.executemany(
                self.sql.insert,
                [
                    (run_id, seq, r.id, r.type, r.data, r.micros)
                    for seq, r in enumerate(rows, first_seq)
                ],
            )
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise
        await self.db.execute("COMMIT")

    async def last_seq(self, run_id: str) -> int:
        async with self.db.execute(self.sql.last, (run_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def replay(self, run_id: str) -> int:
        async with self.db.execute(self.sql.replay, (run_id,)) as cur:
            rows = await cur.fetchall()
        decoded = [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]
        return len(decoded)

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        micros = to_micros(now)
        await self.db.execute(
            self.sql.create_run, (run_id, name, RUN_STATUS, input_json, micros, micros)
        )

    async def facts(self) -> dict[str, Any]:
        async def one(sql: str) -> Any:
            async with self.db.execute(sql) as cur:
                row = await cur.fetchone()
            return row[0] if row else None

        sync = await one("PRAGMA synchronous")
        return {
            "server_version": "SQLite " + str(await one("SELECT sqlite_version()")),
            "journal_mode": await one("PRAGMA journal_mode"),
            "synchronous": _SYNC_NAMES.get(sync, sync),
            "note": "pragmas read back from the raw connection, set as the backend's URL says",
        }
