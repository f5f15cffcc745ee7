"""PostgreSQL-only behaviour on the real server: options, the schema option, indexes,
migrations from every version, error translation, and a server restart while open."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import asyncpg
import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import ConflictError, InvalidInput, StorageUnavailable
from pyworkflow_conformance.restart import append_through_restart
from pyworkflow_postgres import PostgresBackend
from pyworkflow_sql import LATEST, metadata
from pyworkflow_sql.testing import check_reapply_and_refuse_newer, check_upgrade_from


def test_options_are_parsed_and_unknown_ones_refused() -> None:
    b = StorageBackend.from_url(
        "postgresql://u:secret@db:5433/app?schema=wf&pool_size=16&connect_timeout=2.5"
        "&command_timeout=30&sslmode=disable"
    )
    assert isinstance(b, PostgresBackend)
    assert (b.schema, b.pool_size, b.connect_timeout, b.command_timeout, b.sslmode) == (
        "wf",
        16,
        2.5,
        30.0,
        "disable",
    )
    assert "secret" not in repr(b)
    d = PostgresBackend("postgresql://u@db/app")
    assert (d.schema, d.pool_size, d.command_timeout, d.sslmode) == ("public", 16, None, "prefer")
    with pytest.raises(InvalidInput, match="unknown option"):
        PostgresBackend("postgresql://u@db/app?poolsize=3")
    with pytest.raises(InvalidInput, match="pool_size"):
        PostgresBackend("postgresql://u@db/app?pool_size=x")
    with pytest.raises(InvalidInput, match="database"):
        PostgresBackend("postgresql://u@db")


async def test_unreachable_server_is_unavailable_and_the_password_is_redacted() -> None:
    b = PostgresBackend("postgresql://root:hunter2secret@127.0.0.1:1/x?connect_timeout=2")
    with pytest.raises(StorageUnavailable) as info:
        await b.connect()
    assert "hunter2secret" not in str(info.value)
    assert info.value.__cause__ is not None


def test_error_translation() -> None:
    b = PostgresBackend("postgresql://root:pw-123456@h/db")
    cases = {
        asyncpg.exceptions.UniqueViolationError("dup pw-123456"): ConflictError,
        asyncpg.exceptions.AdminShutdownError("shutdown"): StorageUnavailable,
        asyncpg.exceptions.TooManyConnectionsError("too many"): StorageUnavailable,
        asyncpg.exceptions.CannotConnectNowError("starting up"): StorageUnavailable,
        asyncpg.exceptions.ConnectionDoesNotExistError("gone"): StorageUnavailable,
        asyncpg.exceptions.ProgramLimitExceededError("row too big"): Exception,
        ConnectionRefusedError("refused"): StorageUnavailable,
        asyncpg.exceptions.InternalClientError("another operation is in progress"): (
            StorageUnavailable
        ),
    }
    for exc, kind in cases.items():
        err = b._translate_error(exc)
        assert isinstance(err, kind), (exc, err)
        assert "pw-123456" not in str(err)
    assert (
        type(b._translate_error(asyncpg.exceptions.ProgramLimitExceededError("x"))).__name__
        == "PayloadTooLarge"
    )


class TestPostgresServer:
    backend_name = "postgres"

    async def test_schema_is_created_and_holds_every_table_and_index(
        self, backend_url: str
    ) -> None:
        b = StorageBackend.from_url(backend_url)
        assert isinstance(b, PostgresBackend)
        async with b:
            rows = await b._query(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1", (b.schema,)
            )
            assert {r[0] for r in rows} == set(metadata.tables)
            rows = await b._query(
                "SELECT indexname FROM pg_indexes WHERE schemaname = $1", (b.schema,)
            )
            declared = {ix.name for t in metadata.tables.values() for ix in t.indexes}
            assert declared <= {r[0] for r in rows}
            assert await b.schema_version() == LATEST

    @pytest.mark.parametrize("version", range(1, LATEST))
    async def test_upgrade_from_every_earlier_version(self, backend_url: str, version: int) -> None:
        await check_upgrade_from(backend_url, version)

    async def test_lost_migration_record_is_redone_and_newer_schema_refused(
        self, backend_url: str
    ) -> None:
        await check_reapply_and_refuse_newer(backend_url)

    async def test_a_batch_is_one_statement_and_atomic(self, backend_url: str) -> None:
        async with StorageBackend.from_url(backend_url, pool_size=2) as b:
            assert isinstance(b, PostgresBackend)
            batch = [NewEvent(type="x", data={"i": i}) for i in range(100)]
            assert await b.append("r", batch, expected_version=0) == 100
            clash = [NewEvent(type="y"), NewEvent(type="y", id=batch[5].id)]
            with pytest.raises(ConflictError):
                await b.append("r", clash, expected_version=100)
            assert await b.version("r") == 100

    async def test_appends_never_run_on_a_generic_plan(self, backend_url: str) -> None:
        # A generic plan cached while the table was empty made the guard scan every event
        # once the table had grown (found by the benchmark at 100k events). Whatever the
        # table's size, the append must be planned with its parameters: no generic plan.
        async with StorageBackend.from_url(backend_url, pool_size=1) as b:
            assert isinstance(b, PostgresBackend)
            for version in range(12):  # > 5: when PostgreSQL would switch to a generic plan
                await b.append("r", [NewEvent(type="x")], expected_version=version)
            rows = await b._query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'INSERT INTO pyworkflow_events%'",
                (),
            )
            assert rows, "the append statement is not prepared on the connection"
            assert sum(r[0] for r in rows) == 0
            assert sum(r[1] for r in rows) >= 12

    @pytest.mark.skipif(
        os.environ.get("PYWORKFLOW_TEST_PG_RESTART") != "1",
        reason="restarts the shared PostgreSQL server: set PYWORKFLOW_TEST_PG_RESTART=1 (as "
        "root, with pg_ctlcluster) to run it",
    )
    async def test_server_restart_is_unavailable_then_recovers_without_loss(
        self, backend_url: str
    ) -> None:
        ctl = shutil.which("pg_ctlcluster")
        if ctl is None or os.geteuid() != 0:
            pytest.skip("needs root and pg_ctlcluster to restart the server")
        version = _cluster_version()
        b = StorageBackend.from_url(backend_url, retries=0)
        async with b:
            # Calls fail with StorageUnavailable while the server stops and starts again,
            # then succeed on fresh connections.
            try:
                await append_through_restart(
                    b, [ctl, "--skip-systemctl-redirect", version, "main", "restart"]
                )
            finally:
                _ensure_running(ctl, version)


def _cluster_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def _ensure_running(ctl: str, version: str) -> None:
    """Leave PostgreSQL running for everyone else, whatever happened in the test."""
    subprocess.run(
        [ctl, "--skip-systemctl-redirect", version, "main", "start"],
        check=False,
        capture_output=True,
    )
    subprocess.run(["pg_isready", "-h", "127.0.0.1", "-t", "30"], check=False)


class TestGroupCommit:
    backend_name = "postgres"

    async def test_concurrent_appends_are_coalesced_and_each_stays_atomic(
        self, backend_url: str
    ) -> None:
        async with StorageBackend.from_url(backend_url, group_commit=True, retries=0) as b:
            assert isinstance(b, PostgresBackend)
            calls = 0
            original = b._append_group

            async def counting(group: list) -> list[int]:  # type: ignore[type-arg]
                nonlocal calls
                calls += 1
                return await original(group)

            b._append_group = counting  # type: ignore[method-assign]
            await b.append("dup", [NewEvent(type="a", id="taken")], expected_version=0)
            good = [
                b.append(f"g{i}", [NewEvent(type="x")] * 1, expected_version=0) for i in range(12)
            ]
            # In the same groups: a batch that repeats an id (unique violation), one with a
            # stale version (guard fails). Neither may leave a row; the others must land.
            bad_id = b.append(
                "dup", [NewEvent(type="b"), NewEvent(type="b", id="taken")], expected_version=1
            )
            stale = b.append("dup", [NewEvent(type="c")], expected_version=5)
            results = await asyncio.gather(*good, bad_id, stale, return_exceptions=True)
            assert results[:12] == [1] * 12
            assert isinstance(results[12], ConflictError)
            assert isinstance(results[13], ConflictError)
            assert calls >= 1  # at least one call carried several appends
            assert [e.id for e in await b.read("dup")] == ["taken"]
            for i in range(12):
                assert await b.version(f"g{i}") == 1
