"""Retries as data: a RetryPolicy, RetryableError(retry_after=...), FatalError and a step
timeout, in one workflow that runs in a couple of seconds.

    uv run python examples/retries.py

prints what each step did. Every retry is durable: the run suspends until its ``retry_at``
(recorded in the ``step.failed`` event), and any worker resumes it then.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from pyworkflow import (
    FatalError,
    RetryableError,
    RetryPolicy,
    StepFailed,
    step,
    workflow,
)

ATTEMPTS: Counter[str] = Counter()


@step(retry=RetryPolicy(initial_interval="100ms", backoff_coefficient=2, maximum_attempts=4))
async def flaky_fetch(url: str) -> str:
    ATTEMPTS["fetch"] += 1
    if ATTEMPTS["fetch"] < 3:  # fails twice, then works: waits 0.1 s, then 0.2 s
        raise ConnectionError(f"{url} unreachable")
    return f"fetched {url}"


@step(retries=3)
async def rate_limited() -> str:
    ATTEMPTS["rate"] += 1
    if ATTEMPTS["rate"] == 1:
        # the service says when to come back: this wins over the policy's 1 s
        raise RetryableError("429 Too Many Requests", retry_after="300ms")
    return "accepted"


@step(retries=5)
async def charge(card: str) -> str:
    ATTEMPTS["charge"] += 1
    raise FatalError("card declined", card=card)  # never retried, whatever retries says


@step(timeout="200ms", retries=1, backoff="100ms")
async def slow_report() -> str:
    ATTEMPTS["report"] += 1
    await asyncio.sleep(10)  # each attempt is cancelled after 0.2 s (StepTimeout)
    return "never"


@workflow
async def retries_demo() -> list[str]:
    lines = [await flaky_fetch("https://example.invalid"), await rate_limited()]
    for failing in (lambda: charge("4242"), slow_report):
        try:
            await failing()
        except StepFailed as failed:  # what the workflow sees once a step gives up
            lines.append(
                f"{failed.step}: {failed.error['type'].rsplit('.', 1)[-1]} "
                f"after {failed.attempts} attempt(s)"
            )
    return lines


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        # the store from PYWORKFLOW_STORAGE_URL / [tool.pyworkflow], else sqlite:///pyworkflow.db
        pyworkflow.configure()
        run = await pyworkflow.wait(await pyworkflow.start(retries_demo), timeout=60)
        assert run.status is pyworkflow.RunStatus.COMPLETED, run.error
        for line in run.result:
            print(line)
        assert ATTEMPTS == {"fetch": 3, "rate": 2, "charge": 1, "report": 2}, ATTEMPTS

    asyncio.run(main())
