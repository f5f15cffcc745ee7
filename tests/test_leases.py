"""A worker's lease in one process, on SQLite: renewal costs nothing for short steps, keeps a
long step's task from other workers, and fences the execution when a renewal does not get
through in time (the store stopped answering) or is refused (another worker holds the task).

The process-level tests are in test_failover.py (SIGKILL) and test_partition.py (a real
network partition); these run anywhere, fast.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pyworkflow import RunStatus, StorageBackend, Worker, start, step, workflow
from pyworkflow.engine import configured
from pyworkflow.engine.runtime import Engine
from pyworkflow.engine.worker import DEFAULT_LEASE
from pyworkflow.models import Lease
from pyworkflow_benchmarks.engine_bench import count_calls

STEPS = 100
EFFECTS: Counter[str] = Counter()


@step(name="lease_noop")
async def noop(i: int) -> int:
    return i


@workflow(name="lease_hundred")
async def hundred(n: int) -> int:
    total = 0
    for i in range(n):
        total += await noop(i)
    return total


@step(name="lease_slow")
async def slow(key: str, seconds: float) -> str:
    EFFECTS[f"{key}:begin"] += 1
    await asyncio.sleep(seconds)
    EFFECTS[f"{key}:end"] += 1
    return key


@workflow(name="lease_one_slow_step")
async def one_slow_step(key: str, seconds: float) -> str:
    return await slow(key, seconds)


@pytest_asyncio.fixture
async def backend(tmp_path: Path) -> AsyncIterator[StorageBackend]:
    pytest.importorskip("pyworkflow_sqlite")
    store = StorageBackend.from_url(f"sqlite:///{tmp_path}/leases.db")
    await store.connect()
    try:
        yield store
    finally:
        await store.close()


async def _until_terminal(backend: StorageBackend, run_id: str, within: float = 60) -> Any:
    deadline = time.monotonic() + within
    while not (run := await backend.get_run(run_id)) or not run.status.terminal:
        assert time.monotonic() < deadline, "the run did not end"
        await asyncio.sleep(0.02)
    return run


async def test_short_steps_cost_no_lease_renewal(backend: StorageBackend) -> None:
    with configured(backend, inline=False):
        run_id = await start(hundred, STEPS)
    calls = count_calls(backend)
    worker = Worker(Engine(backend, inline=False), poll=0.01)  # default lease
    t0 = time.monotonic()
    assert await worker.run_until_idle() == 1
    took = time.monotonic() - t0
    run = await backend.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED
    assert run.result == sum(range(STEPS))
    if took < DEFAULT_LEASE / 2:  # a slow machine may legitimately renew once
        assert calls["extend"] == 0, calls
    per_step = sum(calls.values()) / STEPS
    assert per_step <= 2, (per_step, calls)


async def test_a_long_step_keeps_its_lease_by_renewing_it(backend: StorageBackend) -> None:
    with configured(backend, inline=False):
        run_id = await start(one_slow_step, "long", 2.6)
    calls = count_calls(backend)
    engine = Engine(backend, inline=False)
    # two workers with a 1 s lease: without renewals the second would take the task over
    # (and run the step again) after 1 s
    async with Worker(engine, lease=1.0, poll=0.02), Worker(engine, lease=1.0, poll=0.02):
        run = await _until_terminal(backend, run_id)
    assert run.status is RunStatus.COMPLETED, run.error
    assert EFFECTS["long:begin"] == EFFECTS["long:end"] == 1
    assert 3 <= calls["extend"] <= 8, calls  # every 0.5 s while the step ran


async def test_a_worker_that_cannot_renew_in_time_stops_the_execution(
    backend: StorageBackend,
) -> None:
    with configured(backend, inline=False):
        run_id = await start(one_slow_step, "cut", 3.0)
    unanswered = asyncio.Event()

    async def hangs(lease: Lease, by: Any, **kwargs: Any) -> Lease:
        # fault injection: the store stops answering (a partition); the real thing is in
        # test_partition.py
        unanswered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    backend.extend = hangs  # type: ignore[method-assign]
    worker = Worker(Engine(backend, inline=False), lease=1.0, poll=0.02)
    t0 = time.monotonic()
    assert await asyncio.wait_for(worker.run_once(), 30) == 1
    took = time.monotonic() - t0
    assert unanswered.is_set()
    assert EFFECTS["cut:begin"] == 1
    assert EFFECTS["cut:end"] == 0, "the step went on after the lease ran out"
    assert took <= 1.0 + 0.5, f"the execution was stopped {took:.2f}s after the claim"
    run = await backend.get_run(run_id)
    assert run is not None
    assert not run.status.terminal
    assert not [e for e in await backend.read(run_id) if e.type == "step.completed"]


async def test_a_worker_whose_lease_was_taken_stops_the_execution(
    backend: StorageBackend,
) -> None:
    with configured(backend, inline=False):
        run_id = await start(one_slow_step, "stolen", 3.0)
    real_extend = backend.extend
    thief: list[Lease] = []

    async def expire_then_extend(lease: Lease, by: Any, **kwargs: Any) -> Lease:
        # another worker claims the task first (as after an expiry), so this renewal is
        # refused by the lease token
        if not thief:
            thief.extend(await backend.claim("thief", lease=60, now=lease.expires_at))
        return await real_extend(lease, by, **kwargs)

    backend.extend = expire_then_extend  # type: ignore[method-assign]
    worker = Worker(Engine(backend, inline=False), lease=1.0, poll=0.02)
    assert await asyncio.wait_for(worker.run_once(), 30) == 1
    assert [lease.task.run_id for lease in thief] == [run_id]
    assert EFFECTS["stolen:begin"] == 1
    assert EFFECTS["stolen:end"] == 0, "the step went on after the lease was taken"
    await backend.complete(thief[0])  # the thief's lease is intact: the worker wrote nothing
