"""Service resolution and per-test freshness (against the real local servers where present)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest
from pyworkflow import StorageURL
from pyworkflow_conformance import services as svc
from pyworkflow_conformance.services import Services, name_for_url


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_scheme_maps_to_backend_name() -> None:
    assert name_for_url("postgresql://u:p@h/db") == "postgres"
    assert name_for_url("mariadb://h/db") == "mysql"
    assert name_for_url("file:///tmp/x") == "files"
    assert name_for_url("sqlite:///x.db") == "sqlite"
    assert name_for_url("thirdparty://x") == "thirdparty"


def test_session_ids_are_unique_and_carry_the_pid() -> None:
    a, b = Services(), Services()
    assert a.session_id != b.session_id
    assert a.session_id.startswith(f"{os.getpid()}_")


def test_serverless_fresh_urls(tmp_path: Path) -> None:
    services = Services()
    assert services.fresh_url("memory", tmp_path) == "memory://"
    sqlite = StorageURL.parse(services.fresh_url("sqlite", tmp_path))
    assert sqlite.database == f"{tmp_path}/store.db"
    files = StorageURL.parse(services.fresh_url("files", tmp_path))
    assert files.database == f"{tmp_path}/store"


def test_explicit_url_keeps_its_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWORKFLOW_TEST_SQLITE_URL", "sqlite:///elsewhere.db?timeout=7")
    url = StorageURL.parse(Services().fresh_url("sqlite", tmp_path))
    assert url.database == f"{tmp_path}/store.db"
    assert url.query == {"timeout": "7"}
    # The CLI option is the fallback when the env var is absent.
    monkeypatch.delenv("PYWORKFLOW_TEST_SQLITE_URL")
    cli = Services({"sqlite": "sqlite:///x.db?a=1"})
    assert StorageURL.parse(cli.fresh_url("sqlite", tmp_path)).query == {"a": "1"}


def test_no_server_skips_naming_the_three_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYWORKFLOW_TEST_CASSANDRA_URL", raising=False)
    monkeypatch.setattr(svc, "_docker_answers", lambda: False)
    monkeypatch.setattr(svc, "_answers", lambda host, port, timeout=0.5: False)
    services = Services()
    for _ in range(2):  # resolved once, the same skip every time
        with pytest.raises(pytest.skip.Exception) as info:
            services.fresh_url("cassandra", tmp_path)
        message = str(info.value)
        assert "PYWORKFLOW_TEST_CASSANDRA_URL" in message
        assert "127.0.0.1:9042" in message
        assert "Docker" in message


@pytest.mark.skipif(not _answers(5432), reason="no PostgreSQL on 127.0.0.1:5432")
def test_postgres_session_database_is_created_and_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncpg

    monkeypatch.delenv("PYWORKFLOW_TEST_POSTGRES_URL", raising=False)
    services = Services()
    first = StorageURL.parse(services.fresh_url("postgres", tmp_path))
    second = StorageURL.parse(services.fresh_url("postgres", tmp_path))
    assert first.database == second.database == f"pwt_{services.session_id}"
    assert first.query["schema"] != second.query["schema"]

    async def exists() -> bool:
        conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="root", database="postgres")
        try:
            found = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", first.database
            )
        finally:
            await conn.close()
        return found == 1

    assert asyncio.run(exists())
    services.close()
    assert not asyncio.run(exists())


@pytest.mark.skipif(not _answers(3306), reason="no MariaDB/MySQL on 127.0.0.1:3306")
def test_mysql_databases_per_test_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pymysql

    monkeypatch.delenv("PYWORKFLOW_TEST_MYSQL_URL", raising=False)
    services = Services()
    names = [StorageURL.parse(services.fresh_url("mysql", tmp_path)).database for _ in range(2)]
    assert len(set(names)) == 2

    def existing() -> set[str]:
        conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW DATABASES")
                return {row[0] for row in cur.fetchall()}
        finally:
            conn.close()

    assert set(names) <= existing()
    services.close()
    assert not set(names) & existing()


def test_dynamodb_moto_server_per_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYWORKFLOW_TEST_DYNAMODB_URL", raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    services = Services()
    a = StorageURL.parse(services.fresh_url("dynamodb", tmp_path))
    b = StorageURL.parse(services.fresh_url("dynamodb", tmp_path))
    assert a.host != b.host  # a table per test
    assert a.host is not None
    assert a.host.startswith(f"pwt_{services.session_id}_")
    endpoint = a.query["endpoint_url"]
    assert a.query["region"] == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    port = int(endpoint.rsplit(":", 1)[1])
    assert _answers(port)
    services.close()
    assert not _answers(port)
    assert "AWS_ACCESS_KEY_ID" not in os.environ
