"""Issue 14: every error says whether retrying may help, the same way on every backend.

Transient (``StorageUnavailable``, ``transient`` true): the server cannot be reached.
Permanent setup mistakes (``ConfigurationError``): a SQLite file in a missing directory, a TLS
requirement the server cannot meet, refused credentials, a database that does not exist.
Each case runs against the real local servers (or a private PostgreSQL without TLS, see
``conftest.plain_postgres``); docs/errors.md is the table these tests check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyworkflow import StorageBackend, StorageURL
from pyworkflow.errors import (
    ConfigurationError,
    InvalidInput,
    PyWorkflowError,
    StorageError,
    StorageUnavailable,
)

LOCAL_PG = "postgresql://root@127.0.0.1:5432"
LOCAL_MYSQL = "mysql://root@127.0.0.1:3306"


async def _connect_error(url: str, **options: Any) -> StorageError:
    backend = StorageBackend.from_url(url, **options)
    with pytest.raises(StorageError) as info:
        await backend.connect()
    await backend.close()
    assert info.value.__cause__ is not None or isinstance(info.value, ConfigurationError)
    return info.value


def test_only_storage_unavailable_is_transient() -> None:
    assert StorageUnavailable.transient is True
    assert StorageUnavailable("x").transient is True
    for cls in (PyWorkflowError, StorageError, ConfigurationError, InvalidInput):
        assert cls.transient is False
    assert issubclass(ConfigurationError, StorageError)
    assert not issubclass(ConfigurationError, StorageUnavailable)


# -- SQLite and files ------------------------------------------------------------------------


async def test_sqlite_file_in_a_missing_directory_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    """It was StorageUnavailable ("unable to open database file"), which says: retry."""
    pytest.importorskip("pyworkflow_sqlite")
    error = await _connect_error(f"sqlite:///{tmp_path}/missing/dir/store.db")
    assert type(error) is ConfigurationError
    assert "does not exist" in str(error)
    assert not (tmp_path / "missing").exists()


async def test_sqlite_file_that_is_not_a_database_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    pytest.importorskip("pyworkflow_sqlite")
    (tmp_path / "notes.db").write_bytes(b"not a database at all, " * 100)
    error = await _connect_error(f"sqlite:///{tmp_path}/notes.db")
    assert type(error) is ConfigurationError


async def test_files_root_that_is_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    pytest.importorskip("pyworkflow_files")
    (tmp_path / "store").write_text("a file where the store's folder goes")
    error = await _connect_error(f"file://{tmp_path}/store")
    assert type(error) is ConfigurationError


@pytest.mark.parametrize("scheme", ["sqlite", "file"])
def test_serverless_stores_refuse_credentials_without_echoing_them(scheme: str) -> None:
    pytest.importorskip("pyworkflow_sqlite" if scheme == "sqlite" else "pyworkflow_files")
    with pytest.raises(InvalidInput, match="no credentials") as info:
        StorageBackend.from_url(f"{scheme}://alice:s3cretPW@/tmp/x")
    assert "s3cretPW" not in str(info.value)


# -- PostgreSQL ----------------------------------------------------------------------------------


async def test_postgres_missing_database_is_a_configuration_error() -> None:
    """It was a bare StorageError (InvalidCatalogNameError) while MySQL said SchemaError."""
    pytest.importorskip("pyworkflow_postgres")
    error = await _connect_error(f"{LOCAL_PG}/pyworkflow_no_such_database_14")
    assert type(error) is ConfigurationError
    assert "does not exist" in str(error)


async def test_postgres_sslmode_require_without_tls_is_a_configuration_error(
    plain_postgres: str,
) -> None:
    """It was StorageUnavailable (asyncpg's ConnectionError "rejected SSL upgrade")."""
    pytest.importorskip("pyworkflow_postgres")
    base = f"{plain_postgres}/postgres"
    password = StorageURL.parse(base).password
    assert password
    for mode in ("require", "verify-ca", "verify-full"):
        error = await _connect_error(f"{base}?sslmode={mode}")
        assert type(error) is ConfigurationError, (mode, error)
        assert not error.transient
        assert password not in str(error)
    # The same server without the TLS requirement works: the failure was the TLS mode only.
    async with StorageBackend.from_url(f"{base}?sslmode=prefer&schema=tls_ok") as store:
        assert await store.version("run") == 0


async def test_postgres_refused_password_is_a_configuration_error(plain_postgres: str) -> None:
    pytest.importorskip("pyworkflow_postgres")
    host = StorageURL.parse(plain_postgres).hosts[0]
    error = await _connect_error(f"postgresql://postgres:Wr0ngPW@{host[0]}:{host[1]}/postgres")
    assert type(error) is ConfigurationError
    assert "Wr0ngPW" not in str(error)


async def test_postgres_unreachable_server_is_transient() -> None:
    pytest.importorskip("pyworkflow_postgres")
    error = await _connect_error("postgresql://root@127.0.0.1:1/postgres")
    assert type(error) is StorageUnavailable
    assert error.transient


# -- MySQL / MariaDB -----------------------------------------------------------------------------


async def test_mysql_ssl_true_without_tls_is_a_configuration_error() -> None:
    """It connected in plaintext: the local MariaDB has no TLS."""
    pytest.importorskip("pyworkflow_mysql")
    error = await _connect_error(f"{LOCAL_MYSQL}/mysql?ssl=true")
    assert type(error) is ConfigurationError
    assert "does not offer TLS" in str(error)


async def test_mysql_pooled_connection_without_tls_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fault injection a real server cannot produce on demand: the greeting checked at open
    offered TLS, but the connection the pool then made did not get it (a server swapped
    behind the address). The connection is refused before any statement runs on it."""
    pytest.importorskip("pyworkflow_mysql")
    import pyworkflow_mysql.backend as mysql_backend

    async def offers_tls(*args: object) -> bool:
        return True

    monkeypatch.setattr(mysql_backend, "server_offers_tls", offers_tls)
    error = await _connect_error(f"{LOCAL_MYSQL}/mysql?ssl=true")
    assert type(error) is ConfigurationError
    assert "does not offer TLS" in str(error)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"{LOCAL_MYSQL}/pyworkflow_no_such_database_14", "Unknown database"),
        ("mysql://root:Wr0ngPW@127.0.0.1:3306/mysql", "Access denied"),
    ],
)
async def test_mysql_setup_mistakes_are_configuration_errors(url: str, words: str) -> None:
    """An unknown database was SchemaError, where PostgreSQL said StorageError."""
    pytest.importorskip("pyworkflow_mysql")
    error = await _connect_error(url)
    assert type(error) is ConfigurationError
    assert words in str(error)
    assert "Wr0ngPW" not in str(error)


async def test_mysql_unreachable_server_is_transient() -> None:
    pytest.importorskip("pyworkflow_mysql")
    error = await _connect_error("mysql://root@127.0.0.1:1/mysql")
    assert type(error) is StorageUnavailable
    error = await _connect_error("mysql://root@127.0.0.1:1/mysql?ssl=true")
    assert type(error) is StorageUnavailable  # the TLS probe's refusal is transient too
