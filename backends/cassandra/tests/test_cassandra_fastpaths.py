"""The fast paths of the event log give exactly what the checked paths give (fake table).

- an append into a bucket this process already saw land skips the serial read of the
  previous bucket: same outcomes (result or error type) and same stored rows as a cold
  backend that checks every time, and a purged-and-recreated run falls back to the check;
- day-index rows are written once per process, and every run is still listed.
"""

from __future__ import annotations

import random

import pytest
from cassandra import ConsistencyLevel
from pyworkflow.errors import ConflictError
from pyworkflow.models import RunFilter
from pyworkflow_conformance.helpers import make_run

from .conftest import FakeEvents, ev, fake_backend, same_outcomes

URL = "cassandra://127.0.0.1/ks?bucket_size=4&max_batch=3&retries=2"


def serial_reads(store: FakeEvents) -> int:
    return sum(
        1
        for name, _, cl in store.log
        if name == "ev_version" and cl == ConsistencyLevel.LOCAL_SERIAL
    )


def stored(store: FakeEvents) -> dict[object, object]:
    """The partitions' versions and rows, without the append time (each backend stamps its
    own)."""
    return {
        key: (p.version, {k: {c: v for c, v in r.items() if c != "ts"} for k, r in p.rows.items()})
        for key, p in store.parts.items()
    }


async def test_append_into_a_known_bucket_skips_the_serial_read(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    version = 0
    for i in range(6):  # 0..3 in bucket 0, then two appends starting in bucket 1
        version = await b.append("r", [ev(i)], expected_version=version)
    # The append at 4 opened bucket 1 (one serial read); the one at 5 knew it existed.
    assert serial_reads(store) == 1
    version = await b.append("r", [ev(6), ev(7)], expected_version=version)
    assert serial_reads(store) == 1
    assert [e.sequence for e in await b.read("r")] == list(range(1, 9))


async def test_known_bucket_path_matches_the_checked_path() -> None:
    """Random appends (right and wrong versions, repeated ids) through a warm backend and,
    op by op, through a fresh backend each time: same outcomes, same stored partitions."""
    for seed in range(12):
        warm_store, cold_store = FakeEvents(threaded=False), FakeEvents(threaded=False)
        warm = fake_backend(URL, warm_store)
        paths = (lambda b=warm: b, lambda s=cold_store: fake_backend(URL, s))
        await same_outcomes(random.Random(seed), paths, appends=30, stale=0.2, repeat=0.15)
        assert stored(warm_store) == stored(cold_store)
        assert warm._opened, "the warm backend never used its fast path"


async def test_a_purged_and_recreated_run_falls_back_to_the_check(store: FakeEvents) -> None:
    warm = fake_backend(URL, store)
    version = 0
    for i in range(5):
        version = await warm.append("r", [ev(i)], expected_version=version)
    assert warm._opened == {"r": 1}
    store.parts.clear()  # another process purged the run and created it again ...
    other = fake_backend(URL, store)
    for i in range(4):  # ... and filled bucket 0 exactly
        await other.append("r", [ev(100 + i)], expected_version=i)
    # The warm backend believes bucket 1 exists; it does not: the guard refuses with no
    # version, and the append goes through the checked path (opening bucket 1).
    assert await warm.append("r", [ev(104)], expected_version=4) == 5
    assert [e.id for e in await warm.read("r")] == [f"e{i}" for i in range(100, 105)]
    with pytest.raises(ConflictError):  # and a real conflict on the known bucket stays one
        await warm.append("r", [ev(105)], expected_version=4)
    with pytest.raises(ConflictError):  # an id from a closed bucket too
        await warm.append("r", [ev(101)], expected_version=5)


async def test_day_index_rows_are_written_once_per_process(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    runs = [make_run(workflow_name="wf") for _ in range(3)] + [make_run(workflow_name="other")]
    for run in runs:
        await b.create_run(run)
    wrote = [name for name, _, _ in store.log if name in ("day_add", "wf_day_add")]
    # One run_days row, one workflow_days row per workflow: the rest were known.
    assert sorted(wrote) == ["day_add", "wf_day_add", "wf_day_add"]
    # Another process (a fresh backend) writes them again, and every run is listed.
    other = fake_backend(URL, store)
    await other.create_run(make_run(workflow_name="wf"))
    assert [n for n, _, _ in store.log].count("day_add") == 2
    listed = {r.id for r in (await other.list_runs(limit=10)).items}
    assert {r.id for r in runs} < listed
    assert len((await b.list_runs(RunFilter(workflow_name="wf"), limit=10)).items) == 4
