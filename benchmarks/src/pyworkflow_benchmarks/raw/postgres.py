"""Raw ceiling for PostgreSQL: asyncpg, one INSERT per event on a pool of 16 connections.

asyncpg prepares and caches each statement per connection, which is what a raw client gets
for free; the batch is ``executemany`` (one implicit transaction, pipelined: one round trip
for the whole batch in asyncpg >= 0.27).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from pyworkflow.codec import to_micros
from pyworkflow.urls import StorageURL

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling
from .sql import RUN_STATUS, SqlNames, ddl, statements

__all__ = ["PostgresRaw"]


class PostgresRaw(RawCeiling):
    append_how = "asyncpg: one prepared INSERT per event, autocommit, pool of 16"
    batch_how = "asyncpg executemany of 100 rows (one transaction, pipelined)"
    create_how = "asyncpg: one prepared INSERT into a runs table of the same shape"

    def __init__(self, url: StorageURL) -> None:
        self.url = url
        self.names = SqlNames.fresh()
        self.sql = statements(self.names, "$")

    async def open(self) -> None:
        self.pool: asyncpg.Pool = await asyncpg.create_pool(
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 5432,
            user=self.url.username,
            password=self.url.password,
            database=self.url.database or None,
            min_size=16,
            max_size=16,
        )
        async with self.pool.acquire() as conn:
            for stmt in ddl(self.names, 'VARCHAR(255) COLLATE "C"', "TEXT"):
                await conn.execute(stmt)

    async def close(self) -> None:
        try:
            async with self.pool.acquire() as conn:
                for t in (self.names.events, self.names.runs):
                    await conn.execute(f"DROP TABLE IF EXISTS {t}")
        finally:
            await self.pool.close()

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        try:
            await self.pool.execute(
                self.sql.insert, run_id, seq, row.id, row.type, row.data, row.micros
            )
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        await self.pool.executemany(
            self.sql.insert,
            [
                (run_id, seq, r.id, r.type, r.data, r.micros)
                for seq, r in enumerate(rows, first_seq)
            ],
        )

    async def last_seq(self, run_id: str) -> int:
        return int(await self.pool.fetchval(self.sql.last, run_id))

    async def replay(self, run_id: str) -> int:
        rows = await self.pool.fetch(self.sql.replay, run_id)
        decoded = [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]
        return len(decoded)

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        micros = to_micros(now)
        await self.pool.execute(
            self.sql.create_run, run_id, name, RUN_STATUS, input_json, micros, micros
        )

    async def facts(self) -> dict[str, Any]:
        async with self.pool.acquire() as conn:
            facts: dict[str, Any] = {"server_version": await conn.fetchval("SELECT version()")}
            for name in (
                "synchronous_commit",
                "fsync",
                "wal_sync_method",
                "commit_delay",
                "full_page_writes",
            ):
                facts[name] = await conn.fetchval(f"SHOW {name}")
        return facts
