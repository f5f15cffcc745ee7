"""The memory backend's append gives the event loop a turn only when it is due."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from pyworkflow import _turns
from pyworkflow.memory import MemoryBackend
from pyworkflow.models import NewEvent


@pytest.fixture
async def store() -> Any:
    b = MemoryBackend("memory://")
    await b.connect()
    yield b
    await b.close()


def _counting_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    calls: list[float] = []
    real = asyncio.sleep

    async def sleep(delay: float, result: Any = None) -> Any:
        calls.append(delay)
        return await real(delay, result)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return calls


async def test_a_lone_caller_turns_the_loop_once_in_every_few_appends(
    store: MemoryBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_sleep(monkeypatch)
    for v in range(160):
        await store.append("run", [NewEvent(type="t", data={})], expected_version=v)
    # Every append used to take a turn (160 sleeps); a lone caller now takes one in EVERY.
    assert len(calls) == 160 // _turns.EVERY


async def test_concurrent_appenders_still_interleave(store: MemoryBackend) -> None:
    order: list[str] = []

    async def writer(name: str) -> None:
        for v in range(20):
            await store.append(name, [NewEvent(type="t", data={})], expected_version=v)
            order.append(name)

    await asyncio.gather(writer("a"), writer("b"))
    # Each append yields while the other writer is ready, so they alternate call by call;
    # without the turn one writer would finish all its appends before the other started.
    switches = sum(1 for x, y in itertools.pairwise(order) if x != y)
    assert switches >= 30


async def test_a_tight_append_loop_still_lets_timers_fire(store: MemoryBackend) -> None:
    fired = asyncio.Event()
    asyncio.get_running_loop().call_later(0.001, fired.set)
    v = 0
    while not fired.is_set() and v < 50_000:
        v = await store.append("run", [NewEvent(type="t", data={})], expected_version=v)
    assert fired.is_set(), "a timer never fired during a loop of appends"
