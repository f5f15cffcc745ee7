"""The engine API refuses bad numbers with InvalidInput (a ValueError) before anything runs:
Worker(...) options, durations (sleep, timeouts, backoff, schedule intervals), wait(timeout)."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import pytest
from pyworkflow.engine import api
from pyworkflow.engine.durations import MAX_DURATION, to_seconds
from pyworkflow.engine.worker import Worker
from pyworkflow.errors import InvalidInput
from pyworkflow.memory import MemoryBackend


@pytest.mark.parametrize(
    "options",
    [
        {"concurrency": 0},
        {"concurrency": 2.5},
        {"lease": math.nan},
        {"lease": math.inf},
        {"lease": -1},
        {"lease": "30"},
        {"poll": 0},
        {"poll": math.nan},
        {"poll": 1e20},
    ],
)
def test_bad_worker_numbers_are_invalid_input(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        Worker(MemoryBackend("memory://"), **options)


def test_good_worker_numbers_are_kept() -> None:
    worker = Worker(MemoryBackend("memory://"), concurrency=3, lease=0.5, poll=2)
    assert (worker.concurrency, worker.lease, worker.poll) == (3, 0.5, 2)


@pytest.mark.parametrize(
    "duration",
    [
        math.nan,
        math.inf,
        -1,
        1e20,
        pytest.param(10**400, id="10**400"),
        "1e400",
        "99999999999w",
        timedelta.max,
        True,
    ],
)
def test_durations_out_of_range_are_invalid_input(duration: Any) -> None:
    with pytest.raises(InvalidInput):
        to_seconds(duration)


def test_durations_up_to_the_limit_are_kept() -> None:
    assert to_seconds(MAX_DURATION) == MAX_DURATION
    assert to_seconds("1h30m") == 5400.0
    assert to_seconds(0) == 0.0


@pytest.mark.parametrize("timeout", [math.nan, -1.0, math.inf])
def test_wait_refuses_a_bad_timeout_before_anything(timeout: float) -> None:
    with pytest.raises(InvalidInput):
        asyncio.run(api.wait("no-such-run", timeout=timeout))
