"""RetryPolicy math, @step's keyword forms, the step errors and sleep(datetime) validation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pyworkflow import FatalError, InvalidInput, RetryableError, RetryPolicy, StepTimeout, step
from pyworkflow.engine import settings
from pyworkflow.engine.durations import NaiveDatetime
from pyworkflow.engine.retry import StepOptions, call_with_timeout

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def options(fn: object) -> StepOptions:
    found = getattr(fn, "__pyworkflow_step__", None)
    assert isinstance(found, StepOptions)
    return found


def test_policy_delays_grow_by_the_coefficient_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_interval="2s", backoff_coefficient=3, maximum_interval=50)
    assert [policy.delay(n) for n in range(1, 6)] == [2.0, 6.0, 18.0, 50.0, 50.0]
    # a huge attempt number neither overflows nor exceeds the cap
    assert policy.delay(10**6) == 50.0


def test_policy_attempts_default_to_the_settings_read_at_call_time() -> None:
    policy = RetryPolicy()
    assert policy.attempts() == 4  # 3 retries, the predecessor's default
    settings.update(default_retries=1)
    try:
        assert policy.attempts() == 2
    finally:
        settings.reset()
    assert RetryPolicy(maximum_attempts=0).attempts() == 0  # unlimited


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backoff_coefficient": 0.5},
        {"backoff_coefficient": True},
        {"maximum_attempts": -1},
        {"maximum_attempts": 1.5},
        {"initial_interval": "soon"},
        {"non_retryable_error_types": [3]},
    ],
)
def test_policy_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_non_retryable_types_match_names_qualified_names_and_subclasses() -> None:
    policy = RetryPolicy(non_retryable_error_types=["LookupError", ValueError])
    assert not policy.is_retryable(KeyError("k"))  # a LookupError
    assert not policy.is_retryable(ValueError("v"))
    assert policy.is_retryable(ConnectionError("c"))
    assert not policy.is_retryable(FatalError("stop"))
    # a RetryableError asks for a retry even when its base type is listed
    assert RetryPolicy(non_retryable_error_types=["WorkflowError"]).is_retryable(
        RetryableError("again")
    )


def test_step_keywords_become_one_policy() -> None:
    @step(retries=2, backoff="5s", max_backoff=12)
    async def ours() -> None: ...

    o = options(ours)
    assert o.policy.attempts() == 3
    assert [o.delay(n) for n in (1, 2, 3)] == [5.0, 10.0, 12.0]

    @step(max_retries=1, retry_delay=[3, 9])
    async def listed() -> None: ...

    o = options(listed)
    assert o.retries == 1
    assert [o.delay(n) for n in (1, 2, 3)] == [3.0, 9.0, 9.0]

    @step(retry_delay="exponential")
    async def exponential() -> None: ...

    assert [options(exponential).delay(n) for n in (1, 2, 3, 10)] == [1.0, 2.0, 4.0, 300.0]

    @step(retry_delay=7)
    async def fixed() -> None: ...

    assert [options(fixed).delay(n) for n in (1, 5)] == [7.0, 7.0]

    @step(retry_delay="30s")  # the predecessor's code falls back to 1 s for other values
    async def other() -> None: ...

    assert [options(other).delay(n) for n in (1, 4)] == [1.0, 1.0]
    assert getattr(other, "__step_retry_delay__") == "30s"  # noqa: B009


def test_step_default_retries_follow_the_settings() -> None:
    @step
    async def plain() -> None: ...

    assert options(plain).retries == 3
    settings.update(default_retries=0)
    try:
        assert options(plain).retries == 0
    finally:
        settings.reset()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"retries": 1, "max_retries": 1},
        {"retry": RetryPolicy(), "retries": 1},
        {"retry": RetryPolicy(), "backoff": 2},
        {"retry_delay": "exponential", "backoff": 2},
        {"retries": -1},
        {"timeout": 0},
        {"timeout": "later"},
    ],
)
def test_conflicting_or_bad_step_keywords_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        step(**kwargs)  # type: ignore[call-overload]


def test_retryable_error_retry_after_forms() -> None:
    assert RetryableError("x").retry_delay_from(NOW) is None
    assert RetryableError("x", retry_after=30).retry_delay_from(NOW) == 30.0
    assert RetryableError("x", retry_after="1m30s").retry_delay_from(NOW) == 90.0
    assert RetryableError("x", retry_after=timedelta(minutes=2)).retry_delay_from(NOW) == 120.0
    at = NOW + timedelta(seconds=40)
    assert RetryableError("x", retry_after=at).retry_delay_from(NOW) == 40.0
    naive_utc = at.replace(tzinfo=None)  # the predecessor read naive datetimes as UTC
    assert RetryableError("x", retry_after=naive_utc).retry_delay_from(NOW) == 40.0
    assert RetryableError("x", retry_after=NOW - timedelta(hours=1)).retry_delay_from(NOW) == 0
    with pytest.raises(InvalidInput):
        RetryableError("x", retry_after="whenever")
    err = RetryableError("x", retry_after=5, shard=3)
    assert err.metadata == {"shard": 3}
    assert err.get_retry_delay_seconds() == 5.0


def test_retry_after_beats_the_policy_but_not_the_attempt_limit() -> None:
    o = StepOptions("s", RetryPolicy(initial_interval=1, maximum_attempts=2))
    assert o.retry_delay(1, RetryableError("x", retry_after=60), NOW) == 60.0
    assert o.retry_delay(1, OSError("x"), NOW) == 1.0
    assert o.retry_delay(2, RetryableError("x", retry_after=60), NOW) is None
    assert o.retry_delay(1, FatalError("no"), NOW) is None


def test_timeout_cancels_the_attempt_with_step_timeout() -> None:
    async def slow() -> None:
        await asyncio.sleep(5)

    async def raises_its_own() -> None:
        raise TimeoutError("mine")

    o = StepOptions("slow", timeout=0.02)
    with pytest.raises(StepTimeout) as caught:
        asyncio.run(call_with_timeout(o, slow, (), {}))
    assert isinstance(caught.value, TimeoutError)
    with pytest.raises(TimeoutError, match="mine") as own:
        asyncio.run(call_with_timeout(o, raises_its_own, (), {}))
    assert not isinstance(own.value, StepTimeout)


def test_sleep_outside_a_workflow_checks_datetimes() -> None:
    from pyworkflow import sleep

    with pytest.raises(NaiveDatetime) as naive:
        asyncio.run(sleep(datetime(2030, 1, 1, 9, 0)))
    assert isinstance(naive.value, TypeError)
    with pytest.raises(InvalidInput) as past:
        asyncio.run(sleep(datetime(2000, 1, 1, tzinfo=UTC)))
    assert isinstance(past.value, ValueError)
    asyncio.run(sleep(datetime.now(UTC) + timedelta(milliseconds=10)))
