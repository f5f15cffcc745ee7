"""The storage contract (:class:`StorageBackend`, in :mod:`pyworkflow.storage.base`) and the
predecessor's storage names.

``FileStorageBackend``, ``SQLiteStorageBackend``, ... (:mod:`pyworkflow.storage.classes`) and
``config_to_storage`` / ``storage_to_config`` (:mod:`pyworkflow.storage.config`) are imported
on first use, so ``import pyworkflow.storage`` stays light. ``Hook`` and ``HookStatus`` are
the records of :mod:`pyworkflow.models`, here where the predecessor exported them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyworkflow._encoded import EncodedRun
from pyworkflow.models import Hook, HookStatus

from .base import EncodedEvent, StorageBackend

if TYPE_CHECKING:
    from .classes import (
        CassandraStorageBackend,
        DynamoDBStorageBackend,
        FileStorageBackend,
        InMemoryStorageBackend,
        MySQLStorageBackend,
        PostgresStorageBackend,
        SQLiteStorageBackend,
    )
    from .config import config_to_storage, storage_to_config

__all__ = [
    "CassandraStorageBackend",
    "DynamoDBStorageBackend",
    "EncodedEvent",
    "EncodedRun",
    "FileStorageBackend",
    "Hook",
    "HookStatus",
    "InMemoryStorageBackend",
    "MySQLStorageBackend",
    "PostgresStorageBackend",
    "SQLiteStorageBackend",
    "StorageBackend",
    "config_to_storage",
    "storage_to_config",
]

_LAZY = {
    "CassandraStorageBackend": "classes",
    "DynamoDBStorageBackend": "classes",
    "FileStorageBackend": "classes",
    "InMemoryStorageBackend": "classes",
    "MySQLStorageBackend": "classes",
    "PostgresStorageBackend": "classes",
    "SQLiteStorageBackend": "classes",
    "config_to_storage": "config",
    "storage_to_config": "config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyworkflow.storage' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
