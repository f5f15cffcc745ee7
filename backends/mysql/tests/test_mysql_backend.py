"""MySQL/MariaDB-only behaviour on the real server: options, collation, DDL, migrations from
every version, error translation (deadlock/lock wait -> conflict, packet -> too large)."""

from __future__ import annotations

import pymysql
import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import (
    ConflictError,
    InvalidInput,
    PayloadTooLarge,
    StorageError,
    StorageUnavailable,
)
from pyworkflow.models import WorkflowRun
from pyworkflow_mysql import MySQLBackend
from pyworkflow_sql import LATEST, metadata
from pyworkflow_sql.testing import check_reapply_and_refuse_newer, check_upgrade_from


def test_options_are_parsed_and_unknown_ones_refused() -> None:
    b = StorageBackend.from_url("mysql://u:s3cr3t-pw@db:3307/app?pool_size=16&connect_timeout=3")
    assert isinstance(b, MySQLBackend)
    assert (b.pool_size, b.connect_timeout, b.ssl) == (16, 3.0, False)
    assert "s3cr3t-pw" not in repr(b)
    assert isinstance(StorageBackend.from_url("mariadb://u@db/app"), MySQLBackend)
    with pytest.raises(InvalidInput, match="unknown option"):
        MySQLBackend("mysql://u@db/app?charset=latin1")
    with pytest.raises(InvalidInput, match="pool_size"):
        MySQLBackend("mysql://u@db/app?pool_size=-1")
    with pytest.raises(InvalidInput, match="database"):
        MySQLBackend("mysql://u@db")


async def test_unreachable_server_is_unavailable_and_the_password_is_redacted() -> None:
    b = MySQLBackend("mysql://root:hunter2secret@127.0.0.1:1/x?connect_timeout=2")
    with pytest.raises(StorageUnavailable) as info:
        await b.connect()
    assert "hunter2secret" not in str(info.value)
    assert info.value.__cause__ is not None


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1062, ConflictError),
        (1213, ConflictError),
        (1205, ConflictError),
        (2013, StorageUnavailable),
        (2006, StorageUnavailable),
        (1040, StorageUnavailable),
        (1053, StorageUnavailable),
        (1153, PayloadTooLarge),
        (1406, PayloadTooLarge),
        (1064, StorageError),
    ],
)
def test_error_translation(code: int, kind: type[Exception]) -> None:
    b = MySQLBackend("mysql://root:pw-98765@h/db")
    err = b._translate_error(pymysql.err.OperationalError(code, "boom pw-98765"))
    assert type(err) is kind
    assert "pw-98765" not in str(err)


class TestMySQLServer:
    backend_name = "mysql"

    async def test_tables_indexes_and_byte_exact_collation(self, backend_url: str) -> None:
        b = StorageBackend.from_url(backend_url)
        assert isinstance(b, MySQLBackend)
        async with b:
            rows = await b._query(
                "SELECT table_name, engine, table_collation FROM information_schema.tables "
                "WHERE table_schema = DATABASE()",
                (),
            )
            assert {r[0] for r in rows} == set(metadata.tables)
            assert {r[1] for r in rows} == {"InnoDB"}
            assert {r[2] for r in rows} == {b._collation}
            assert b._collation in ("utf8mb4_nopad_bin", "utf8mb4_0900_bin")
            rows = await b._query(
                "SELECT DISTINCT index_name FROM information_schema.statistics "
                "WHERE table_schema = DATABASE()",
                (),
            )
            declared = {ix.name for t in metadata.tables.values() for ix in t.indexes}
            assert declared <= {r[0] for r in rows}
            # NO PAD, case- and accent-sensitive ids: these are six different runs.
            ids = ["a", "a ", "A", "á", "a\u0301", "\uff41"]  # last: fullwidth a
            for run_id in ids:
                await b.create_run(WorkflowRun(id=run_id, workflow_name="wf"))
                assert await b.append(run_id, [NewEvent(type="x")], expected_version=0) == 1
            for run_id in ids:
                run = await b.get_run(run_id)
                assert run is not None
                assert run.id == run_id
                assert await b.version(run_id) == 1

    @pytest.mark.parametrize("version", range(1, LATEST))
    async def test_upgrade_from_every_earlier_version(self, backend_url: str, version: int) -> None:
        await check_upgrade_from(backend_url, version)

    async def test_lost_migration_record_is_redone_and_newer_schema_refused(
        self, backend_url: str
    ) -> None:
        await check_reapply_and_refuse_newer(backend_url)

    async def test_a_batch_over_max_allowed_packet_is_too_large_and_writes_nothing(
        self, backend_url: str
    ) -> None:
        async with StorageBackend.from_url(backend_url) as b:
            assert isinstance(b, MySQLBackend)
            size = min(b.features.max_event_bytes - 64, 900_000)
            count = b._max_packet // size + 2
            if count > b.features.max_batch:
                pytest.skip(f"max_allowed_packet {b._max_packet} is larger than any batch")
            batch = [NewEvent(type="big", data={"pad": "x" * size}) for _ in range(count)]
            with pytest.raises(PayloadTooLarge):
                await b.append("r", batch, expected_version=0)
            assert await b.version("r") == 0
            assert await b.append("r", batch[:2], expected_version=0) == 2


def test_hot_appends_avoid_the_subquery_guard() -> None:
    # The EXISTS-subquery guard was planned on every append (SHOW PROFILE: ~1 ms of server
    # stages against ~0.5 for a plain INSERT). The first append relies on the primary key, a
    # single next event on a primary-key lookup of the previous one; batches keep the guard.
    from datetime import UTC, datetime

    from pyworkflow._validate import EncodedEvent

    b = MySQLBackend("mysql://u@db/app")
    ev = EncodedEvent(id="e", type="t", data="{}", timestamp=datetime(2026, 1, 1, tzinfo=UTC))
    first, args = b._append_statement("r", [ev, ev], 0)
    assert "SELECT" not in first
    assert first.count("(%s, %s, %s, %s, %s, %s)") == 2
    assert list(args)[:2] == ["r", 1]
    assert len(args) == 12
    nxt, args = b._append_statement("r", [ev], 7)
    assert "EXISTS" not in nxt
    assert nxt.endswith("FROM pyworkflow_events WHERE run_id = %s AND seq = %s")
    assert list(args)[:2] == ["r", 8]
    assert list(args)[-2:] == ["r", 7]
    # A workflow step's two events: each row selected from the event (r, 7), no subquery.
    step, args = b._append_statement("r", [ev, ev], 7)
    assert "EXISTS" not in step
    assert step.count("FROM pyworkflow_events WHERE run_id = %s AND seq = %s") == 2
    ts = args[5]
    assert list(args) == ["r", 8, "e", "t", "{}", ts, "r", 7, "r", 9, "e", "t", "{}", ts, "r", 7]
    batch, _ = b._append_statement("r", [ev] * 10, 7)
    assert "EXISTS" in batch
