"""Contract area 'values': the edges of every valid range, and one step past them.

Every backend must give the same answer: a value inside a range is stored and read back
exactly; a value outside is :class:`InvalidInput` (or the more precise error the method
documents) and writes nothing. Never ValueError, OverflowError, RecursionError,
UnicodeEncodeError or a driver's error text. The ranges: sequences, versions, ``after`` and
``read`` limits 0..2**63-1; task attempts 0..10**9; lease durations finite, at least a
microsecond, ending before year 10000; JSON at most 256 levels deep, valid UTF-8 (no lone
surrogate); free text without NUL.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pyworkflow import (
    ConflictError,
    InvalidInput,
    NewEvent,
    RunFilter,
    RunStatus,
    StorageBackend,
)

from pyworkflow_conformance.dump import assert_unchanged, drain_tasks, dump_store, same
from pyworkflow_conformance.helpers import (
    T0,
    aio,
    make_hook,
    make_run,
    make_schedule,
    make_task,
    uid,
)
from pyworkflow_conformance.strategies import nest

__all__ = ["ValuesContract"]

MAX = 2**63 - 1
DEPTH = 256  # pyworkflow.codec.MAX_JSON_DEPTH
BAD_DURATIONS: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    1e20,
    10**400,
    "abc",
    "10",
    True,
    None,
    0,
    -1,
    1e-7,  # rounds to 0 microseconds
    timedelta(0),
    timedelta(days=-1),
    timedelta.max,
]
SURROGATE = "\ud800"


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def _refused(awaitable: Any) -> None:
    with pytest.raises(InvalidInput):
        await awaitable


class ValuesContract:
    """Range edges: inside is stored exactly, outside is InvalidInput, on every backend."""

    area = "values"

    @aio
    async def test_lease_durations_out_of_range_are_refused(self, backend: StorageBackend) -> None:
        await backend.enqueue(make_task())
        end = datetime.max.replace(tzinfo=UTC)
        for bad in BAD_DURATIONS:
            await _refused(backend.claim("w", lease=bad, now=T0))
        await _refused(backend.claim("w", lease=1, now=end))  # would end after year 9999
        (lease,) = await backend.claim("w", lease=60, now=T0)  # untouched by the refusals
        assert lease.task.attempts == 1
        for bad in BAD_DURATIONS:
            await _refused(backend.extend(lease, bad, now=T0))
        await _refused(backend.extend(lease, 1, now=end))
        for bad_lease in (None, "lease", lease.task):
            await _refused(backend.complete(bad_lease))  # type: ignore[arg-type]
            await _refused(backend.extend(bad_lease, 1))  # type: ignore[arg-type]
            await _refused(backend.release(bad_lease))  # type: ignore[arg-type]
        tiny = await backend.extend(lease, timedelta(microseconds=1), now=T0)
        assert tiny.expires_at == T0 + timedelta(microseconds=1)
        long = await backend.extend(lease, 10**9, now=T0)  # 31 years is a valid lease
        assert long.expires_at == T0 + timedelta(seconds=10**9)
        await backend.complete(lease)

    @aio
    async def test_sequence_numbers_have_one_range(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        event = [NewEvent(type="t")]
        for bad in (-1, MAX + 1, 2**70, -(2**70)):
            await _refused(backend.append(run_id, event, expected_version=bad))
            await _refused(backend.read(run_id, after=bad))
            await _refused(backend.update_schedule("s", {}, expected_revision=bad))
        for bad_limit in (0, MAX + 1, 2**70):
            await _refused(backend.read(run_id, limit=bad_limit))
        await _refused(backend.read(run_id, types=[f"t{i}" for i in range(40_000)]))
        assert await backend.read(run_id, types=[f"t{i}" for i in range(1000)]) == []
        # In range but not the log's version: a conflict, the same on every backend.
        for version in (MAX, MAX - 1, MAX - 2, 2**62):
            with pytest.raises(ConflictError):
                await backend.append(run_id, event, expected_version=version)
        assert await backend.version(run_id) == 0
        assert await backend.append(run_id, event, expected_version=0) == 1
        assert [e.id for e in await backend.read(run_id, limit=MAX)] == [event[0].id]
        assert await backend.read(run_id, after=MAX) == []
        schedule = await backend.create_schedule(make_schedule())
        assert await backend.update_schedule(schedule.id, {}, expected_revision=MAX) is False

    @aio
    async def test_task_attempts_have_one_range(self, backend: StorageBackend) -> None:
        for bad in (-1, 10**9 + 1, 2**31, 2**63, True, 1.0):
            await _refused(backend.enqueue(make_task(attempts=bad)))
        assert await drain_tasks(backend) == []
        task = make_task(attempts=10**9)
        assert await backend.enqueue(task)
        (lease,) = await backend.claim("w", lease=60, now=T0)
        assert lease.task.attempts == 10**9 + 1
        await backend.complete(lease)

    @aio
    async def test_cursors_holding_times_out_of_range_are_refused(
        self, backend: StorageBackend
    ) -> None:
        await backend.create_run(make_run())
        before = await dump_store(backend)
        for created in (10**20, 10**23, 10**26, 2**63, -(10**23), 1.5, True, None, "0"):
            await _refused(backend.list_runs(cursor=_b64([created, "x"])))
        deep = base64.urlsafe_b64encode(b"[" * 5000).decode()
        for cursor in (deep, "A" * 100_000):
            await _refused(backend.list_runs(cursor=cursor))
            await _refused(backend.list_schedules(cursor=cursor))
        assert_unchanged(before, await dump_store(backend))

    @aio
    async def test_lone_surrogates_are_refused_everywhere(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        big = "a" * 300_000
        for data in (
            {"x": SURROGATE},
            {SURROGATE: 1},
            {"x": [1, {"y": "ok" + SURROGATE}]},
            {"x": big + SURROGATE},
        ):
            await _refused(
                backend.append(run_id, [NewEvent(type="t", data=data)], expected_version=0)
            )
            await _refused(backend.enqueue(make_task(payload=data)))
            await _refused(backend.create_schedule(make_schedule(input=data)))
            for field in ("input", "result", "error", "context", "metadata"):
                await _refused(backend.create_run(make_run(id=run_id, **{field: data})))
            await _refused(backend.create_hook(make_hook(payload=data)))
        for text in (SURROGATE, "ok\udfff"):
            await _refused(backend.create_run(make_run(workflow_name=text)))
            await _refused(backend.create_run(make_run(idempotency_key=text)))
            await _refused(backend.append(run_id, [NewEvent(type=text)], expected_version=0))
            await _refused(backend.create_hook(make_hook(url=text)))
            await _refused(backend.create_schedule(make_schedule(cron=text)))
            await _refused(backend.create_schedule(make_schedule(timezone=text)))
        run, _ = await backend.create_run(make_run())
        hook = await backend.create_hook(make_hook())
        schedule = await backend.create_schedule(make_schedule())
        before = await dump_store(backend, run_ids=[run_id], tokens=[hook.token])
        await _refused(backend.update_run(run.id, {"result": {"x": SURROGATE}}))
        await _refused(backend.resolve_hook(hook.token, SURROGATE))
        await _refused(backend.update_schedule(schedule.id, {"stats": {SURROGATE: 1}}))
        assert_unchanged(before, await dump_store(backend, run_ids=[run_id], tokens=[hook.token]))
        assert await drain_tasks(backend) == []

    @aio
    async def test_nul_is_data_in_json_but_refused_in_free_text(
        self, backend: StorageBackend
    ) -> None:
        data = {"k\x00": "v\x00", "x": ["\x00"]}
        run_id = uid("run")
        await backend.append(run_id, [NewEvent(type="t", data=data)], expected_version=0)
        (event,) = await backend.read(run_id)
        assert same(event.data, data)
        await _refused(backend.create_hook(make_hook(url="http://x/\x00")))
        await _refused(backend.create_schedule(make_schedule(cron="* * \x00")))
        await _refused(backend.create_schedule(make_schedule(timezone="UTC\x00")))

    @aio
    async def test_nesting_deeper_than_the_limit_is_refused(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        for too_deep in (nest(DEPTH + 1), nest(100_000)):
            new = NewEvent(type="t", data={"d": too_deep})
            await _refused(backend.append(run_id, [new], expected_version=0))
            await _refused(backend.create_run(make_run(id=run_id, input=too_deep)))
            await _refused(backend.enqueue(make_task(payload={"d": too_deep})))
        assert await backend.version(run_id) == 0
        deepest = nest(DEPTH - 1)  # inside {"d": ...}: exactly DEPTH levels
        await backend.append(run_id, [NewEvent(type="t", data={"d": deepest})], expected_version=0)
        (event,) = await backend.read(run_id)
        assert same(event.data, {"d": deepest})
        run, _ = await backend.create_run(make_run(input=nest(DEPTH)))
        stored = await backend.get_run(run.id)
        assert stored is not None
        assert same(stored.input, nest(DEPTH))

    @aio
    async def test_edge_json_values_roundtrip_exactly(self, backend: StorageBackend) -> None:
        values: list[Any] = [
            2**100,
            -(2**70),
            MAX + 1,
            1.7976931348623157e308,
            5e-324,
            -0.0,
            0.1,
            "𝄞\u2028\ufeff[/b]",
            {"": [None, True, False, 0, 0.0, "", [], {}]},
        ]
        run_id = uid("run")
        batch = [NewEvent(type="t", data={"v": value}) for value in values]
        await backend.append(run_id, batch, expected_version=0)
        assert same([e.data["v"] for e in await backend.read(run_id)], values)
        run, _ = await backend.create_run(make_run(input=values, metadata={"v": values}))
        stored = await backend.get_run(run.id)
        assert stored is not None
        assert same(stored.input, values)
        assert same(stored.metadata, {"v": values})

    @aio
    async def test_datetimes_at_the_ends_of_the_range(self, backend: StorageBackend) -> None:
        first = datetime.min.replace(tzinfo=UTC)
        last = datetime.max.replace(tzinfo=UTC)
        run, _ = await backend.create_run(make_run(created_at=first, completed_at=last))
        stored = await backend.get_run(run.id)
        assert stored is not None
        assert (stored.created_at, stored.completed_at) == (first, last)
        east, west = timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))
        for outside in (datetime.min.replace(tzinfo=east), datetime.max.replace(tzinfo=west)):
            await _refused(backend.create_run(make_run(created_at=outside)))
            await _refused(backend.enqueue(make_task(due_at=outside)))
            await _refused(backend.list_runs(RunFilter(created_after=outside)))
            await _refused(backend.claim("w", lease=1, now=outside))
        page = await backend.list_runs(RunFilter(created_before=last))
        assert [r.id for r in page.items] == [run.id]

    @aio
    async def test_malformed_collections_and_enums_are_refused(
        self, backend: StorageBackend
    ) -> None:
        run, _ = await backend.create_run(make_run())
        before = await dump_store(backend)
        await _refused(backend.read(run.id, types=5))  # type: ignore[arg-type]
        await _refused(backend.list_runs(RunFilter(statuses=5)))  # type: ignore[arg-type]
        await _refused(backend.list_runs(RunFilter(statuses=[[1]])))  # type: ignore[arg-type]
        await _refused(backend.delete_runs(older_than=T0, statuses=5))  # type: ignore[arg-type]
        for bad in ("bogus", 3, [1]):
            await _refused(backend.update_run(run.id, {"result": 1}, expected_status=bad))  # type: ignore[arg-type]
        # Values whose plain repr raises (RecursionError, the 4300-digit int limit) still
        # give InvalidInput with a readable message.
        huge = 10**5000
        await _refused(backend.update_run(run.id, {"status": nest(100_000)}))
        await _refused(backend.update_run(run.id, {1: 2, "bogus": 3}))  # type: ignore[dict-item]
        await _refused(backend.update_run(run.id, {"result": {huge: 1}}))
        await _refused(backend.update_run(run.id, {"result": huge}))
        await _refused(backend.read(run.id, after=huge))
        await _refused(backend.enqueue(make_task(attempts=huge)))
        await _refused(backend.claim("w", lease=huge, now=T0))
        for interval in (math.nan, math.inf, 10**400, 1e300, huge):
            await _refused(backend.create_schedule(make_schedule(interval=interval)))
            await _refused(backend.create_schedule(make_schedule(jitter=interval)))
        assert_unchanged(before, await dump_store(backend))
        assert (await backend.get_run(run.id)) == run
        assert run.status is RunStatus.PENDING
