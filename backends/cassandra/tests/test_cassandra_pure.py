"""Pure pieces: the asyncio bridge, CQL text, bucketing arithmetic, URL options, list bounds."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from cassandra import ConsistencyLevel, Unavailable
from pyworkflow.errors import InvalidInput
from pyworkflow.models import RunFilter, WorkflowRun
from pyworkflow_cassandra import CassandraBackend, buckets, cql
from pyworkflow_cassandra.aio import Runner, applied, wait
from pyworkflow_cassandra.backend import contact_points
from pyworkflow_cassandra.records import MAX_MICROS, list_bounds, run_matches

# -- asyncio bridge ------------------------------------------------------------------------


class ThreadFuture:
    """Resolves on another thread after ``release`` is set, like the driver's I/O thread."""

    def __init__(self, rows: Any = None, exc: BaseException | None = None) -> None:
        self.rows, self.exc = rows, exc
        self.release = threading.Event()
        self.done = threading.Event()
        self.callback_threads: list[int] = []

    def add_callbacks(self, callback: Any, errback: Any) -> None:
        def fire() -> None:
            self.release.wait(5)
            self.done.set()
            self.callback_threads.append(threading.get_ident())
            (errback(self.exc) if self.exc else callback(self.rows))

        threading.Thread(target=fire, daemon=True).start()

    def result(self) -> Any:
        assert self.done.is_set(), "result() would block the event loop"
        if self.exc:
            raise self.exc

        class RS:
            current_rows = self.rows
            paging_state = b"next"

        return RS()


async def test_wait_does_not_block_the_loop_and_returns_the_page() -> None:
    fut = ThreadFuture(rows=[{"a": 1}])
    task = asyncio.ensure_future(wait(fut))
    await asyncio.sleep(0.01)
    assert not task.done()  # the loop kept running while the "server" had not answered
    fut.release.set()
    result = await task
    assert result.rows == [{"a": 1}]
    assert result.paging_state == b"next"
    assert fut.callback_threads[0] != threading.get_ident()


async def test_wait_raises_the_driver_exception() -> None:
    exc = Unavailable("down", consistency=ConsistencyLevel.QUORUM)
    fut = ThreadFuture(exc=exc)
    fut.release.set()
    with pytest.raises(Unavailable) as info:
        await wait(fut)
    assert info.value is exc


async def test_cancelled_wait_ignores_the_late_answer() -> None:
    fut = ThreadFuture(rows=[])
    task = asyncio.ensure_future(wait(fut))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    fut.release.set()
    fut.done.wait(5)
    await asyncio.sleep(0.01)  # the late callback must not raise InvalidStateError


async def test_runner_pages_with_paging_state() -> None:
    class Session:
        def __init__(self) -> None:
            self.states: list[Any] = []

        def execute_async(self, stmt: Any, params: Any = None, *, paging_state: Any = None):
            self.states.append(paging_state)
            page = int(paging_state or b"0")
            fut = ThreadFuture(rows=[{"n": page * 2}, {"n": page * 2 + 1}])
            fut.release.set()
            nxt = str(page + 1).encode() if page < 2 else None
            original = fut.result

            def result() -> Any:
                rs = original()
                rs.paging_state = nxt
                return rs

            fut.result = result  # type: ignore[method-assign]
            return fut

    session = Session()
    rows = await Runner(session, page_size=2).all("q")  # type: ignore[arg-type]
    assert [r["n"] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert session.states == [None, b"1", b"2"]


def test_applied_reads_the_lwt_flag() -> None:
    assert applied([{"[applied]": True}]) is True
    assert applied([{"[applied]": False, "version": 3}]) is False
    with pytest.raises(RuntimeError):
        applied([])
    with pytest.raises(RuntimeError):
        applied([{"version": 3}])


# -- CQL text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["", "1abc", "a-b", 'ks"; DROP KEYSPACE x; --', "a" * 49, "ks space", "ks.x"]
)
def test_keyspace_names_that_could_inject_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="keyspace"):
        cql.check_keyspace(bad)
    with pytest.raises(InvalidInput):
        CassandraBackend(f"cassandra://127.0.0.1/{bad}")


def test_replication_maps() -> None:
    assert cql.keyspace_ddl("ks", 3, None) == (
        "CREATE KEYSPACE IF NOT EXISTS \"ks\" WITH replication = {'class': 'SimpleStrategy', "
        "'replication_factor': 3}"
    )
    assert "{'class': 'NetworkTopologyStrategy', 'dc1': 3}" in cql.keyspace_ddl("ks", 3, "dc1")
    with pytest.raises(ValueError, match="data center"):
        cql.replication(1, "dc'1")


def test_every_statement_binds_values_and_is_qualified() -> None:
    texts = cql.statements("ks")
    for name, text in texts.items():
        assert '"ks".' in text, name
        assert "ALLOW FILTERING" not in text.upper(), name
        # Values only through bind markers: no quoted literal except fixed status words.
        assert not re.search(r"'[^']*'", text), (name, text)
    ddl = " ".join(cql.table_ddl("ks"))
    assert "ALLOW FILTERING" not in ddl
    assert "version bigint STATIC" in ddl
    assert "PRIMARY KEY ((run_id, bucket), seq, eid)" in ddl
    assert all(t.startswith('CREATE TABLE IF NOT EXISTS "ks".') for t in cql.table_ddl("ks"))


def test_append_statements_are_the_documented_conditional_forms() -> None:
    st = cql.statements("ks")
    assert st["ev_open"].endswith("(run_id, bucket, version) VALUES (?, ?, ?) IF NOT EXISTS")
    assert st["ev_bump"].endswith("SET version = ? WHERE run_id = ? AND bucket = ? IF version = ?")
    assert st["ev_id_new"].endswith("VALUES (?, ?, 0, ?, ?) IF NOT EXISTS")
    assert "IF" not in st["ev_row"]
    assert "(created_at, id) < (?, ?)" in st["by_day_list"]
    assert st["task_claim"].endswith("IF attempts = ? AND lease_until <= ? AND due_at = ?")
    meta = cql.meta_statements("ks")
    assert "IF NOT EXISTS USING TTL" in meta["lock_take"]


# -- buckets -------------------------------------------------------------------------------


def test_every_sequence_is_found_from_read_start() -> None:
    """Simulate every append schedule shape: an event's bucket is never before read_start."""
    for size in (1, 2, 3, 5, 8):
        for max_batch in range(1, size + 1):
            buckets.check_sizes(size, max_batch)
            version, where = 0, {}
            for step in range(200):
                n = 1 + (step * 7) % max_batch
                b = buckets.append_bucket(version, size)
                for s in range(version + 1, version + n + 1):
                    where[s] = b
                version += n
            for s, b in where.items():
                assert b >= buckets.read_start(s - 1, size)
                assert b in {(s - 1) // size, s // size - 1}
            seen = sorted(set(where.values()))
            assert seen == list(range(len(seen)))  # contiguous


def test_bucket_predicates() -> None:
    assert buckets.is_closed(0, 10, 10)
    assert not buckets.is_closed(0, 9, 10)
    assert not buckets.is_closed(0, None, 10)
    assert buckets.continue_after_empty(0, 10, 10)
    assert not buckets.continue_after_empty(0, 9, 10)
    assert buckets.day_of(0) == 0
    assert buckets.day_of(buckets.DAY_MICROS - 1) == 0
    assert buckets.day_of(-1) == -1
    with pytest.raises(ValueError, match="bucket_size"):
        buckets.check_sizes(5, 6)


# -- URL options ---------------------------------------------------------------------------


def test_url_options_are_taken_and_checked() -> None:
    b = CassandraBackend(
        "cassandra://u:pw@h1,h2:9043/ks?replication_factor=3&local_dc=dc1&consistency=QUORUM"
        "&serial_consistency=SERIAL&max_batch=50&bucket_size=500&page_size=10"
    )
    assert (b.replication_factor, b.local_dc) == (3, "dc1")
    assert b.consistency == ConsistencyLevel.QUORUM
    assert b.serial_consistency == ConsistencyLevel.SERIAL
    assert (b.features.max_batch, b.bucket_size, b.page_size) == (50, 500, 10)
    assert "pw" not in repr(b)
    defaults = CassandraBackend("cassandra://h/ks")
    assert defaults.consistency == ConsistencyLevel.LOCAL_QUORUM
    assert defaults.serial_consistency == ConsistencyLevel.LOCAL_SERIAL
    assert defaults.protocol_version == 4
    assert CassandraBackend("cassandra://h/ks?protocol_version=5").protocol_version == 5
    for bad in (
        "cassandra://h/ks?bogus=1",
        "cassandra://h/ks?consistency=SERIAL",
        "cassandra://h/ks?serial_consistency=QUORUM",
        "cassandra://h/ks?max_batch=200&bucket_size=100",
        "cassandra://h/ks?max_batch=1000&max_event_bytes=1048576",
        "cassandra://h/ks?replication_factor=0",
        "cassandra://h/ks?protocol_version=3",
        "cassandra://h/ks?protocol_version=6",
        "cassandra:///ks",
        "cassandra://h/",
    ):
        with pytest.raises(InvalidInput):
            CassandraBackend(bad)


def test_contact_points_share_the_given_port() -> None:
    assert contact_points([("a", None), ("b", 9043)]) == [("a", 9043), ("b", 9043)]
    assert contact_points([("a", None)]) == [("a", 9042)]
    assert contact_points([("a", 1), ("b", 2)]) == [("a", 1), ("b", 2)]


# -- listing bounds ------------------------------------------------------------------------

T = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def test_list_bounds_take_the_tighter_of_cursor_and_created_before() -> None:
    assert list_bounds(RunFilter(), None) == ((MAX_MICROS, ""), None)
    micros = 1704164645678901
    assert list_bounds(RunFilter(), (T, "r9")) == ((micros, "r9"), None)
    assert list_bounds(RunFilter(created_before=T), (T, "r9"))[0] == (micros, "")
    assert list_bounds(RunFilter(created_after=T), None)[1] == micros


def test_run_matches_checks_the_index_entry_against_the_run() -> None:
    run = WorkflowRun(id="r", workflow_name="wf", created_at=T, parent_id="p")
    micros = 1704164645678901
    assert run_matches(run, RunFilter(parent_id="p"), micros)
    assert not run_matches(run, RunFilter(), micros + 1)  # a leftover entry
    assert not run_matches(run, RunFilter(workflow_name="other"), micros)
    assert not run_matches(run, RunFilter(created_before=T), micros)
    assert run_matches(run, RunFilter(created_after=T), micros)
