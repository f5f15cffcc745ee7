"""Closed buckets' ids held in memory answer the append's duplicate-id check as the query does.

Fake table (no server): the check against closed buckets skips its query once a run's ids
are held, still finds every duplicate (a hit is confirmed by the query), follows the run into
new buckets, and forgets a purged run. Plus the memory's own bounds.
"""

from __future__ import annotations

import random

import pytest
from pyworkflow.errors import ConflictError
from pyworkflow_cassandra import closed_ids
from pyworkflow_cassandra.closed_ids import ClosedIds
from pyworkflow_conformance.helpers import make_run

from .conftest import FakeEvents, ev, fake_backend, same_outcomes

URL = "cassandra://127.0.0.1/ks?bucket_size=4&max_batch=3&retries=2"


def id_queries(store: FakeEvents) -> int:
    return sum(1 for name, _, _ in store.log if name == "ev_ids_in")


async def fill(backend: object, n: int) -> int:
    version = 0
    for i in range(n):
        version = await backend.append("r", [ev(i)], expected_version=version)  # type: ignore[attr-defined]
    return version


async def test_held_ids_replace_the_query_and_still_find_duplicates(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    b._closed.load_after = 2
    version = await fill(b, 9)  # buckets 0 and 1 closed; appends into bucket 2 ongoing
    assert b._closed.covered("r") == 2
    before = id_queries(store)
    version = await b.append("r", [ev(9), ev(10)], expected_version=version)
    assert id_queries(store) == before  # answered from memory
    with pytest.raises(ConflictError, match="'e5' is already in run"):
        await b.append("r", [ev(99), ev(5)], expected_version=version)
    assert id_queries(store) == before + 1  # the hit was confirmed by the query
    # The run goes on into bucket 3: bucket 2's ids are added, and found.
    version = await b.append("r", [ev(11)], expected_version=version)
    assert version == 12
    version = await b.append("r", [ev(12)], expected_version=version)
    assert b._closed.covered("r") == 3
    with pytest.raises(ConflictError, match="'e10' is already in run"):
        await b.append("r", [ev(10)], expected_version=version)
    assert [e.id for e in await b.read("r")] == [f"e{i}" for i in range(13)]


async def test_a_colliding_hash_costs_a_query_not_a_conflict(
    store: FakeEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(closed_ids, "hash", lambda _value: 7, raising=False)  # all collide
    b = fake_backend(URL, store)
    b._closed.load_after = 1
    version = await fill(b, 12)
    assert b._closed.covered("r") == 2
    before = id_queries(store)
    assert await b.append("r", [ev(12)], expected_version=version) == 13
    assert id_queries(store) == before + 1


async def test_held_path_matches_the_query_path() -> None:
    """Random appends (right and wrong versions, repeated ids, some from closed buckets)
    through a backend that holds ids from the first check and one that never holds any:
    same outcomes, same stored partitions."""
    for seed in range(10):
        held_store, query_store = FakeEvents(threaded=False), FakeEvents(threaded=False)
        held, query = fake_backend(URL, held_store), fake_backend(URL, query_store)
        held._closed.load_after = 1
        query._closed.max_ids = 0  # never holds anything
        paths = (lambda b=held: b, lambda b=query: b)
        await same_outcomes(random.Random(seed), paths, appends=40, stale=0.15, repeat=0.2)
        assert held_store.parts.keys() == query_store.parts.keys()
        assert {k: p.version for k, p in held_store.parts.items()} == {
            k: p.version for k, p in query_store.parts.items()
        }
        assert held._closed.covered("r"), "the held path was never used"
        assert query._closed.covered("r") is None


async def test_a_purge_forgets_the_held_ids(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    b._closed.load_after = 1
    run, _ = await b.create_run(make_run())
    version = 0
    for i in range(9):
        version = await b.append(run.id, [ev(i)], expected_version=version)
    assert b._closed.covered(run.id) == 2
    await b._purge(run)
    assert b._closed.covered(run.id) is None
    assert not [k for k in store.parts if k[0] == run.id]


def test_memory_is_bounded_and_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    c = ClosedIds(max_ids=5, load_after=3)
    assert [c.want("a", 1, 2) for _ in range(3)] == [False, False, True]
    assert not c.want("big", 3, 2)  # 6 closed ids > max_ids: never loaded
    c.add("a", 0, 1, ["x", "y"])
    c.add("b", 0, 1, ["z", "w"])
    assert (c.covered("a"), c.covered("b")) == (1, 1)
    assert c.may_hold("a", ["q", "y"])
    assert not c.may_hold("a", ["z"])
    c.add("c", 0, 1, ["1", "2"])  # 6 > 5: the least recently used run ("a") goes
    assert (c.covered("a"), c.covered("b"), c.covered("c")) == (None, 1, 1)
    c.add("b", 1, 2, ["v"])  # extends b: 2 + 3 = 5 ids held
    assert c.covered("b") == 2
    assert c.may_hold("b", ["v"])
    assert c.may_hold("b", ["z"])
    c.add("c", 5, 6, ["u"])  # c is not held up to 5: nothing stored, c dropped
    assert c.covered("c") is None
    clock = [1000.0]
    monkeypatch.setattr(closed_ids.time, "monotonic", lambda: clock[0])
    c.add("d", 0, 1, ["d"])
    clock[0] += closed_ids.TTL + 1
    assert c.covered("d") is None
