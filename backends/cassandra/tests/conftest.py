"""A small stand-in for a Cassandra server's ``events`` table, for fault injection.

No Cassandra server exists on the development machines, so the backend's event-log logic
(bucketing, the conditional batch, read-back after an unknown outcome, paging) is exercised
against this model of the semantics the backend relies on, as documented for CQL:

* a conditional batch is all-or-nothing; it applies iff every condition holds (static
  ``INSERT ... IF NOT EXISTS``: the partition has no static row; ``IF version = ?``: the
  static cell equals; row ``IF NOT EXISTS``: the row is absent), and when refused answers
  ``[applied] = false`` with the current rows the conditions named;
* a read returns rows in clustering order with the partition's static cell on each row,
  ``page_size`` rows per page with an opaque ``paging_state``.

Every statement is identified by the *name* the backend prepared it under, so the model
checks which statement ran, with which parameters and at which consistency level. It is not
a CQL parser and proves nothing about the CQL text itself (tests of the text are separate).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyworkflow_cassandra import CassandraBackend
from pyworkflow_cassandra.aio import Runner


@dataclass
class Stmt:
    name: str
    consistency_level: int | None = None

    def bind(self, params: Any) -> Bound:
        return Bound(self.name, tuple(params))


@dataclass
class Bound:
    name: str
    params: tuple[Any, ...]
    consistency_level: int | None = None


@dataclass
class Batch:
    items: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def add(self, stmt: Stmt, params: Any) -> None:
        self.items.append((stmt.name, tuple(params)))


class Future:
    """A ResponseFuture look-alike, resolved from another thread (like the driver's I/O)."""

    def __init__(self, rows: list[dict[str, Any]] | None, state: bytes | None, exc: Any) -> None:
        self._rows, self._state, self._exc = rows, state, exc
        self._done = threading.Event()

    def add_callbacks(self, callback: Callable[..., Any], errback: Callable[..., Any]) -> None:
        def fire() -> None:
            self._done.set()
            if self._exc is not None:
                errback(self._exc)
            else:
                callback(self._rows)

        threading.Thread(target=fire, daemon=True).start()

    def result(self) -> Any:
        assert self._done.is_set(), "result() called before the callback: it would block"
        if self._exc is not None:
            raise self._exc
        return _ResultSet(self._rows or [], self._state)


@dataclass
class _ResultSet:
    current_rows: list[dict[str, Any]]
    paging_state: bytes | None


@dataclass
class Partition:
    version: int | None = None
    rows: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)


class FakeEvents:
    """The events table, plus hooks to inject faults into the next conditional batch."""

    def __init__(self, page_size: int = 3) -> None:
        self.parts: dict[tuple[str, int], Partition] = {}
        self.page_size = page_size
        self.log: list[tuple[str, tuple[Any, ...], int | None]] = []
        #: Called before a conditional batch: return an exception to raise *instead of*
        #: answering, and whether the batch still takes effect ("apply") or not.
        self.on_batch: Callable[[], tuple[BaseException, bool] | None] | None = None

    # -- the Session surface
    def execute_async(self, statement: Any, params: Any = None, *, paging_state: Any = None):
        try:
            if isinstance(statement, Batch):
                rows, state = self._batch(statement), None
            else:
                name = statement.name
                args = statement.params if isinstance(statement, Bound) else tuple(params or ())
                self.log.append((name, args, statement.consistency_level))
                rows, state = self._query(name, args, paging_state)
        except BaseException as exc:
            return Future(None, None, exc)
        return Future(rows, state, None)

    # -- conditional batch
    def _batch(self, batch: Batch) -> list[dict[str, Any]]:
        fault = self.on_batch() if self.on_batch else None
        run_id, bucket = (
            batch.items[0][1][0:2] if batch.items[0][0] != "ev_bump" else (batch.items[0][1][1:3])
        )
        part = self.parts.get((run_id, bucket))
        refused: list[dict[str, Any]] = []
        ok = True
        for name, p in batch.items:
            if name == "ev_open" and part is not None and part.version is not None:
                ok = False
                refused.append({"[applied]": False, "version": part.version})
            elif name == "ev_bump" and (part is None or part.version != p[3]):
                ok = False
                refused.append({"[applied]": False, "version": part and part.version})
            elif name == "ev_id_new" and part is not None and (0, p[2]) in part.rows:
                ok = False
                refused.append({"[applied]": False, "seq": 0, "eid": p[2], "version": part.version})
        applies = ok if fault is None else fault[1] and ok
        if applies:
            part = self.parts.setdefault((run_id, bucket), Partition())
            for name, p in batch.items:
                if name == "ev_open":
                    part.version = p[2]
                elif name == "ev_bump":
                    part.version = p[0]
                elif name == "ev_row":
                    _, _, seq, eid, typ, data, ts = p
                    part.rows[(seq, eid)] = {
                        "seq": seq,
                        "eid": eid,
                        "type": typ,
                        "data": data,
                        "ts": ts,
                    }
                elif name in ("ev_id", "ev_id_new"):
                    part.rows[(0, p[2])] = {"seq": 0, "eid": p[2], "id_seq": p[3]}
                else:
                    raise AssertionError(f"unexpected batch member {name}")
        if fault is not None:
            raise fault[0]
        return [{"[applied]": True}] if ok else refused

    # -- reads
    def _query(self, name: str, a: tuple[Any, ...], state: bytes | None):
        part = self.parts.get((a[0], a[1]))
        if name == "ev_version":
            if part is None:
                return [], None
            return [{"version": part.version}], None
        if name == "ev_ids":
            if part is None:
                return [], None
            return [
                {"eid": e, "id_seq": part.rows[(0, e)]["id_seq"]}
                for e in a[2]
                if (0, e) in part.rows
            ], None
        if name in ("ev_read", "ev_read_n"):
            if part is None:
                return [], None
            rows = [
                dict(r, version=part.version) for k, r in sorted(part.rows.items()) if k[0] > a[2]
            ]
            if name == "ev_read_n":
                rows = rows[: a[3]]
            start = int(state or b"0")
            page = rows[start : start + self.page_size]
            nxt = start + self.page_size
            return page, (str(nxt).encode() if nxt < len(rows) else None)
        raise AssertionError(f"unexpected statement {name}")


def fake_backend(url: str, store: FakeEvents, **options: Any) -> CassandraBackend:
    """A backend wired to ``store`` as if connected (no Cluster, no server)."""
    backend = CassandraBackend(url, **options)
    names = [
        "ev_open",
        "ev_bump",
        "ev_row",
        "ev_id",
        "ev_id_new",
        "ev_read",
        "ev_read_n",
        "ev_version",
        "ev_ids",
    ]
    backend._st = {n: Stmt(n) for n in names}  # type: ignore[dict-item]
    backend._db = Runner(store, page_size=store.page_size)  # type: ignore[arg-type]
    backend._batch = lambda kind=None: Batch()  # type: ignore[assignment,method-assign,misc]
    backend._open = True
    return backend


@pytest.fixture
def store() -> FakeEvents:
    return FakeEvents()
