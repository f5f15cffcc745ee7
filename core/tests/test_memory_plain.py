"""The memory backend skips the digit scan for texts a read already found plain, and stays
exact: values equal ``json.loads`` of the stored texts however appends and reads interleave."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkflow import NewEvent, RunStatus, StorageBackend
from pyworkflow._rows import decode_checked
from pyworkflow.memory import MemoryBackend
from pyworkflow.models import utcnow
from pyworkflow_conformance.helpers import make_run

BIG = 2**70  # beyond 64 bits: orjson would make it a float; json keeps it exact

values = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(alphabet="0123456789ab", max_size=25),
    st.floats(allow_nan=False, allow_infinity=False),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(values, min_size=1, max_size=3)),
        st.tuples(st.just("read"), st.integers(0, 12), st.none() | st.integers(1, 6)),
    ),
    max_size=25,
)


def _memory(b: StorageBackend) -> MemoryBackend:
    assert isinstance(b, MemoryBackend)
    return b


@settings(max_examples=150, deadline=None)
@given(steps)
def test_reads_equal_json_loads_whatever_the_order(ops: list[tuple]) -> None:
    async def run() -> None:
        async with StorageBackend.from_url("memory://") as b:
            m = _memory(b)
            version = 0
            for op in ops:
                if op[0] == "append":
                    events = [NewEvent(type="t", data={"v": v}) for v in op[1]]
                    version = await b.append("r", events, expected_version=version)
                    continue
                _, after, limit = op
                got = await b.read("r", after=after, limit=limit)
                texts = [row[2] for row in m._s.events.get("r", [])]
                stop = len(texts) if limit is None else min(len(texts), after + limit)
                want = [json.loads(t) for t in texts[after:stop]]
                assert [e.data for e in got] == want
                assert [type(e.data["v"]) for e in got] == [type(w["v"]) for w in want]
                plain = m._s.plain.get("r", 0)
                assert decode_checked(texts[:plain])[1] or plain == 0

    asyncio.run(run())


async def test_a_big_integer_after_the_plain_prefix_stays_exact() -> None:
    async with StorageBackend.from_url("memory://") as b:
        m = _memory(b)
        await b.append(
            "r", [NewEvent(type="t", data={"v": 1}) for _ in range(3)], expected_version=0
        )
        await b.read("r")
        assert m._s.plain["r"] == 3
        await b.append("r", [NewEvent(type="t", data={"v": BIG})], expected_version=3)
        for _ in range(2):
            (last,) = (await b.read("r"))[3:]
            assert last.data["v"] == BIG
            assert type(last.data["v"]) is int
        assert m._s.plain["r"] == 3  # the big integer's text is not plain: not extended
        # A read of the prefix alone still uses it; a read past it checks again.
        assert [e.data for e in await b.read("r", limit=3)] == [{"v": 1}] * 3
        assert [e.data for e in await b.read("r", after=2)] == [{"v": 1}, {"v": BIG}]


async def test_a_purged_run_forgets_its_plain_prefix() -> None:
    async with StorageBackend.from_url("memory://") as b:
        m = _memory(b)
        run, _ = await b.create_run(make_run())
        await b.append(run.id, [NewEvent(type="t", data={"v": 1})], expected_version=0)
        await b.read(run.id)
        assert m._s.plain == {run.id: 1}
        await b.update_run(run.id, {"status": RunStatus.COMPLETED, "completed_at": utcnow()})
        assert await b.delete_runs(older_than=utcnow() + timedelta(seconds=1)) == 1
        assert m._s.plain == {}
