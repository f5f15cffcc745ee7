"""Cassandra-only behaviour on a real server (skipped, with the reason, without one).

Each test here failed on the real server before its fix: the reserved word ``token`` as a
column name, keyspaces kept alive for the whole session, a purge batch over
``batch_size_fail_threshold``, plain deletes shadowing later lightweight-transaction writes,
and (gated, it kills the shared server) a crash and restart under load.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cassandra.query import BatchStatement, BatchType
from pyworkflow import NewEvent, RunStatus, StorageBackend
from pyworkflow.codec import to_micros
from pyworkflow.errors import ConflictError
from pyworkflow.models import utcnow
from pyworkflow_cassandra import CassandraBackend
from pyworkflow_conformance.helpers import make_hook, make_run, make_task, uid
from pyworkflow_conformance.restart import append_through_restart
from pyworkflow_conformance.services import Services

REPO = Path(__file__).resolve().parents[3]
TRACE_READ = re.compile(r"Read (\d+) live rows? and (\d+) tombstone")
SERVERS = REPO / "compose" / "servers"


def _cassandra(b: StorageBackend) -> CassandraBackend:
    assert isinstance(b, CassandraBackend)
    return b


class TestCassandraServer:
    backend_name = "cassandra"

    async def test_schema_and_every_statement_are_accepted_by_the_server(
        self, backend_url: str
    ) -> None:
        # `token` is a reserved CQL word: the DDL and eleven statements used it as a column
        # name, so connect() failed with a SyntaxException on every real server.
        async with StorageBackend.from_url(backend_url) as b:
            c = _cassandra(b)
            assert all(c._st.values())
            hook = await b.create_hook(make_hook())
            assert (await b.get_hook(hook.token)) == hook
            await b.enqueue(make_task())
            (lease,) = await b.claim("w", lease=30)
            lease = await b.extend(lease, 60)
            await b.complete(lease)

    @pytest.mark.parametrize("version", [4, 5])
    async def test_each_protocol_version_it_accepts_speaks_to_the_server(
        self, backend_url: str, version: int
    ) -> None:
        # v4 is the default (the driver's v5 framing can fail a connect); v5 stays usable.
        sep = "&" if "?" in backend_url else "?"
        async with StorageBackend.from_url(f"{backend_url}{sep}protocol_version={version}") as b:
            c = _cassandra(b)
            assert c._cluster.protocol_version == version
            run, _ = await b.create_run(make_run())
            assert (
                await b.append(
                    run.id, [NewEvent(type="x", data={"v": version})], expected_version=0
                )
                == 1
            )
            assert [e.data for e in await b.read(run.id)] == [{"v": version}]

    def test_keyspaces_are_emptied_for_the_next_test_not_kept_per_test(
        self, tmp_path: Path
    ) -> None:
        # One keyspace of 19 tables per test, all kept until the session ended, exhausted the
        # node's heap; creating and dropping them cost seconds per test.
        services = Services()
        prefix = f"pwt_{services.session_id}_"
        seen: set[str] = set()
        try:
            for _ in range(3):
                url = services.fresh_url("cassandra", tmp_path)
                seen.add(url.split("/")[3].split("?")[0])

                async def use(url: str = url) -> set[str]:
                    async with StorageBackend.from_url(url) as b:
                        assert await b.version("r") == 0, "not a fresh store"
                        await b.append("r", [NewEvent(type="x")], expected_version=0)
                        return {k for k in await _keyspaces(b) if k.startswith(prefix)}

                assert asyncio.run(use()) == seen
                services.after_test("cassandra")
            assert len(seen) == 1
        finally:
            services.close()

        async def left() -> set[str]:
            other = Services()
            try:
                async with StorageBackend.from_url(other.fresh_url("cassandra", tmp_path)) as b:
                    return {k for k in await _keyspaces(b) if k.startswith(prefix)}
            finally:
                other.close()

        assert asyncio.run(left()) == set()

    async def test_purging_a_run_with_thousands_of_hooks_stays_under_the_batch_limit(
        self, backend_url: str
    ) -> None:
        # 6,000 entries in hooks_by_run made one LOGGED batch of 6,000 deletions: over the
        # server's batch_size_fail_threshold (50 KiB), "Batch too large", every sweep.
        async with StorageBackend.from_url(backend_url) as b:
            c = _cassandra(b)
            now = utcnow()
            run = make_run(status=RunStatus.COMPLETED, completed_at=now - timedelta(days=1))
            await b.create_run(run)
            await b.create_hook(make_hook(run_id=run.id))
            tokens = [uid("hook") for _ in range(6000)]
            for start in range(0, len(tokens), 500):
                batch = BatchStatement(batch_type=BatchType.UNLOGGED)
                for token in tokens[start : start + 500]:
                    batch.add(c._st["hrun_add"], (run.id, token))
                await c._db.execute(batch)
            assert await b.delete_runs(older_than=now) == 1
            assert await b.get_run(run.id) is None
            assert await c._db.all(c._st["hrun_list"], (run.id,)) == []

    async def test_a_purged_run_can_be_recreated_at_once_despite_a_fast_client_clock(
        self, backend_url: str
    ) -> None:
        # Plain deletes carry the client's timestamp; lightweight transactions the server's
        # Paxos ballot. With a client clock ahead of the server's (here by 5 s), a purge's
        # tombstones shadowed the run, key, events, task and hook written again right after:
        # acknowledged as created, yet invisible.
        async with StorageBackend.from_url(backend_url) as b:
            c = _cassandra(b)
            c._cluster.timestamp_generator = lambda: int((time.time() + 5) * 1_000_000)
            now = utcnow()
            key, run_id = uid("key"), uid("run")
            hook = make_hook(run_id=run_id)
            task = make_task(run_id=run_id)

            async def populate() -> None:
                run = make_run(id=run_id, idempotency_key=key)
                got, created = await b.create_run(run)
                assert created
                assert got.id == run_id
                await b.append(run_id, [NewEvent(type="a"), NewEvent(type="b")], expected_version=0)
                await b.enqueue(task)
                await b.create_hook(hook)
                done = {"status": RunStatus.COMPLETED, "completed_at": utcnow()}
                await b.update_run(run_id, done)

            await populate()
            assert await b.delete_runs(older_than=utcnow() + timedelta(seconds=1)) == 1
            assert await b.get_run(run_id) is None
            await populate()
            assert (await b.get_run(run_id)) is not None
            assert [e.type for e in await b.read(run_id)] == ["a", "b"]
            assert (await b.get_hook(hook.token)) is not None
            leases = await b.claim("w", lease=30, now=now + timedelta(days=1))
            assert [lease.task.id for lease in leases] == [task.id]

    async def test_claims_do_not_read_the_tombstones_of_completed_tasks(
        self, backend_url: str
    ) -> None:
        # Every completed task leaves a tombstone in the one tasks_due partition, and claims
        # scanned it from the oldest due time: every claim read every tombstone of the last
        # 10 days (gc_grace_seconds) and failed past 100,000 (tombstone_failure_threshold).
        # The server's own trace of the claim's scan counts what it read.
        async with StorageBackend.from_url(backend_url) as b:
            c = _cassandra(b)
            hour_ago = utcnow() - timedelta(hours=1)
            tasks = [make_task(due_at=hour_ago + timedelta(milliseconds=i)) for i in range(300)]
            for start in range(0, len(tasks), 30):
                await asyncio.gather(*(b.enqueue(t) for t in tasks[start : start + 30]))
            leases = await b.claim("w", lease=60, limit=300)
            assert len(leases) == 300
            for start in range(0, len(leases), 30):
                await asyncio.gather(*(b.complete(lease) for lease in leases[start : start + 30]))
            assert await b.claim("w", lease=60) == []  # nothing due; the floor moves up
            traced: list[Any] = []
            session = c._db.session
            untraced = session.execute_async

            def tracing(statement: Any, *args: Any, **kwargs: Any) -> Any:
                if statement is c._st["due_list"]:
                    kwargs["trace"] = True
                    traced.append(untraced(statement, *args, **kwargs))
                    return traced[-1]
                return untraced(statement, *args, **kwargs)

            session.execute_async = tracing  # type: ignore[method-assign]
            try:
                assert await b.claim("w", lease=60) == []
            finally:
                session.execute_async = untraced  # type: ignore[method-assign]
            assert traced, "the claim did not scan the due index"
            trace = await asyncio.to_thread(traced[0].get_query_trace, 30)
            counts = [
                (int(m.group(1)), int(m.group(2)))
                for m in (TRACE_READ.search(e.description) for e in trace.events)
                if m is not None
            ]
            assert counts, [e.description for e in trace.events]
            assert sum(tombstones for _, tombstones in counts) < 10, counts

    async def test_ids_of_closed_buckets_held_in_memory_still_refuse_every_duplicate(
        self, backend_url: str
    ) -> None:
        # Small buckets, so a short run has many closed ones. One instance holds their ids
        # after its first check; another checks by query. Both refuse a duplicate from any
        # closed bucket, and the ids each one appends are refused by the other.
        sep = "&" if "?" in backend_url else "?"
        url = f"{backend_url}{sep}bucket_size=4&max_batch=3"
        async with StorageBackend.from_url(url) as one, StorageBackend.from_url(url) as two:
            held, queried = _cassandra(one), _cassandra(two)
            held._closed.load_after = 1
            queried._closed.max_ids = 0
            run, _ = await one.create_run(make_run())
            version = 0
            for i in range(30):
                b = one if i % 3 else two
                ev = NewEvent(id=f"e{i}", type="t", data={"i": i})
                version = await b.append(run.id, [ev], expected_version=version)
            assert held._closed.covered(run.id) == 7  # buckets 0-6 closed at version 30
            assert queried._closed.covered(run.id) is None
            for b in (one, two):
                for old in ("e0", "e13", "e27"):
                    dup = [NewEvent(id="fresh", type="t"), NewEvent(id=old, type="t")]
                    with pytest.raises(ConflictError, match=f"{old!r} is already in run"):
                        await b.append(run.id, dup, expected_version=version)
            assert (
                await one.append(run.id, [NewEvent(id="e30", type="t")], expected_version=30) == 31
            )
            with pytest.raises(ConflictError):
                await two.append(run.id, [NewEvent(id="e30", type="t")], expected_version=31)
            events = await two.read(run.id)
            assert [e.id for e in events] == [f"e{i}" for i in range(31)]

    async def test_a_task_enqueued_below_the_raised_floor_is_still_claimed(
        self, backend_url: str
    ) -> None:
        async with StorageBackend.from_url(backend_url) as b:
            c = _cassandra(b)
            assert await b.claim("w", lease=60) == []  # nothing due: the floor moves up
            floor, _ = await c._floor()
            assert floor > to_micros(utcnow() - timedelta(minutes=6))
            task = make_task(due_at=utcnow() - timedelta(days=3))
            await b.enqueue(task)
            assert (await c._floor())[0] <= to_micros(task.due_at)
            assert [lease.task.id for lease in await b.claim("w", lease=60)] == [task.id]

    @pytest.mark.skipif(
        os.environ.get("PYWORKFLOW_TEST_CASSANDRA_RESTART") != "1",
        reason="kills and restarts the shared Cassandra server: set "
        "PYWORKFLOW_TEST_CASSANDRA_RESTART=1 (with a server started by compose/servers) to run it",
    )
    async def test_server_crash_is_unavailable_then_recovers_without_loss(
        self, backend_url: str
    ) -> None:
        b = StorageBackend.from_url(backend_url, retries=0, request_timeout=5)
        async with b:
            # SIGKILL (a crash: no drain), then start again; appends keep going meanwhile.
            command = ["bash", "-c", f"{SERVERS} kill cassandra && {SERVERS} start cassandra"]
            try:
                await append_through_restart(b, command)
            finally:
                _ensure_running()


async def _keyspaces(b: StorageBackend) -> set[str]:
    c = _cassandra(b)
    query = "SELECT keyspace_name FROM system_schema.keyspaces"
    rows: list[dict[str, Any]] = await c._db.all(query)
    return {r["keyspace_name"] for r in rows}


def _ensure_running() -> None:
    """Leave Cassandra running for everyone else, whatever happened in the test."""
    subprocess.run([str(SERVERS), "start", "cassandra"], check=False, capture_output=True)
