"""Raw ceiling for MySQL / MariaDB: aiomysql, one INSERT per event on a pool of 16 connections.

The batch is ``cursor.executemany``, which aiomysql rewrites into ONE multi-row
``INSERT ... VALUES (...), (...)`` statement (autocommit: one transaction, one round trip).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiomysql
import pymysql
from pyworkflow.codec import to_micros
from pyworkflow.urls import StorageURL

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling
from .sql import RUN_STATUS, SqlNames, ddl, statements

__all__ = ["MySQLRaw"]

_DUPLICATE_KEY = 1062


class MySQLRaw(RawCeiling):
    append_how = "aiomysql: one INSERT per event, autocommit, pool of 16"
    batch_how = "aiomysql executemany = one multi-row INSERT of 100 rows"
    create_how = "aiomysql: one INSERT into a runs table of the same shape"

    def __init__(self, url: StorageURL) -> None:
        self.url = url
        self.names = SqlNames.fresh()
        self.sql = statements(self.names, "%s")

    async def _fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(sql, args)
            return list(await cur.fetchall())

    async def open(self) -> None:
        self.pool = await aiomysql.create_pool(
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 3306,
            user=self.url.username or "root",
            password=self.url.password or "",
            db=self.url.database,
            minsize=16,
            maxsize=16,
            autocommit=True,
            charset="utf8mb4",
        )
        # The backends' id columns are byte-exact NO PAD binary; use the same collation.
        nopad = await self._fetch(
            "SHOW COLLATION WHERE Collation IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')"
        )
        coll = nopad[0][0] if nopad else "utf8mb4_bin"
        opts = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC"
        for stmt in ddl(
            self.names, f"VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {coll}", "LONGTEXT", opts
        ):
            await self._fetch(stmt)

    async def close(self) -> None:
        try:
            for t in (self.names.events, self.names.runs):
                await self._fetch(f"DROP TABLE IF EXISTS {t}")
        finally:
            self.pool.close()
            await self.pool.wait_closed()

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        try:
            async with self.pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute(
                    self.sql.insert, (run_id, seq, row.id, row.type, row.data, row.micros)
                )
        except pymysql.err.IntegrityError as exc:
            if exc.args and exc.args[0] == _DUPLICATE_KEY:
                return False
            raise
        return True

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.executemany(
                self.sql.insert,
                [
                    (run_id, seq, r.id, r.type, r.data, r.micros)
                    for seq, r in enumerate(rows, first_seq)
                ],
            )

    async def last_seq(self, run_id: str) -> int:
        return int((await self._fetch(self.sql.last, run_id))[0][0])

    async def replay(self, run_id: str) -> int:
        rows = await self._fetch(self.sql.replay, run_id)
        decoded = [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]
        return len(decoded)

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        micros = to_micros(now)
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(
                self.sql.create_run, (run_id, name, RUN_STATUS, input_json, micros, micros)
            )

    async def facts(self) -> dict[str, Any]:
        (row,) = await self._fetch(
            "SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@sync_binlog, @@log_bin, "
            "@@innodb_flush_method"
        )
        keys = (
            "server_version",
            "innodb_flush_log_at_trx_commit",
            "sync_binlog",
            "log_bin",
            "innodb_flush_method",
        )
        return dict(zip(keys, row, strict=True))
