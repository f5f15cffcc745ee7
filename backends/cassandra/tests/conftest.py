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

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyworkflow.errors import ConflictError
from pyworkflow.models import NewEvent
from pyworkflow_cassandra import CassandraBackend
from pyworkflow_cassandra.aio import Runner
from pyworkflow_cassandra.cql import statements

MAX = 2**63 - 1


def _lt(key: tuple[Any, ...], bound: tuple[Any, ...]) -> bool:
    return key < bound


class FakeRecords:
    """The non-event tables, one dict each, with each named statement's semantics.

    Conditional statements answer like Cassandra: ``[applied]`` plus, when refused, the
    current values of the row (or nothing but ``[applied] = false`` if it does not exist).
    """

    def __init__(self) -> None:
        self.t: dict[str, dict[Any, dict[str, Any]]] = {}

    def tab(self, name: str) -> dict[Any, dict[str, Any]]:
        return self.t.setdefault(name, {})

    def _new(self, table: str, key: Any, row: dict[str, Any]) -> list[dict[str, Any]]:
        tab = self.tab(table)
        if key in tab:
            return [{"[applied]": False, **tab[key]}]
        tab[key] = row
        return [{"[applied]": True}]

    def _cas(self, table: str, key: Any, col: str, old: Any, new: dict[str, Any] | None):
        tab = self.tab(table)
        row = tab.get(key)
        if row is None or row.get(col) != old:
            return [{"[applied]": False, **({} if row is None else {col: row.get(col)})}]
        if new is None:
            del tab[key]
        else:
            row.update(new)
        return [{"[applied]": True}]

    def _index(self, table: str, part: Any, bound: tuple[Any, ...], desc: bool = True):
        keys = sorted((k for k in self.tab(table) if k[0] == part), reverse=desc)
        return [dict(self.tab(table)[k]) for k in keys if _lt(k[1:], bound)]

    def run(self, name: str, a: tuple[Any, ...]) -> list[dict[str, Any]]:
        t = self.tab
        match name:
            case "run_get" | "task_get" | "hook_get" | "sched_get":
                table = {
                    "run_get": "runs",
                    "task_get": "tasks",
                    "hook_get": "hooks",
                    "sched_get": "schedules",
                }[name]
                row = t(table).get(a[0])
                return [] if row is None else [dict(row)]
            case "run_new":
                return self._new("runs", a[0], {"status": a[1], "rev": 0, "doc": a[2]})
            case "run_cas":
                return self._cas(
                    "runs", a[3], "rev", a[4], {"doc": a[0], "status": a[1], "rev": a[2]}
                )
            case "run_drop":
                return [{"[applied]": t("runs").pop(a[0], None) is not None}]
            case "key_new":
                return self._new("run_keys", a[0], {"run_id": a[1], "doc": a[2]})
            case "key_undo":
                return self._cas("run_keys", a[0], "run_id", a[1], None)
            case "day_add":
                t("run_days")[(0, a[0])] = {"day": a[0]}
            case "day_list":
                return [
                    r
                    for k, r in sorted(t("run_days").items(), reverse=True)
                    if a[1] <= k[1] <= a[0]
                ]
            case "by_day_add":
                t("runs_by_day")[a] = {"created_at": a[1], "id": a[2]}
            case "by_day_drop":
                t("runs_by_day").pop(a, None)
            case "by_day_list":
                return self._index("runs_by_day", a[0], a[1:])
            case "wf_day_add":
                t("workflow_days")[a] = {"day": a[1]}
            case "wf_day_list":
                return [
                    r
                    for k, r in sorted(t("workflow_days").items(), reverse=True)
                    if k[0] == a[0] and a[2] <= k[1] <= a[1]
                ]
            case "by_wf_add":
                t("runs_by_workflow")[((a[0], a[1]), a[2], a[3])] = {"created_at": a[2], "id": a[3]}
            case "by_wf_drop":
                t("runs_by_workflow").pop(((a[0], a[1]), a[2], a[3]), None)
            case "by_wf_list":
                return self._index("runs_by_workflow", (a[0], a[1]), a[2:])
            case "by_parent_add":
                t("runs_by_parent")[a] = {"created_at": a[1], "id": a[2]}
            case "by_parent_drop":
                t("runs_by_parent").pop(a, None)
            case "by_parent_list":
                return self._index("runs_by_parent", a[0], a[1:])
            case "done_add":
                t("runs_by_completed")[a] = {"completed_at": a[1], "id": a[2]}
            case "done_day_add":
                t("completed_days")[(0, a[0])] = {"day": a[0]}
            case "done_days":
                return [r for k, r in sorted(t("completed_days").items()) if k[1] <= a[0]]
            case "done_list":
                return [
                    r
                    for k, r in sorted(t("runs_by_completed").items())
                    if k[0] == a[0] and k[1] < a[1]
                ]
            case "done_drop":
                t("runs_by_completed").pop(a, None)
            case "task_new":
                return self._new(
                    "tasks",
                    a[0],
                    {
                        "doc": a[1],
                        "due_at": a[2],
                        "attempts": a[3],
                        "lease_token": None,
                        "worker": None,
                        "lease_until": 0,
                    },
                )
            case "task_claim":
                row = t("tasks").get(a[4])
                if row is None or not (
                    row["attempts"] == a[5] and row["lease_until"] <= a[6] and row["due_at"] == a[7]
                ):
                    return [{"[applied]": False, **(row or {})}]
                row.update(attempts=a[0], lease_token=a[1], worker=a[2], lease_until=a[3])
                return [{"[applied]": True}]
            case "task_extend":
                return self._cas("tasks", a[1], "lease_token", a[2], {"lease_until": a[0]})
            case "task_release":
                return self._cas(
                    "tasks",
                    a[1],
                    "lease_token",
                    a[2],
                    {"due_at": a[0], "lease_token": None, "worker": None, "lease_until": 0},
                )
            case "task_done":
                return self._cas("tasks", a[0], "lease_token", a[1], None)
            case "task_drop":
                return [{"[applied]": t("tasks").pop(a[0], None) is not None}]
            case "due_add":
                t("tasks_due")[a[:2]] = {"due_at": a[0], "id": a[1], "written": a[2]}
            case "due_drop":
                t("tasks_due").pop(a, None)
            case "due_list":
                return [r for k, r in sorted(t("tasks_due").items()) if a[0] <= k[0] <= a[1]]
            case "due_from":  # (due_at, id) >= (?, ?)
                return [r for k, r in sorted(t("tasks_due").items()) if k >= tuple(a)]
            case "due_after":  # (due_at, id) > (?, ?)
                return [r for k, r in sorted(t("tasks_due").items()) if k > tuple(a)]
            case "floor_get":
                row = t("tasks_floor").get(0)
                return [] if row is None else [dict(row)]
            case "floor_touch":
                row = t("tasks_floor").get(0)
                if row is None or not row["floor"] <= a[1]:
                    return [
                        {"[applied]": False, **({} if row is None else {"floor": row["floor"]})}
                    ]
                row["epoch"] = a[0]
                return [{"[applied]": True}]
            case "floor_lower":
                return self._cas("tasks_floor", 0, "floor", a[2], {"floor": a[0], "epoch": a[1]})
            case "floor_raise":
                row = t("tasks_floor").get(0)
                if row is None or (row["floor"], row["epoch"]) != (a[2], a[3]):
                    return [{"[applied]": False, **(row or {})}]
                row.update(floor=a[0], epoch=a[1])
                return [{"[applied]": True}]
            case "trun_add":
                t("tasks_by_run")[a] = {"id": a[1]}
            case "trun_list":
                return [r for k, r in sorted(t("tasks_by_run").items()) if k[0] == a[0]]
            case "trun_drop":
                for k in [k for k in t("tasks_by_run") if k[0] == a[0]]:
                    del t("tasks_by_run")[k]
            case "trun_drop_one":
                t("tasks_by_run").pop(a, None)
            case "hook_new":
                return self._new("hooks", a[0], {"status": a[1], "doc": a[2]})
            case "hook_set":
                return self._cas("hooks", a[2], "status", a[3], {"status": a[0], "doc": a[1]})
            case "hook_drop":
                return [{"[applied]": t("hooks").pop(a[0], None) is not None}]
            case "hrun_add":
                t("hooks_by_run")[a] = {"hook_token": a[1]}
            case "hrun_list":
                return [r for k, r in sorted(t("hooks_by_run").items()) if k[0] == a[0]]
            case "hrun_drop":
                for k in [k for k in t("hooks_by_run") if k[0] == a[0]]:
                    del t("hooks_by_run")[k]
            case "sched_new":
                return self._new("schedules", a[0], {"revision": a[1], "doc": a[2]})
            case "sched_cas":
                return self._cas(
                    "schedules", a[2], "revision", a[3], {"revision": a[0], "doc": a[1]}
                )
            case "sched_del":
                if a[0] in t("schedules"):
                    del t("schedules")[a[0]]
                    return [{"[applied]": True}]
                return [{"[applied]": False}]
            case "sid_add":
                t("schedule_ids")[a[0]] = {"id": a[0]}
            case "sid_drop":
                t("schedule_ids").pop(a[0], None)
            case "sid_list":
                return [r for k, r in sorted(t("schedule_ids").items()) if k > a[0]]
            case _:
                raise AssertionError(f"unexpected statement {name}")
        return []


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

    def __init__(
        self, rows: list[dict[str, Any]] | None, state: bytes | None, exc: Any, threaded: bool
    ) -> None:
        self._rows, self._state, self._exc = rows, state, exc
        self._threaded = threaded
        self._done = threading.Event()

    def add_callbacks(self, callback: Callable[..., Any], errback: Callable[..., Any]) -> None:
        def fire() -> None:
            self._done.set()
            if self._exc is not None:
                errback(self._exc)
            else:
                callback(self._rows)

        if self._threaded:
            threading.Thread(target=fire, daemon=True).start()
        else:  # the driver too calls back at once when the result is already there
            fire()

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

    def __init__(self, page_size: int = 3, *, threaded: bool = True) -> None:
        self.threaded = threaded
        self.parts: dict[tuple[str, int], Partition] = {}
        self.records = FakeRecords()
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
            return Future(None, None, exc, self.threaded)
        return Future(rows, state, None, self.threaded)

    # -- conditional batch
    def _batch(self, batch: Batch) -> list[dict[str, Any]]:
        if batch.items[0][0] not in ("ev_open", "ev_bump"):  # an index batch: apply all
            for name, params in batch.items:
                self.log.append((name, params, None))
                self._query(name, params, None)
            return []
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
        if not name.startswith("ev_"):
            return self._page(self.records.run(name, a), state)
        if name == "ev_drop":
            self.parts.pop((a[1], a[2]), None)
            return [], None
        if name == "ev_ids_in":  # bucket IN ? AND eid IN ?
            parts = [self.parts[(a[0], b)] for b in a[1] if (a[0], b) in self.parts]
            return [
                {"eid": e, "id_seq": p.rows[(0, e)]["id_seq"]}
                for p in parts
                for e in a[2]
                if (0, e) in p.rows
            ], None
        part = self.parts.get((a[0], a[1]))
        if name == "ev_ids_all":
            rows = [] if part is None else [{"eid": k[1]} for k in sorted(part.rows) if k[0] == 0]
            return self._page(rows, state)
        if name == "ev_stamp":
            return ([] if part is None else [{"stamp": 1}]), None
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
            return self._page(rows, state)
        raise AssertionError(f"unexpected statement {name}")

    def _page(self, rows: list[dict[str, Any]], state: bytes | None):
        start = int(state or b"0")
        page = rows[start : start + self.page_size]
        nxt = start + self.page_size
        return page, (str(nxt).encode() if nxt < len(rows) else None)


def fake_backend(url: str, store: FakeEvents, **options: Any) -> CassandraBackend:
    """A backend wired to ``store`` as if connected (no Cluster, no server)."""
    backend = CassandraBackend(url, **options)
    backend._st = {n: Stmt(n) for n in statements("ks")}  # type: ignore[dict-item]
    backend._db = Runner(store, page_size=store.page_size)  # type: ignore[arg-type]
    backend._batch = lambda kind=None: Batch()  # type: ignore[assignment,method-assign,misc]
    backend._open = True
    # What connect() writes with the schema: the due index's floor, below everything.
    store.records.tab("tasks_floor").setdefault(0, {"floor": -(2**63), "epoch": "new"})
    return backend


def ev(i: int, typ: str = "t") -> NewEvent:
    """Event ``i`` of the fast-path tests: id ``e<i>``."""
    return NewEvent(id=f"e{i}", type=typ, data={"i": i})


async def same_outcomes(
    rng: random.Random,
    paths: tuple[Callable[[], CassandraBackend], Callable[[], CassandraBackend]],
    *,
    appends: int,
    stale: float,
    repeat: float,
) -> None:
    """Drive the same random appends to run ``"r"`` through two paths (each call of a path
    gives the backend for one append) and assert they answer alike: the new version, or a
    ``ConflictError``. ``stale``: share of appends at a random expected version; ``repeat``:
    share of event ids drawn from those used before."""
    version, n = 0, 0
    for _ in range(appends):
        k = rng.randint(1, 3)
        expected = version if rng.random() >= stale else rng.randint(0, version + 2)
        ids = [rng.randrange(n + k) if rng.random() < repeat else n + i for i in range(k)]
        batch = [ev(i) for i in dict.fromkeys(ids)]
        outcomes: list[object] = []
        for path in paths:
            try:
                outcomes.append(await path().append("r", batch, expected_version=expected))
            except ConflictError:
                outcomes.append("conflict")
        assert outcomes[0] == outcomes[1], (expected, version, ids)
        if outcomes[0] != "conflict":
            version, n = int(outcomes[0]), n + k  # type: ignore[call-overload]


@pytest.fixture
def store() -> FakeEvents:
    return FakeEvents()
