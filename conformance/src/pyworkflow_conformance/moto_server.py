"""A moto DynamoDB server that is atomic per request, as DynamoDB is.

moto's own ``ThreadedMotoServer`` is not a faithful DynamoDB for a storage backend's tests:

- It serves requests on several threads with no lock, and applies a ``TransactWriteItems``
  condition by condition: two concurrent guarded transactions can both pass their conditions,
  so an optimistic-concurrency guard (our append's version check) appears to let two writers
  win. DynamoDB executes each request atomically.
- Its ``TransactWriteItems`` backs up the *whole table* with ``copy.deepcopy`` before every
  call and restores that backup when any action fails. A restore can then erase a write that
  another request committed meanwhile, and every transaction costs time proportional to the
  table's size (appends slow to a few per second after a few thousand events).

This module runs the same moto server application (its WSGI app and request handler) with two
changes that only bring it closer to DynamoDB: every request is served under one lock (each
request is atomic), and a cancelled transaction undoes only the items it touched (the same
outcome as the whole-table restore when nothing runs meanwhile, which the lock guarantees).
(werkzeug's server closes the connection after every response, HTTP/1.1 or not, so each
request opens a new loopback connection.)

It is the one implementation used by the conformance suite's fallback server, by the
DynamoDB backend's tests and by the benchmarks (which run it in a child process with
``python -m pyworkflow_conformance.moto_server``). It needs ``moto[server]`` installed
(``pip install --find-links dist "pyworkflow-conformance[moto]==0.1.0"``, with the wheels
built from a clone of the repository).

moto does not enforce every DynamoDB limit (for example the 400 KB item-plus-LSI-entries rule,
or the 4 MB total of a transaction): tests must check those limits against AWS's documented
numbers, not against this server.
"""

from __future__ import annotations

import argparse
import copy
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["AWS_TEST_ENV", "main", "start"]

#: Dummy credentials and region for moto (it accepts any): with these set, no real AWS key
#: from the environment is ever sent anywhere.
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class _Serialized:
    """WSGI middleware: one request at a time, the response body included."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.lock:
            # The body is produced inside the lock: a lazy iterable would run moto's code
            # after the lock is released.
            return list(self.app(environ, start_response))


def _patch_transactions() -> None:
    """Make moto's cancelled transactions undo the touched items instead of the whole table.

    Idempotent; patches moto's ``DynamoDBBackend`` class in this process only.
    """
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


def start(host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve the serialized moto server on a thread of this process.

    ``port`` 0 picks a free port. Returns the endpoint URL (``http://host:port``) and a
    function that stops the server (idempotent). Raises ``ImportError`` without moto.
    """
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    _patch_transactions()

    class Quiet(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass  # one line per request is noise (and time) for a test server; errors still log

    app = _Serialized(DomainDispatcherApplication(create_backend_app))
    # threaded=True: a request still waits for the lock, but a slow client never blocks the
    # others from being accepted.
    server = make_server(host, port, app, True, request_handler=Quiet)
    bound = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(10)

    return f"http://{host}:{bound}", stop


def main(argv: list[str] | None = None) -> int:
    """``python -m pyworkflow_conformance.moto_server [--host H] [--port P]``.

    Prints the endpoint URL on one line, then serves until its standard input is closed (so
    a parent process stops it by closing the pipe, or by dying).
    """
    parser = argparse.ArgumentParser(prog="python -m pyworkflow_conformance.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    args = parser.parse_args(argv)
    endpoint, stop = start(args.host, args.port)
    print(endpoint, flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
