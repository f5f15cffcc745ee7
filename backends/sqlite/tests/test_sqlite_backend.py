"""SQLite-only behaviour: options, PRAGMAs, migrations from every version, error translation."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import ConflictError, InvalidInput, StorageUnavailable
from pyworkflow_sql import LATEST
from pyworkflow_sql.testing import check_reapply_and_refuse_newer, check_upgrade_from
from pyworkflow_sqlite import SqliteBackend


def url(tmp_path: Path, query: str = "") -> str:
    return f"sqlite:///{tmp_path}/store.db" + (f"?{query}" if query else "")


def test_options_are_parsed_and_unknown_ones_refused(tmp_path: Path) -> None:
    b = StorageBackend.from_url(url(tmp_path, "pool_size=16&synchronous=normal&busy_timeout=50"))
    assert isinstance(b, SqliteBackend)
    assert (b.pool_size, b.synchronous, b.busy_timeout) == (16, "normal", 50)
    assert b.path == f"{tmp_path}/store.db"
    defaults = SqliteBackend(url(tmp_path))
    assert (defaults.pool_size, defaults.synchronous, defaults.busy_timeout) == (4, "full", 5000)
    with pytest.raises(InvalidInput, match="unknown option"):
        SqliteBackend(url(tmp_path, "pool=3"))
    with pytest.raises(InvalidInput, match="pool_size"):
        SqliteBackend(url(tmp_path, "pool_size=0"))
    with pytest.raises(InvalidInput, match="synchronous"):
        SqliteBackend(url(tmp_path, "synchronous=off"))
    with pytest.raises(InvalidInput, match="no host"):
        SqliteBackend("sqlite://somehost/x.db")


def test_memory_path_is_declared_not_durable() -> None:
    b = SqliteBackend("sqlite:///:memory:")
    assert not b.features.durable
    assert not b.features.multi_process
    assert SqliteBackend("sqlite:///x.db").features.durable


async def test_wal_and_synchronous_full_by_default_normal_on_request(tmp_path: Path) -> None:
    async with SqliteBackend(url(tmp_path)) as b:
        writer = b._w()
        assert (await writer.execute_fetchall("PRAGMA journal_mode", []))[0][0] == "wal"
        assert (await writer.execute_fetchall("PRAGMA synchronous", []))[0][0] == 2
        assert (await writer.execute_fetchall("PRAGMA busy_timeout", []))[0][0] == 5000
    async with SqliteBackend(url(tmp_path, "synchronous=normal")) as b:
        assert (await b._w().execute_fetchall("PRAGMA synchronous", []))[0][0] == 1


async def test_memory_database_works_on_one_connection() -> None:
    async with SqliteBackend("sqlite:///:memory:") as b:
        assert await b.append("r", [NewEvent(type="a")], expected_version=0) == 1
        assert [e.sequence for e in await b.read("r")] == [1]


@pytest.mark.parametrize("version", range(1, LATEST))
async def test_upgrade_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    await check_upgrade_from(url(tmp_path), version)


async def test_lost_migration_record_is_redone_and_newer_schema_refused(tmp_path: Path) -> None:
    await check_reapply_and_refuse_newer(url(tmp_path))


async def test_concurrent_appends_never_interleave_in_the_one_writer(tmp_path: Path) -> None:
    async with SqliteBackend(url(tmp_path)) as b:

        async def writer(run_id: str) -> None:
            version = 0
            for _ in range(20):
                version = await b.append(run_id, [NewEvent(type="x")] * 1, expected_version=version)

        await asyncio.gather(*(writer(f"run-{i}") for i in range(8)))
        for i in range(8):
            assert [e.sequence for e in await b.read(f"run-{i}")] == list(range(1, 21))


async def test_a_locked_database_is_unavailable_and_the_append_writes_nothing(
    tmp_path: Path,
) -> None:
    async with SqliteBackend(url(tmp_path, "busy_timeout=50"), retries=0) as b:
        other = sqlite3.connect(f"{tmp_path}/store.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with pytest.raises(StorageUnavailable) as info:
                await b.append("r", [NewEvent(type="a")], expected_version=0)
            assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert await b.version("r") == 0
        assert await b.append("r", [NewEvent(type="a")], expected_version=0) == 1


async def test_unique_violation_is_a_conflict_with_its_cause(tmp_path: Path) -> None:
    async with SqliteBackend(url(tmp_path)) as b:
        await b.append("r", [NewEvent(type="a", id="e1")], expected_version=0)
        with pytest.raises(ConflictError) as info:
            await b.append("r", [NewEvent(type="a", id="e1")], expected_version=1)
        assert isinstance(info.value.__cause__, sqlite3.IntegrityError)
        err = b._translate_error(sqlite3.OperationalError("no such table: pyworkflow_events"))
        assert type(err).__name__ == "SchemaError"


async def test_a_lone_append_runs_inline_without_a_flusher_task(tmp_path: Path) -> None:
    # Sequential appends must cost what a plain statement costs: no queue, no task per append.
    async with SqliteBackend(url(tmp_path), retries=0) as b:
        flushes = 0
        original = b._flush

        async def counting() -> None:
            nonlocal flushes
            flushes += 1
            await original()

        b._flush = counting  # type: ignore[method-assign]
        v = 0
        for _ in range(5):
            v = await b.append("solo", [NewEvent(type="x")], expected_version=v)
        with pytest.raises(ConflictError):
            await b.append("solo", [NewEvent(type="x")], expected_version=2)
        assert flushes == 0
        assert [e.sequence for e in await b.read("solo")] == [1, 2, 3, 4, 5]


async def test_group_commit_keeps_each_append_atomic(tmp_path: Path) -> None:
    assert not SqliteBackend(url(tmp_path, "group_commit=false")).group_commit
    async with SqliteBackend(url(tmp_path), retries=0) as b:
        assert b.group_commit
        calls = 0
        original = b._append_group

        async def counting(group: list) -> list[int]:  # type: ignore[type-arg]
            nonlocal calls
            calls += 1
            return await original(group)

        b._append_group = counting  # type: ignore[method-assign]
        await b.append("dup", [NewEvent(type="a", id="taken")], expected_version=0)
        good = [b.append(f"g{i}", [NewEvent(type="x")], expected_version=0) for i in range(12)]
        bad_id = b.append(
            "dup", [NewEvent(type="b"), NewEvent(type="b", id="taken")], expected_version=1
        )
        stale = b.append("dup", [NewEvent(type="c")], expected_version=5)
        results = await asyncio.gather(*good, bad_id, stale, return_exceptions=True)
        assert results[:12] == [1] * 12
        assert isinstance(results[12], ConflictError)
        assert isinstance(results[13], ConflictError)
        # The first append found nothing queued and ran alone, inline; the thirteen that
        # arrived while it ran went in one transaction.
        assert calls == 1
        assert [e.id for e in await b.read("dup")] == ["taken"]
        for i in range(12):
            assert await b.version(f"g{i}") == 1
