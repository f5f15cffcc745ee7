"""Raw ceiling for Cassandra: cassandra-driver, prepared statements, one Session.

The raw events table has exactly the backend's ``events`` shape (``((run_id, bucket), seq,
eid)``, static ``version``, ``type``, ``data``, ``ts``, ``id_seq``) in the same keyspace, and
``insert`` issues the backend's append **as a raw client would write it by hand**: one
single-partition conditional batch of the static version guard (``INSERT ... IF NOT EXISTS``
for the first event, ``UPDATE ... SET version IF version = seq - 1`` after), the event row and
the event-id row ``IF NOT EXISTS``. That is a Paxos round per event, the price of a
linearizable append on Cassandra, so the ratio shows only what pyworkflow adds around it. The
variant "plain INSERT" is the same event row as one prepared unconditional ``INSERT``: the
ceiling of a client that needs no guard (and could not detect a conflict). The batch is the
same conditional batch of 100 events; replay pages (1000 rows) through the run's partition
and ``json.loads`` each ``data``. Futures are awaited with the backend's callback bridge
(``pyworkflow_cassandra.aio.wait``): the driver has no asyncio API of its own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType, dict_factory
from pyworkflow.codec import to_micros
from pyworkflow.urls import StorageURL
from pyworkflow_cassandra.aio import applied, wait
from pyworkflow_cassandra.backend import contact_points

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling, RawInsert
from .sql import RUN_STATUS

__all__ = ["CassandraRaw"]

PAGE = 1000  # the backend's default page_size


class CassandraRaw(RawCeiling):
    append_how = (
        "cassandra-driver: the backend's conditional batch (static version guard + event row "
        "+ id row IF NOT EXISTS), prepared, one Session"
    )
    batch_how = "the same conditional single-partition batch with 100 events"
    create_how = "cassandra-driver: one prepared INSERT ... IF NOT EXISTS into a runs table"

    def __init__(self, url: StorageURL) -> None:
        self.url = url
        self.keyspace = url.database
        tag = secrets.token_hex(4)
        self.events = f'"{self.keyspace}".pwbench_raw_events_{tag}'
        self.runs = f'"{self.keyspace}".pwbench_raw_runs_{tag}'

    def _cluster(self) -> Cluster:
        q = self.url.query
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(q.get("local_dc", ""))),
            consistency_level=ConsistencyLevel.name_to_value[q.get("consistency", "LOCAL_QUORUM")],
            serial_consistency_level=ConsistencyLevel.name_to_value[
                q.get("serial_consistency", "LOCAL_SERIAL")
            ],
            request_timeout=30,
            row_factory=dict_factory,
        )
        return Cluster(
            contact_points=contact_points(self.url.hosts),
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
            # the protocol the backend speaks on this URL (v4 unless it names one)
            protocol_version=int(q.get("protocol_version", "4")),
        )

    async def _run(self, statement: Any, params: Sequence[Any] | None = None) -> Any:
        return await wait(self.session.execute_async(statement, params))

    async def open(self) -> None:
        self.cluster = await asyncio.to_thread(self._cluster)
        self.session: Session = await asyncio.to_thread(self.cluster.connect)
        self.session.default_fetch_size = PAGE
        e, r = self.events, self.runs
        for ddl in (
            f"CREATE TABLE {e} (run_id text, bucket bigint, seq bigint, eid text, "
            "version bigint STATIC, type text, data text, ts bigint, id_seq bigint, "
            "PRIMARY KEY ((run_id, bucket), seq, eid))",
            f"CREATE TABLE {r} (id text PRIMARY KEY, status text, rev bigint, doc text)",
        ):
            await wait(self.session.execute_async(ddl, timeout=120))
        texts = {
            "open": f"INSERT INTO {e} (run_id, bucket, version) VALUES (?, 0, ?) IF NOT EXISTS",
            "bump": f"UPDATE {e} SET version = ? WHERE run_id = ? AND bucket = 0 IF version = ?",
            "row": f"INSERT INTO {e} (run_id, bucket, seq, eid, type, data, ts) "
            "VALUES (?, 0, ?, ?, ?, ?, ?)",
            "id": f"INSERT INTO {e} (run_id, bucket, seq, eid, id_seq) VALUES (?, 0, 0, ?, ?)",
            "id_new": f"INSERT INTO {e} (run_id, bucket, seq, eid, id_seq) "
            "VALUES (?, 0, 0, ?, ?) IF NOT EXISTS",
            "last": f"SELECT version FROM {e} WHERE run_id = ? AND bucket = 0 LIMIT 1",
            "replay": f"SELECT seq, eid, type, data, ts FROM {e} WHERE run_id = ? AND bucket = 0 "
            "AND seq > 0",
            "run": f"INSERT INTO {r} (id, status, rev, doc) VALUES (?, ?, 0, ?) IF NOT EXISTS",
        }
        prepared = await asyncio.gather(
            *(asyncio.to_thread(self.session.prepare, t) for t in texts.values())
        )
        self.st = dict(zip(texts, prepared, strict=True))

    async def close(self) -> None:
        try:
            for table in (self.events, self.runs):
                await wait(self.session.execute_async(f"DROP TABLE IF EXISTS {table}", timeout=120))
        finally:
            await asyncio.to_thread(self.cluster.shutdown)

    def _append(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> BatchStatement:
        """The backend's conditional batch: guard, event rows, id rows (one partition)."""
        st, last = self.st, first_seq + len(rows) - 1
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        opening = first_seq == 1
        if opening:
            batch.add(st["open"], (run_id, last))
        else:
            batch.add(st["bump"], (last, run_id, first_seq - 1))
        for seq, r in enumerate(rows, first_seq):
            batch.add(st["row"], (run_id, seq, r.id, r.type, r.data, r.micros))
            batch.add(st["id" if opening else "id_new"], (run_id, r.id, seq))
        return batch

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        return applied((await self._run(self._append(run_id, seq, [row]))).rows)

    async def _plain(self, run_id: str, seq: int, row: RawRow) -> bool:
        st = self.st["row"]
        await self._run(st, (run_id, seq, row.id, row.type, row.data, row.micros))
        return True

    def variants(self) -> dict[str, RawInsert]:
        return {"plain INSERT": self._plain}

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        if not applied((await self._run(self._append(run_id, first_seq, rows))).rows):
            raise RuntimeError(f"raw batch at {first_seq} refused on a private run")

    async def last_seq(self, run_id: str) -> int:
        rows = (await self._run(self.st["last"], (run_id,))).rows
        return int(rows[0]["version"] or 0) if rows else 0

    async def replay(self, run_id: str) -> int:
        count, state = 0, None
        while True:
            page = await wait(
                self.session.execute_async(self.st["replay"], (run_id,), paging_state=state)
            )
            decoded = [
                (r["seq"], r["eid"], r["type"], json.loads(r["data"]), r["ts"]) for r in page.rows
            ]
            count += len(decoded)
            state = page.paging_state
            if state is None:
                return count

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        doc = json.dumps(
            {"id": run_id, "workflow_name": name, "input": input_json, "at": to_micros(now)}
        )
        await self._run(self.st["run"], (run_id, RUN_STATUS, doc))

    async def facts(self) -> dict[str, Any]:
        local = (await self._run("SELECT release_version FROM system.local")).rows
        facts: dict[str, Any] = {"server_version": f"Cassandra {local[0]['release_version']}"}
        wanted = ("commitlog_sync", "commitlog_sync_period", "paxos_variant", "concurrent_writes")
        settings = (await self._run("SELECT name, value FROM system_views.settings")).rows
        for row in settings:
            if row["name"] in wanted:
                facts[row["name"]] = row["value"]
        return facts
