"""The engine's per-step and per-run hot path on memory://: what a step stores and returns is
exactly what the general path (``RunContext.event``, the serializer, a replay) gives, and an
inline run asks storage only for what it needs (no read-back of a run it has just ended)."""

from __future__ import annotations

import asyncio
import enum
import math
from collections import Counter, OrderedDict, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyworkflow import RunStatus, StorageBackend, continue_as_new, step, workflow
from pyworkflow.engine.context import RunContext
from pyworkflow.engine.runtime import Engine, read_all
from pyworkflow.engine.serializer import SerializationError, _enc, decode, encode
from pyworkflow.models import Event

# the benchmark's own counter: what these tests count is what workflow_100_steps reports
from pyworkflow_benchmarks.engine_bench import count_calls

from . import retry_flows

_BODIES: Counter[str] = Counter()
#: step results the property test hands to ``hp_echo`` (by key: hypothesis draws them), and
#: what the workflow got back from its two calls
_VALUES: dict[str, Any] = {}
_RETURNED: dict[str, list[Any]] = {}


@step(name="hp_echo")
async def echo(key: str) -> Any:
    return _VALUES[key]


@workflow(name="hp_echo_twice")
async def echo_twice(key: str) -> None:
    _RETURNED[key] = [await echo(key), await echo(key)]


@step(name="hp_flaky", retries=1, backoff=0.001)
async def flaky(key: str) -> str:
    _BODIES[key] += 1
    if _BODIES[key] == 1:
        raise ConnectionError("the first attempt fails")
    return "ok"


@workflow(name="hp_retrying")
async def retrying(key: str) -> str:
    return await flaky(key)


@step(name="hp_add")
async def add(a: int, b: int) -> int:
    return a + b


@workflow(name="hp_three_steps")
async def three_steps() -> int:
    return await add(await add(1, 2), await add(3, 4))


@workflow(name="hp_countdown")
async def countdown(n: int) -> int:
    if n > 0:
        await add(n, 0)
        continue_as_new(n - 1)
    return 0


@pytest_asyncio.fixture
async def store() -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url("memory://")
    async with backend:
        yield backend


def _general(type_: str, pos: int, name: str, **data: Any) -> dict[str, Any]:
    """An event's data as the general path builds it (:meth:`RunContext.event`, which uses
    nothing of its instance)."""
    return RunContext.event(RunContext.__new__(RunContext), type_, pos, "step", name, **data).data


def _steps(events: list[Event]) -> list[tuple[str, list[str], dict[str, Any]]]:
    """(type, key order, data) of each step event, in log order."""
    return [(e.type, list(e.data), dict(e.data)) for e in events if e.type.startswith("step.")]


async def test_a_step_stores_what_the_general_path_builds(store: StorageBackend) -> None:
    engine = Engine(store, inline=True)
    run_id = await engine.start(three_steps, (), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED
    assert run.result == 10
    steps = _steps(await read_all(store, run_id))
    expected = []
    for pos, result in ((1, 3), (2, 7), (3, 10)):
        started = _general("step.started", pos, "hp_add", attempt=1)
        done = _general("step.completed", pos, "hp_add", attempt=1, result=result)
        expected += [("step.started", list(started), started)]
        expected += [("step.completed", list(done), done)]
    # the same keys in the same order: the stored JSON text is the same as before
    assert steps == expected


async def test_a_retried_step_counts_its_attempts(store: StorageBackend) -> None:
    engine = Engine(store, inline=True)
    run_id = await engine.start(retrying, ("retry",), {})
    for _ in range(200):  # the retry is due after 1 ms: resume until it has run
        run = await store.get_run(run_id)
        assert run is not None
        if run.status.terminal:
            break
        await engine.execute(run_id)
    assert run.status is RunStatus.COMPLETED
    assert run.result == "ok"
    steps = _steps(await read_all(store, run_id))
    assert [(t, d["attempt"]) for t, _, d in steps] == [
        ("step.started", 1),
        ("step.failed", 1),
        ("step.started", 2),
        ("step.completed", 2),
    ]
    assert steps[2][2] == _general("step.started", 1, "hp_flaky", attempt=2)
    assert steps[3][2] == _general("step.completed", 1, "hp_flaky", attempt=2, result="ok")


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)
_VALUE = _JSON | st.sampled_from(
    [Decimal("1.5"), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), b"\x00bytes", {"$pw": 1}]
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN (a stored NaN comes back as NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list | tuple) and type(a) is type(b):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b) and type(a) is type(b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_VALUE)
def test_a_step_result_is_stored_and_returned_as_a_replay_returns_it(value: Any) -> None:
    key = f"v{len(_VALUES)}"
    _VALUES[key] = value
    asyncio.run(_echo_and_replay(key, value))


async def _echo_and_replay(key: str, value: Any) -> None:
    backend = StorageBackend.from_url("memory://")
    async with backend:
        run_id = await Engine(backend, inline=True).start(echo_twice, (key,), {})
        run = await backend.get_run(run_id)
        assert run is not None
        assert run.status is RunStatus.COMPLETED, run.error
        history = await read_all(backend, run_id)
        stored = encode(value, "the value")
        for pos, (_, _, data) in zip((1, 2), _steps(history)[1::2], strict=True):
            assert data == _general("step.completed", pos, "hp_echo", attempt=1, result=stored)
        # a replay answers both calls from the log: the first execution returned the same
        ctx = RunContext(backend, run, history)
        options = echo.__pyworkflow_step__  # type: ignore[attr-defined]
        replayed = [await ctx.run_step(options, echo, (key,), {}) for _ in range(2)]
        assert _same(_RETURNED[key], replayed)
        assert _same(replayed[0], decode(stored))


async def test_an_inline_run_does_not_read_back_the_run_it_ended(store: StorageBackend) -> None:
    calls = count_calls(store)
    engine = Engine(store, inline=True)
    run_id = await engine.start(three_steps, (), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is RunStatus.COMPLETED
    calls["get_run"] -= 1  # the test's own
    # the safety-net task, the run, running, 3 steps + the end in 3 appends (the start
    # rides with the first step), completed
    assert +calls == Counter(enqueue=1, create_run=1, update_run=2, append=4)


async def test_an_inline_continue_as_new_chain_runs_to_its_end(store: StorageBackend) -> None:
    calls = count_calls(store)
    engine = Engine(store, inline=True)
    first = await engine.start(countdown, (2,), {})
    chain = [await store.get_run(first)]
    while chain[-1] is not None and chain[-1].continued_to is not None:
        chain.append(await store.get_run(chain[-1].continued_to))
    assert [r.status if r else None for r in chain] == [
        RunStatus.CONTINUED_AS_NEW,
        RunStatus.CONTINUED_AS_NEW,
        RunStatus.COMPLETED,
    ]
    assert chain[-1] is not None
    assert chain[-1].result == 0
    # start() read back no run it ended: the reads are the test's own (one per run) and
    # each successor's first execution, which reads the row the step before had created
    assert calls["get_run"] == len(chain) + 2


async def test_an_inline_workflow_retry_runs_its_next_attempt(store: StorageBackend) -> None:
    engine = Engine(store, inline=True)
    first = await engine.start(retry_flows.flaky, ("hp-wf-retry",), {})
    run = await store.get_run(first)
    assert run is not None
    assert run.status is RunStatus.FAILED
    assert run.continued_to
    nxt = await store.get_run(run.continued_to)
    assert nxt is not None
    assert nxt.status is RunStatus.COMPLETED
    assert nxt.result == "second attempt"


@pytest.mark.parametrize("n", [0, 1])
async def test_a_chain_that_ends_at_once_stops(store: StorageBackend, n: int) -> None:
    engine = Engine(store, inline=True)
    run_id = await engine.start(countdown, (n,), {})
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status is (RunStatus.COMPLETED if n == 0 else RunStatus.CONTINUED_AS_NEW)


class _Str(str):
    pass


class _Int(int):
    pass


class _Color(enum.IntEnum):
    RED = 1


_ODD = st.sampled_from(
    [
        _Str("sub"),
        _Int(5),
        _Color.RED,
        True,
        math.inf,
        -math.nan,
        OrderedDict(a=1),
        defaultdict(list, b=[1]),
        {"$pw": "not a tag"},
        {1: "int key"},
        {_Str("k"): 1},
        (1, "tuple"),
        {1, 2},
        Decimal("2.5"),
        datetime(2026, 1, 2, tzinfo=UTC),
        b"raw",
        object(),
    ]
)
_ANY = st.recursive(
    _JSON | _ODD,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        | st.tuples(inner)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(value=_ANY)
def test_encode_gives_what_the_general_encoder_gives(value: Any) -> None:
    """The plain-JSON fast path returns what ``_enc`` returns (the same types, the same key
    order) and, for a value that cannot be stored, raises the same error."""
    try:
        general = _enc(value, "the value")
    except SerializationError as exc:
        message = str(exc)
    else:
        assert _same(encode(value, "the value"), general)
        return
    with pytest.raises(SerializationError) as raised:
        encode(value, "the value")
    assert str(raised.value) == message
