"""The event log's logic (buckets, conditional batch, read-back) against the fake table."""

from __future__ import annotations

import asyncio
import random

import pytest
from cassandra import ConsistencyLevel, OperationTimedOut, WriteTimeout, WriteType
from pyworkflow.errors import ConflictError, StorageUnavailable
from pyworkflow.models import NewEvent

from .conftest import FakeEvents, fake_backend

URL = "cassandra://127.0.0.1/ks?bucket_size=4&max_batch=3&retries=2"


def ev(i: int, typ: str = "t") -> NewEvent:
    return NewEvent(id=f"e{i}", type=typ, data={"i": i})


async def test_appends_across_buckets_read_back_dense_and_in_order(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    version, n = 0, 0
    rng = random.Random(7)
    while version < 30:
        k = rng.randint(1, 3)
        batch = [ev(n + i, "odd" if (n + i) % 2 else "even") for i in range(k)]
        version = await b.append("r", batch, expected_version=version)
        n += k
    assert version == n
    events = await b.read("r")
    assert [e.sequence for e in events] == list(range(1, n + 1))
    assert [e.id for e in events] == [f"e{i}" for i in range(n)]
    # Every append went into the bucket of its start and buckets are contiguous.
    assert sorted(bk for (_, bk) in store.parts) == list(range(len(store.parts)))
    for after in range(n + 2):
        got = await b.read("r", after=after)
        assert [e.sequence for e in got] == list(range(after + 1, n + 1)), after
        lim = await b.read("r", after=after, limit=2)
        assert [e.sequence for e in lim] == list(range(after + 1, min(n, after + 2) + 1))
    odd = await b.read("r", types=["odd"])
    assert [e.sequence for e in odd] == [s for s in range(1, n + 1) if (s - 1) % 2]
    assert [e.sequence for e in await b.read("r", types=["odd"], limit=3, after=5)] == [
        s for s in range(6, n + 1) if (s - 1) % 2
    ][:3]
    assert await b.version("r") == n


async def test_version_finds_the_last_bucket_at_every_length(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    assert await b.version("none") == 0
    assert await b.read("none") == []
    for v in range(0, 40):
        assert await b.version("r") == v
        await b.append("r", [ev(v)], expected_version=v)


async def test_wrong_expected_version_conflicts_and_writes_nothing(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    await b.append("r", [ev(0), ev(1), ev(2)], expected_version=0)
    await b.append("r", [ev(3), ev(4)], expected_version=3)  # bucket 0 now ends at 5
    before = {k: (p.version, dict(p.rows)) for k, p in store.parts.items()}
    for wrong in (0, 1, 4, 6, 7, 8, 9, 12, 100):
        with pytest.raises(ConflictError):
            await b.append("r", [ev(50 + wrong)], expected_version=wrong)
    assert {k: (p.version, dict(p.rows)) for k, p in store.parts.items()} == before
    assert await b.append("r", [ev(5)], expected_version=5) == 6
    assert store.parts[("r", 1)].version == 6  # 5 // 4 = bucket 1, opened by that append


async def test_duplicate_event_id_conflicts_in_current_and_closed_buckets(
    store: FakeEvents,
) -> None:
    b = fake_backend(URL, store)
    v = 0
    for i in range(0, 9, 3):
        v = await b.append("r", [ev(i), ev(i + 1), ev(i + 2)], expected_version=v)
    assert v == 9
    for dup in ("e0", "e4", "e8"):  # bucket 0 (closed), bucket 1 (closed), bucket 2 (current)
        with pytest.raises(ConflictError, match="already"):
            await b.append(
                "r",
                [NewEvent(id="fresh", type="t"), NewEvent(id=dup, type="t")],
                expected_version=9,
            )
    assert await b.version("r") == 9
    assert all((0, "fresh") not in p.rows for p in store.parts.values())


async def test_concurrent_appenders_one_winner_per_version(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    won = 0

    async def contender(c: int) -> None:
        nonlocal won
        for _ in range(40):
            v = await b.version("r")
            try:
                await b.append("r", [NewEvent(id=f"c{c}-{v}", type="t")], expected_version=v)
                won += 1
            except ConflictError:
                pass

    await asyncio.gather(*(contender(c) for c in range(6)))
    events = await b.read("r")
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert len(events) == won
    assert len({e.id for e in events}) == won


async def test_cas_timeout_that_applied_is_resolved_by_serial_read_back(
    store: FakeEvents,
) -> None:
    b = fake_backend(URL, store)
    await b.append("r", [ev(0)], expected_version=0)
    faults = [(WriteTimeout("paxos", write_type=WriteType.CAS), True)]
    store.on_batch = lambda: faults.pop() if faults else None
    assert await b.append("r", [ev(1), ev(2)], expected_version=1) == 3
    assert [e.id for e in await b.read("r")] == ["e0", "e1", "e2"]
    serial = [entry for entry in store.log if entry[0] == "ev_read_n" and entry[2] is not None]
    assert serial
    assert serial[-1][2] == ConsistencyLevel.LOCAL_SERIAL


async def test_cas_timeout_that_did_not_apply_is_retried_not_guessed(store: FakeEvents) -> None:
    b = fake_backend(URL + "&serial_consistency=SERIAL", store)
    faults = [(WriteTimeout("paxos", write_type=WriteType.CAS), False)]
    store.on_batch = lambda: faults.pop() if faults else None
    assert await b.append("r", [ev(0)], expected_version=0) == 1
    assert [e.id for e in await b.read("r")] == ["e0"]
    assert any(c == ConsistencyLevel.SERIAL for _, _, c in store.log)


async def test_timeouts_that_never_resolve_surface_as_unavailable(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    store.on_batch = lambda: (OperationTimedOut("client timeout"), False)
    with pytest.raises(StorageUnavailable):
        await b.append("r", [ev(0)], expected_version=0)
    assert store.parts == {}


async def test_applied_timeout_then_retry_conflict_is_reported_done(store: FakeEvents) -> None:
    """The batch lands but the read-back cannot see it (e.g. the read fails too); the base
    class's retry then conflicts and its own read-back finds the events: success."""
    b = fake_backend(URL, store)
    calls = {"n": 0}

    def fault():
        calls["n"] += 1
        return (
            (WriteTimeout("commit", write_type=WriteType.SIMPLE), True) if calls["n"] == 1 else None
        )

    original = b._landed_serial

    async def blind(*args, **kwargs):  # the SERIAL read-back times out as well
        return False

    b._landed_serial = blind  # type: ignore[method-assign]
    store.on_batch = fault
    assert await b.append("r", [ev(0), ev(1)], expected_version=0) == 2
    assert calls["n"] == 2
    b._landed_serial = original  # type: ignore[method-assign]
    assert [e.sequence for e in await b.read("r")] == [1, 2]


async def test_append_batches_never_straddle_a_bucket(store: FakeEvents) -> None:
    b = fake_backend(URL, store)
    await b.append("r", [ev(0), ev(1), ev(2)], expected_version=0)
    await b.append("r", [ev(3), ev(4), ev(5)], expected_version=3)  # starts in bucket 0
    assert sorted(s for s, _ in store.parts[("r", 0)].rows if s) == [1, 2, 3, 4, 5, 6]
    assert store.parts[("r", 0)].version == 6
    await b.append("r", [ev(6)], expected_version=6)  # 6 // 4 = 1: opens bucket 1
    assert sorted(s for s, _ in store.parts[("r", 1)].rows if s) == [7]


def _cas_write_unknown() -> Exception:
    """CAS_WRITE_UNKNOWN exactly as cassandra-driver decodes it from a v5 ERROR frame.

    The body is what Cassandra 5 writes for ``CasWriteUnknownResultException`` (code,
    message, then consistency, received, blockFor); a single node cannot produce the error
    (it needs a proposal accepted by a minority of replicas), so the frame is built here and
    decoded by the driver's own ``ErrorMessage.recv_body``.
    """
    import io
    import struct

    from cassandra.protocol import ErrorMessage

    message = b"CAS operation result is unknown - proposal accepted by 1 but not a quorum."
    body = struct.pack(">iH", 0x1700, len(message)) + message + struct.pack(">Hii", 0x0009, 1, 2)
    return ErrorMessage.recv_body(io.BytesIO(body), 5).to_exception()  # type: ignore[no-any-return]


async def test_cas_write_unknown_from_protocol_v5_is_resolved_not_a_permanent_error(
    store: FakeEvents,
) -> None:
    exc = _cas_write_unknown()
    assert type(exc).__name__ == "ErrorMessage"  # no driver class for the code: bare message
    b = fake_backend(URL, store)
    # It applied: the serial read-back finds the events, the append succeeds.
    faults = [(exc, True)]
    store.on_batch = lambda: faults.pop() if faults else None
    assert await b.append("r", [ev(0)], expected_version=0) == 1
    # It did not apply: StorageUnavailable ("outcome unknown"), retried by the base class.
    faults = [(exc, False)]
    assert await b.append("r", [ev(1)], expected_version=1) == 2
    assert [e.id for e in await b.read("r")] == ["e0", "e1"]
    # Never resolved: StorageUnavailable, not StorageError, and nothing written.
    store.on_batch = lambda: (exc, False)
    with pytest.raises(StorageUnavailable, match="outcome unknown") as info:
        await b.append("r", [ev(2)], expected_version=2)
    assert info.value.__cause__ is exc
    assert await b.version("r") == 2
