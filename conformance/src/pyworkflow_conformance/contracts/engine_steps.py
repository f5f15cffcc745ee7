"""Contract area 'engine' (steps): retry policies, FatalError and RetryableError, step
timeouts, the default of 3 retries and ``sleep(datetime)``, end to end on the backend under
test.

No test waits for a backoff: the engine's clock (``Engine.clock``) is a fixed instant that a
test moves past each recorded ``retry_at``/``wake_at`` before re-driving the run with
``engine.execute``. So every delay is checked exactly (``retry_at == now + delay``) and each
test takes milliseconds of real time (the timeout test ~0.1 s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from pyworkflow import (
    Event,
    FatalError,
    RetryableError,
    RetryPolicy,
    RunStatus,
    StorageBackend,
    WorkflowRun,
    configured,
    get_events,
    get_run,
    sleep,
    start,
    step,
    workflow,
)
from pyworkflow.codec import from_micros
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.helpers import aio, uid

__all__ = ["StepsContract"]

T0 = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
_CALLS: Counter[str] = Counter()


class _Clock:
    """A settable "now" for the engine."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@step(
    retry=RetryPolicy(
        initial_interval=10, backoff_coefficient=3, maximum_interval=50, maximum_attempts=4
    )
)
async def cs_always_fails(key: str) -> None:
    _CALLS[key] += 1
    raise ConnectionError(f"down {_CALLS[key]}")


@step
async def cs_default_policy(key: str) -> None:
    _CALLS[key] += 1
    raise ConnectionError(f"down {_CALLS[key]}")


@step
async def cs_fatal(key: str) -> None:
    _CALLS[key] += 1
    raise FatalError("card declined", code="declined")


@step(retries=5)
async def cs_retry_after(key: str, after: str) -> str:
    _CALLS[key] += 1
    if _CALLS[key] == 1:
        raise RetryableError("rate limited", retry_after=after)
    return "ok"


@step(retry=RetryPolicy(maximum_attempts=5, non_retryable_error_types=["LookupError"]))
async def cs_lookup(key: str) -> None:
    _CALLS[key] += 1
    raise KeyError(key)


@step(timeout=0.05, retries=1, backoff=7)
async def cs_slow(key: str) -> str:
    _CALLS[key] += 1
    await asyncio.sleep(5)
    return "never"


@workflow(name="cs_call")
async def cs_call(which: str, key: str, *extra: str) -> object:
    table: dict[str, Callable[..., Awaitable[object]]] = {
        "always": cs_always_fails,
        "default": cs_default_policy,
        "fatal": cs_fatal,
        "after": cs_retry_after,
        "lookup": cs_lookup,
        "slow": cs_slow,
    }
    return await table[which](key, *extra)


@workflow(name="cs_sleep_until")
async def cs_sleep_until(iso: str) -> str:
    await sleep(datetime.fromisoformat(iso))
    return "woke"


def _failed(events: list[Event]) -> list[Event]:
    return [e for e in events if e.type == "step.failed"]


class StepsContract:
    """Step retry policies, errors, timeouts and sleep(datetime) on this backend."""

    area = "engine"

    @pytest_asyncio.fixture(loop_scope="function")
    async def clocked(self, backend: StorageBackend) -> AsyncIterator[tuple[Engine, _Clock]]:
        """The module-level API on ``backend`` with the engine's clock fixed at T0."""
        with configured(backend) as engine:
            clock = _Clock()
            engine.clock = clock
            yield engine, clock

    async def _drive(self, engine: Engine, clock: _Clock, run_id: str) -> WorkflowRun:
        """Move the clock to each recorded retry/wake time and re-drive, until terminal."""
        for _ in range(20):
            run = await get_run(run_id)
            if run.status.terminal:
                return run
            events = await get_events(run_id)
            due = [e.data.get("retry_at") or e.data.get("wake_at") for e in events]
            times = [from_micros(d) for d in due if isinstance(d, int)]
            clock.now = max([clock.now, *times])
            await engine.execute(run_id)
        raise AssertionError(f"run {run_id} did not end")

    @aio
    async def test_retry_policy_delays_are_recorded(self, clocked: tuple[Engine, _Clock]) -> None:
        engine, clock = clocked
        key = uid("policy")
        run_id = await start(cs_call, "always", key)
        run = await self._drive(engine, clock, run_id)
        assert run.status is RunStatus.FAILED
        assert _CALLS[key] == 4  # maximum_attempts counts the first attempt
        events = await get_events(run_id)
        failed = _failed(events)
        starts = {e.data["attempt"]: e.timestamp for e in events if e.type == "step.started"}
        delays = [
            (from_micros(e.data["retry_at"]) - starts[e.data["attempt"]]).total_seconds()
            for e in failed[:-1]
        ]
        assert delays == [10.0, 30.0, 50.0]  # 10 * 3**n, capped at 50
        assert failed[-1].data["final"] is True
        assert "retry_at" not in failed[-1].data
        assert run.error["type"].endswith("StepFailed")
        assert run.error["cause"]["type"].endswith("ConnectionError")

    @aio
    async def test_default_is_three_retries_one_two_four_seconds(
        self, clocked: tuple[Engine, _Clock]
    ) -> None:
        engine, clock = clocked
        key = uid("default")
        run = await self._drive(engine, clock, await start(cs_call, "default", key))
        assert run.status is RunStatus.FAILED
        assert _CALLS[key] == 4
        failed = _failed(await get_events(run.id))
        assert [e.data["final"] for e in failed] == [False, False, False, True]
        retry_at = [from_micros(e.data["retry_at"]) for e in failed[:-1]]
        assert [(t - T0).total_seconds() for t in retry_at] == [1.0, 1.0 + 2.0, 3.0 + 4.0]

    @aio
    async def test_fatal_error_is_never_retried(self, clocked: tuple[Engine, _Clock]) -> None:
        engine, clock = clocked
        key = uid("fatal")
        run = await self._drive(engine, clock, await start(cs_call, "fatal", key))
        assert run.status is RunStatus.FAILED
        assert _CALLS[key] == 1
        (failed,) = _failed(await get_events(run.id))
        assert failed.data["final"] is True
        assert failed.data["error"]["type"].endswith("FatalError")
        assert failed.data["error"]["metadata"] == {"code": "declined"}
        assert run.error["cause"]["message"] == "card declined"

    @aio
    async def test_retry_after_overrides_the_policy_delay(
        self, clocked: tuple[Engine, _Clock]
    ) -> None:
        engine, clock = clocked
        key = uid("after")
        run = await self._drive(engine, clock, await start(cs_call, "after", key, "45s"))
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == "ok"
        (failed,) = _failed(await get_events(run.id))
        assert from_micros(failed.data["retry_at"]) == T0 + timedelta(seconds=45)

    @aio
    async def test_non_retryable_error_types_fail_at_once(
        self, clocked: tuple[Engine, _Clock]
    ) -> None:
        engine, clock = clocked
        key = uid("lookup")
        run = await self._drive(engine, clock, await start(cs_call, "lookup", key))
        assert run.status is RunStatus.FAILED
        assert _CALLS[key] == 1  # KeyError is a LookupError, which is listed
        (failed,) = _failed(await get_events(run.id))
        assert failed.data["final"] is True
        assert failed.data["error"]["type"] == "builtins.KeyError"

    @aio
    async def test_step_timeout_is_retried_then_fails(self, clocked: tuple[Engine, _Clock]) -> None:
        engine, clock = clocked
        key = uid("slow")
        run = await self._drive(engine, clock, await start(cs_call, "slow", key))
        assert run.status is RunStatus.FAILED
        assert _CALLS[key] == 2
        failed = _failed(await get_events(run.id))
        assert [e.data["error"]["type"] for e in failed] == [
            "pyworkflow.engine.errors.StepTimeout"
        ] * 2
        assert from_micros(failed[0].data["retry_at"]) == T0 + timedelta(seconds=7)
        assert "timed out after 0.05s" in failed[-1].data["error"]["message"]

    @aio
    async def test_sleep_until_an_aware_datetime(self, clocked: tuple[Engine, _Clock]) -> None:
        engine, clock = clocked
        target = T0 + timedelta(hours=3)
        run_id = await start(cs_sleep_until, target.astimezone(UTC).isoformat())
        events = await get_events(run_id)
        (slept,) = [e for e in events if e.type == "sleep.started"]
        assert from_micros(slept.data["wake_at"]) == target
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        clock.now = target - timedelta(seconds=1)
        await engine.execute(run_id)
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        run = await self._drive(engine, clock, run_id)
        assert run.status is RunStatus.COMPLETED
        assert run.result == "woke"
