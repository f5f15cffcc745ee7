"""The predecessor's storage classes, as constructors of our backends.

``SQLiteStorageBackend(db_path="wf.db")`` returns the SQLite backend for
``sqlite:///wf.db``, built through :func:`~pyworkflow.storage.config.config_to_storage`; so
each takes the predecessor's arguments and defaults and gives the one backend we have for that
store. ``isinstance(backend, SQLiteStorageBackend)`` is true for every SQLite backend.

Unlike the predecessor (whose name was ``None`` when the driver was missing), every name is
always importable; calling one whose package is not installed raises
:class:`~pyworkflow.errors.MissingDependency` with the ``pip install`` line. ``connect()``
is not required before use: the engine connects a backend on first use (calling it, or
``async with backend:``, is harmless).
"""

from __future__ import annotations

from typing import Any

from .base import StorageBackend
from .config import config_to_storage

__all__ = [
    "CassandraStorageBackend",
    "DynamoDBStorageBackend",
    "FileStorageBackend",
    "InMemoryStorageBackend",
    "MySQLStorageBackend",
    "PostgresStorageBackend",
    "SQLiteStorageBackend",
]


class _Constructor(type):
    """Calling the class builds our backend; ``isinstance`` checks the backend's type."""

    _type: str

    def __instancecheck__(cls, obj: object) -> bool:
        from .config import _SCHEME_TYPE

        return isinstance(obj, StorageBackend) and _SCHEME_TYPE.get(obj.url.scheme) == cls._type


def _build(kind: str, **keys: Any) -> StorageBackend:
    return config_to_storage({"type": kind, **{k: v for k, v in keys.items() if v is not None}})


class FileStorageBackend(metaclass=_Constructor):
    """Files under ``base_path`` (default ``./pyworkflow_data``, as the predecessor's class)."""

    _type = "file"

    def __new__(cls, base_path: str = "./pyworkflow_data") -> StorageBackend:  # type: ignore[misc]
        return _build("file", base_path=str(base_path))


class InMemoryStorageBackend(metaclass=_Constructor):
    """This process's memory; lost when it exits."""

    _type = "memory"

    def __new__(cls) -> StorageBackend:  # type: ignore[misc]
        return _build("memory")


class SQLiteStorageBackend(metaclass=_Constructor):
    """A SQLite file (default ``./pyworkflow_data/pyworkflow.db``)."""

    _type = "sqlite"

    def __new__(  # type: ignore[misc]
        cls, db_path: str = "./pyworkflow_data/pyworkflow.db"
    ) -> StorageBackend:
        return _build("sqlite", base_path=str(db_path))


def _server(
    kind: str,
    dsn: str | None,
    host: str,
    port: int,
    user: str,
    password: str,
    database: str,
    max_pool_size: int,
) -> StorageBackend:
    """A PostgreSQL or MySQL backend from a DSN, or else from its connection fields."""
    if dsn:
        return _build(kind, dsn=dsn)
    return _build(
        kind,
        host=host,
        port=port,
        user=user,
        password=password,
        database=database,
        max_pool_size=max_pool_size,
    )


class PostgresStorageBackend(metaclass=_Constructor):
    """PostgreSQL, by ``dsn`` or host/port/user/password/database."""

    _type = "postgres"

    def __new__(  # type: ignore[misc]
        cls,
        dsn: str | None = None,
        host: str = "localhost",
        port: int = 5432,
        user: str = "pyworkflow",
        password: str = "",
        database: str = "pyworkflow",
        min_pool_size: int = 1,
        max_pool_size: int = 10,
    ) -> StorageBackend:
        # our pool opens connections on demand, up to max_pool_size: min_pool_size is unused
        return _server("postgres", dsn, host, port, user, password, database, max_pool_size)


class MySQLStorageBackend(metaclass=_Constructor):
    """MySQL or MariaDB, by ``dsn`` or host/port/user/password/database."""

    _type = "mysql"

    def __new__(  # type: ignore[misc]
        cls,
        dsn: str | None = None,
        host: str = "localhost",
        port: int = 3306,
        user: str = "pyworkflow",
        password: str = "",
        database: str = "pyworkflow",
        min_pool_size: int = 1,
        max_pool_size: int = 10,
    ) -> StorageBackend:
        return _server("mysql", dsn, host, port, user, password, database, max_pool_size)


class DynamoDBStorageBackend(metaclass=_Constructor):
    """A DynamoDB table (created on connect if missing)."""

    _type = "dynamodb"

    def __new__(  # type: ignore[misc]
        cls,
        table_name: str = "pyworkflow",
        region: str = "us-east-1",
        endpoint_url: str | None = None,
    ) -> StorageBackend:
        return _build("dynamodb", table_name=table_name, region=region, endpoint_url=endpoint_url)


class CassandraStorageBackend(metaclass=_Constructor):
    """A Cassandra keyspace. ``read_consistency`` and ``write_consistency`` must agree (we use
    one level for both); ``protocol_version`` is negotiated by the driver and ignored."""

    _type = "cassandra"

    def __new__(  # type: ignore[misc]
        cls,
        contact_points: list[str] | None = None,
        port: int = 9042,
        keyspace: str = "pyworkflow",
        username: str | None = None,
        password: str | None = None,
        read_consistency: str = "LOCAL_QUORUM",
        write_consistency: str = "LOCAL_QUORUM",
        replication_strategy: str = "SimpleStrategy",
        replication_factor: int = 3,
        datacenter: str | None = None,
        protocol_version: int = 4,
        connect_timeout: float = 10.0,
    ) -> StorageBackend:
        del protocol_version
        return _build(
            "cassandra",
            contact_points=contact_points or ["localhost"],
            port=port,
            keyspace=keyspace,
            username=username,
            password=password,
            read_consistency=read_consistency,
            write_consistency=write_consistency,
            replication_strategy=replication_strategy,
            replication_factor=replication_factor,
            datacenter=datacenter,
            connect_timeout=connect_timeout,
        )
