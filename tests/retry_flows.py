"""A workflow whose first attempt fails and whose second succeeds (``max_retries=1``), for the
tests of workflow retries (under faults, and on the engine's inline path)."""

from __future__ import annotations

from collections import Counter

from pyworkflow import step, workflow

__all__ = ["BODIES", "call", "flaky"]

#: step body executions per key
BODIES: Counter[str] = Counter()


@step(name="wfretry_call", retries=0)
async def call(key: str) -> str:
    # its failure is recorded, so a replay of the first attempt fails the same way
    BODIES[key] += 1
    if BODIES[key] == 1:
        raise ConnectionError("first attempt fails")
    return "second attempt"


@workflow(name="wfretry_flaky", max_retries=1)
async def flaky(key: str) -> str:
    return await call(key)
