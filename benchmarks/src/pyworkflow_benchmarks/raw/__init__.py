"""Raw ceilings: the same work through the bare driver, one module per driver."""

from __future__ import annotations

from pyworkflow.urls import StorageURL

from .base import RawCeiling, RawInsert

__all__ = ["RawCeiling", "RawInsert", "raw_for"]


def raw_for(url: str) -> RawCeiling | None:
    """The raw ceiling for the store at ``url`` (same database / directory / endpoint), or
    ``None`` when there is none for this scheme."""
    parsed = StorageURL.parse(url)
    scheme = parsed.scheme
    if scheme == "memory":
        from .memory import MemoryRaw

        return MemoryRaw()
    if scheme == "sqlite":
        from .sqlite import SqliteRaw

        return SqliteRaw(parsed)
    if scheme == "file":
        from .files import FilesRaw

        return FilesRaw(parsed)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresRaw

        return PostgresRaw(parsed)
    if scheme in ("mysql", "mariadb"):
        from .mysql import MySQLRaw

        return MySQLRaw(parsed)
    if scheme == "dynamodb":
        from .dynamodb import DynamoDBRaw

        return DynamoDBRaw(parsed)
    if scheme == "cassandra":
        from .cassandra import CassandraRaw

        return CassandraRaw(parsed)
    return None
