"""A linearizable moto DynamoDB server for this package's tests.

moto's ``ThreadedMotoServer`` handles requests on several threads with no lock, and its
``TransactWriteItems`` backs up the *whole table* with ``copy.deepcopy`` before every call and
restores that backup when any condition fails. Under concurrent requests this is not what
DynamoDB does: a cancelled transaction's restore can erase a write that another request
committed meanwhile (an acknowledged event disappears), and every transaction costs time
proportional to the table size (appends slow to a few per second after a few thousand events).

So, unless ``PYWORKFLOW_TEST_DYNAMODB_URL`` names a server already, this conftest starts the
same moto server application with two changes that only bring it closer to DynamoDB:
requests are serialized by one lock (every request is atomic, as each DynamoDB request is), and
a cancelled transaction undoes only the items it touched (the same outcome as the whole-table
restore when nothing else runs meanwhile, which the lock guarantees). The conformance plugin
then uses this server through the explicit-URL route.
"""

from __future__ import annotations

import copy
import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_ENV = "PYWORKFLOW_TEST_DYNAMODB_URL"
_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class _Locked:
    """WSGI middleware: one request at a time, body included."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.lock:
            return list(self.app(environ, start_response))


def _patch_transactions() -> None:
    """Make moto's cancelled transactions undo the touched items instead of the whole table."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend_cls = models.DynamoDBBackend
    if getattr(backend_cls, "_pyworkflow_patched", False):
        return
    original = backend_cls.transact_write_items

    class _CopyShim:
        """``copy`` for moto's models module, but a Table "backup" is the table itself."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    setattr(models, "copy", _CopyShim())  # noqa: B010 - patching moto's module global

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            ((kind, op),) = entry.items()
            name = op.get("TableName")
            if name not in self.tables:
                continue
            table = self.get_table(name)
            if kind == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(name, key)
            attrs = copy.deepcopy(current.to_json()["Attributes"]) if current else None
            saved.append((name, key, attrs))
        try:
            original(self, transact_items)
        except Exception:
            for name, key, attrs in reversed(saved):
                if attrs is None:
                    self.delete_item(name, key)
                else:
                    self.put_item(name, attrs)
            raise

    setattr(backend_cls, "transact_write_items", transact_write_items)  # noqa: B010
    setattr(backend_cls, "_pyworkflow_patched", True)  # noqa: B010


def start_server() -> tuple[str, Callable[[], None]]:
    """Start the locked moto server on a free loopback port; return (endpoint, stop)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    _patch_transactions()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class KeepAlive(MotoRequestHandler):
        # HTTP/1.1 keeps the client's pooled connections open, as DynamoDB does; moto's
        # default (HTTP/1.0) makes every request open a new TCP connection.
        protocol_version = "HTTP/1.1"

    app = _Locked(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, True, request_handler=KeepAlive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The endpoint of a DynamoDB-protocol server: the explicit URL's, or a locked moto."""
    saved = {k: os.environ.get(k) for k in (*_AWS, _ENV)}
    for key, value in _AWS.items():
        os.environ.setdefault(key, value)
    explicit = os.environ.get(_ENV)
    endpoint: str
    stop: Callable[[], None] | None = None
    if explicit:
        from pyworkflow.urls import StorageURL

        endpoint = str(StorageURL.parse(explicit).query.get("endpoint_url", ""))
    else:
        endpoint, stop = start_server()
        # moto answers a Query over a 100,000-event partition in seconds (it sorts the whole
        # partition in Python per page), so the read timeout is raised for this test server.
        os.environ[_ENV] = f"dynamodb://pwt?region=us-east-1&timeout=120&endpoint_url={endpoint}"
    yield endpoint
    if stop is not None:
        stop()
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


@pytest.fixture(scope="session", autouse=True)
def _dynamodb_server(moto_endpoint: str) -> str:
    """Every test here (the conformance class included) runs against that server."""
    return moto_endpoint


#: Conformance tests whose request count is large (16 contending appenders x 100 events is
#: ~50,000 requests; 100,050 events are ~1,000 transactions of 100 items), which a single
#: Python moto process on a shared 2-core machine serves in minutes, not seconds.
_HEAVY = ("concurrent_appenders", "100000_events")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "dynamodb" in str(item.path) and any(h in item.name for h in _HEAVY):
            item.add_marker(pytest.mark.timeout(1200))
