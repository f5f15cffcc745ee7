"""The predecessor's storage config dicts, to and from our storage URLs.

A dict such as ``{"type": "postgres", "host": "db", "user": "app", "password": "...",
"database": "wf"}`` (the ``storage:`` mapping of ``pyworkflow.config.yaml``) names the same
store as the URL ``postgresql://app:***@db:5432/wf``. :func:`config_to_url` and
:func:`url_to_config` convert between the two; :func:`config_to_storage` and
:func:`storage_to_config` are the predecessor's names, producing or reading a backend.

Edge cases: ``None`` or ``{}`` is the file store in ``./workflow_data``; a missing ``type`` is
``"file"``; ``redis`` and any other unknown type, an unknown key or a value of the wrong type
raise :class:`~pyworkflow.errors.InvalidConfiguration` (a ``ValueError``) naming the key,
never a value (which may be a password). Relative file paths are made absolute against the
working directory for ``file`` (a file URL names an absolute directory) and kept relative for
``sqlite``. The dict returned by :func:`url_to_config` holds the password, as the predecessor's
did (it is how a store is shipped to another process): never log it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pyworkflow.errors import InvalidConfiguration, InvalidInput
from pyworkflow.urls import StorageURL

from .base import StorageBackend

__all__ = [
    "STORAGE_TYPES",
    "config_to_storage",
    "config_to_url",
    "storage_to_config",
    "url_to_config",
]

#: Every ``type`` a dict may name, with the keys it accepts.
STORAGE_TYPES: dict[str, frozenset[str]] = {
    "file": frozenset({"base_path"}),
    "memory": frozenset(),
    "sqlite": frozenset({"base_path", "db_path"}),
    "postgres": frozenset(
        {"dsn", "host", "port", "user", "password", "database", "min_pool_size", "max_pool_size"}
    ),
    "mysql": frozenset(
        {"dsn", "host", "port", "user", "password", "database", "min_pool_size", "max_pool_size"}
    ),
    "dynamodb": frozenset({"table_name", "region", "endpoint_url"}),
    "cassandra": frozenset(
        {
            "contact_points",
            "port",
            "keyspace",
            "username",
            "password",
            "read_consistency",
            "write_consistency",
            "replication_strategy",
            "replication_factor",
            "datacenter",
            "protocol_version",
            "connect_timeout",
        }
    ),
}
_SCHEME_TYPE = {
    "file": "file",
    "memory": "memory",
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "dynamodb": "dynamodb",
    "cassandra": "cassandra",
}
DEFAULT_FILE_PATH = "./workflow_data"
DEFAULT_SQLITE_PATH = "./pyworkflow_data/pyworkflow.db"


def _str(config: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = config.get(key, default)
    if value is None or isinstance(value, str):
        return value
    raise InvalidConfiguration(f"storage key {key!r} must be a string, not {type(value).__name__}")


def _int(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidConfiguration(f"storage key {key!r} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise InvalidConfiguration(f"storage key {key!r} must be an integer") from None


def _sql_url(kind: str, config: Mapping[str, Any], port: int) -> StorageURL:
    scheme = "postgresql" if kind == "postgres" else "mysql"
    dsn = _str(config, "dsn", None)
    if dsn:
        # A postgres:// or postgresql:// DSN is a URL of ours already.
        try:
            url = StorageURL.parse(dsn)
        except InvalidInput as exc:
            raise InvalidConfiguration(f"storage key 'dsn' is not a {kind} URL: {exc}") from None
        if _SCHEME_TYPE.get(url.scheme) != kind:
            raise InvalidConfiguration(f"storage key 'dsn' must be a {scheme}:// URL")
        return url
    query: dict[str, str] = {}
    if "max_pool_size" in config:
        query["pool_size"] = str(_int(config, "max_pool_size", 10))
    return StorageURL(
        scheme,
        _str(config, "user", "pyworkflow"),
        _str(config, "password", "") or None,
        ((_str(config, "host", "localhost") or "localhost", _int(config, "port", port)),),
        "/" + (_str(config, "database", "pyworkflow") or "pyworkflow"),
        query,
    )


def _cassandra_url(config: Mapping[str, Any]) -> StorageURL:
    points = config.get("contact_points") or ["localhost"]
    if isinstance(points, str):
        points = [p.strip() for p in points.split(",") if p.strip()]
    if not isinstance(points, list | tuple) or not all(isinstance(p, str) for p in points):
        raise InvalidConfiguration("storage key 'contact_points' must be a list of host names")
    port = _int(config, "port", 9042)
    query: dict[str, str] = {}
    read = _str(config, "read_consistency", None)
    write = _str(config, "write_consistency", None)
    if read and write and read.upper() != write.upper():
        # We use one consistency level for reads and writes (quorum reads see quorum writes).
        raise InvalidConfiguration(
            "read_consistency and write_consistency differ; pyworkflow uses one level for both"
        )
    if read or write:
        query["consistency"] = str(read or write).upper()
    strategy = _str(config, "replication_strategy", None)
    datacenter = _str(config, "datacenter", None)
    if strategy not in (None, "SimpleStrategy", "NetworkTopologyStrategy"):
        raise InvalidConfiguration(f"unknown replication_strategy {strategy!r}")
    if strategy == "NetworkTopologyStrategy" and not datacenter:
        raise InvalidConfiguration("NetworkTopologyStrategy needs 'datacenter'")
    if datacenter:
        query["local_dc"] = datacenter  # NetworkTopologyStrategy in that datacenter
    if "replication_factor" in config:
        query["replication_factor"] = str(_int(config, "replication_factor", 3))
    if "connect_timeout" in config:
        query["connect_timeout"] = str(float(config["connect_timeout"]))
    return StorageURL(
        "cassandra",
        _str(config, "username", None),
        _str(config, "password", None),
        tuple((p, port) for p in points),
        "/" + (_str(config, "keyspace", "pyworkflow") or "pyworkflow"),
        query,
    )


def config_to_url(config: Mapping[str, Any] | None = None) -> StorageURL:
    """The storage URL a config dict names (see the module docstring for the defaults).

    ``options`` (ours, not the predecessor's) is a mapping of URL options with no dict key of
    their own (``{"schema": "tenant_a"}`` for ``?schema=tenant_a``); the backend checks them
    when it is opened.
    """
    url = _config_to_url(config)
    extra = (config or {}).get("options")
    if extra is None:
        return url
    if not isinstance(extra, Mapping) or not all(isinstance(k, str) for k in extra):
        raise InvalidConfiguration("storage key 'options' must be a mapping of URL options")
    return replace(url, query={**url.query, **{k: str(v) for k, v in extra.items()}})


def _config_to_url(config: Mapping[str, Any] | None) -> StorageURL:
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise InvalidConfiguration(f"a storage config is a mapping, not {type(config).__name__}")
    kind = config.get("type", "file")
    if kind == "redis":
        raise InvalidConfiguration("there is no redis storage backend; use one of " + _TYPES)
    if kind not in STORAGE_TYPES:
        raise InvalidConfiguration(f"Unknown storage type: {kind!r}; known: {_TYPES}")
    unknown = sorted(set(config) - STORAGE_TYPES[kind] - {"type", "options"})
    if unknown:
        raise InvalidConfiguration(f"unknown key(s) for storage type {kind!r}: {unknown}")
    if kind == "file":
        path = _str(config, "base_path", DEFAULT_FILE_PATH) or DEFAULT_FILE_PATH
        return StorageURL("file", path=os.path.abspath(path))
    if kind == "memory":
        return StorageURL("memory")
    if kind == "sqlite":
        db = _str(config, "db_path", None) or _str(config, "base_path", None)
        return StorageURL("sqlite", path="/" + os.path.normpath(db or DEFAULT_SQLITE_PATH))
    if kind in ("postgres", "mysql"):
        return _sql_url(kind, config, 5432 if kind == "postgres" else 3306)
    if kind == "dynamodb":
        query = {"region": _str(config, "region", "us-east-1") or "us-east-1"}
        endpoint = _str(config, "endpoint_url", None)
        if endpoint:
            query["endpoint_url"] = endpoint
        table = _str(config, "table_name", "pyworkflow") or "pyworkflow"
        return StorageURL("dynamodb", hosts=((table, None),), query=query)
    return _cassandra_url(config)


#: the URL options each type's dict keys stand for
_CONSUMED = {
    "postgres": {"pool_size"},
    "mysql": {"pool_size"},
    "dynamodb": {"region", "endpoint_url"},
    "cassandra": {"consistency", "local_dc", "replication_factor", "connect_timeout"},
}


def url_to_config(url: str | StorageURL) -> dict[str, Any]:
    """The config dict naming the same store as ``url`` (the inverse of :func:`config_to_url`
    for every dict it produces); URL options without a dict key go under ``options``. An
    unknown scheme gives ``{"type": "unknown"}``, as the predecessor's did."""
    parsed = StorageURL.parse(url)
    out = _url_to_config(parsed)
    kind = out["type"]
    if kind != "unknown":
        extra = {k: v for k, v in parsed.query.items() if k not in _CONSUMED.get(kind, set())}
        if extra:
            out["options"] = extra
    return out


def _url_to_config(parsed: StorageURL) -> dict[str, Any]:
    kind = _SCHEME_TYPE.get(parsed.scheme)
    q = parsed.query
    if kind is None:
        return {"type": "unknown"}
    if kind == "file":
        return {"type": "file", "base_path": parsed.path}
    if kind == "memory":
        return {"type": "memory"}
    if kind == "sqlite":
        return {"type": "sqlite", "base_path": parsed.database}
    if kind in ("postgres", "mysql"):
        out: dict[str, Any] = {
            "type": kind,
            "host": parsed.host or "localhost",
            "port": parsed.port or (5432 if kind == "postgres" else 3306),
            "user": parsed.username or "pyworkflow",
            "password": parsed.password or "",
            "database": parsed.database,
        }
        if "pool_size" in q:
            out["max_pool_size"] = int(q["pool_size"])
        return out
    if kind == "dynamodb":
        out = {
            "type": "dynamodb",
            "table_name": parsed.host or parsed.database,
            "region": q.get("region", "us-east-1"),
        }
        if "endpoint_url" in q:
            out["endpoint_url"] = q["endpoint_url"]
        return out
    out = {
        "type": "cassandra",
        "contact_points": [h for h, _ in parsed.hosts],
        "port": parsed.port or 9042,
        "keyspace": parsed.database,
    }
    if parsed.username is not None:
        out["username"] = parsed.username
    if parsed.password is not None:
        out["password"] = parsed.password
    if "consistency" in q:
        out["read_consistency"] = out["write_consistency"] = q["consistency"]
    if "local_dc" in q:
        out["replication_strategy"] = "NetworkTopologyStrategy"
        out["datacenter"] = q["local_dc"]
    if "replication_factor" in q:
        out["replication_factor"] = int(q["replication_factor"])
    if "connect_timeout" in q:
        out["connect_timeout"] = float(q["connect_timeout"])
    return out


def config_to_storage(config: Mapping[str, Any] | None = None) -> StorageBackend:
    """A (not yet connected) backend for a config dict.

    A backend whose package or driver is not installed raises
    :class:`~pyworkflow.errors.MissingDependency` with the ``pip install`` line (the
    predecessor raised ``ValueError``).
    """
    from pyworkflow.registry import open_backend

    return open_backend(config_to_url(config))


def storage_to_config(storage: StorageBackend | None) -> dict[str, Any] | None:
    """The config dict for ``storage`` (``None`` for ``None``; ``{"type": "unknown"}`` for an
    object that is not one of our backends, as the predecessor's did for a class it did not
    know)."""
    if storage is None:
        return None
    if not isinstance(storage, StorageBackend):
        return {"type": "unknown"}
    return url_to_config(storage.url)


_TYPES = ", ".join(sorted(STORAGE_TYPES))
