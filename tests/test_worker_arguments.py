"""Worker(...) refuses bad numbers with InvalidInput (a ValueError), before anything runs."""

from __future__ import annotations

import math
from typing import Any

import pytest
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
