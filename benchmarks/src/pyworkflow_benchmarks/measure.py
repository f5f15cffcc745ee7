"""Timing: run an operation for a fixed wall time with N workers, and summarise repetitions.

Wall time comes from :func:`time.perf_counter`; client CPU from :func:`time.process_time`
(all threads of this process, which includes driver threads such as aiosqlite's), so a
regression in our Python code shows even when the disk or server is fast.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Op", "Sample", "Summary", "combine", "run_for", "summarise"]

#: One operation by worker ``i``: returns (events acknowledged, conflicts met).
Op = Callable[[int], Awaitable[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class Sample:
    """One repetition: ``events`` done in ``seconds`` using ``cpu`` seconds of client CPU."""

    events: int
    seconds: float
    cpu: float
    conflicts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.events * 1e6 if self.events else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    """Medians over repetitions (each figure's median is taken on its own)."""

    rate: float
    cpu_us: float
    conflicts: int
    events: int
    samples: list[float]

    def as_json(self) -> dict[str, Any]:
        return {
            "events_per_s": round(self.rate, 2),
            "cpu_us_per_event": round(self.cpu_us, 2),
            "conflicts": self.conflicts,
            "events": self.events,
            "samples_events_per_s": [round(s, 2) for s in self.samples],
        }


async def run_for(duration: float, workers: int, op: Op) -> Sample:
    """Call ``op(i)`` in ``workers`` concurrent loops until ``duration`` seconds have passed.

    Every loop finishes the operation it started, so the elapsed time is measured up to the
    last completion (never cut short) and every counted event was acknowledged. At least one
    operation per worker runs even when ``duration`` is 0.
    """
    counts = [0] * workers
    conflicts = [0] * workers
    deadline = time.perf_counter() + duration

    async def loop(i: int) -> None:
        while True:
            done, lost = await op(i)
            counts[i] += done
            conflicts[i] += lost
            if time.perf_counter() >= deadline:
                return

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(workers)))
    t1, cpu1 = time.perf_counter(), time.process_time()
    return Sample(sum(counts), t1 - t0, cpu1 - cpu0, sum(conflicts))


def combine(parts: list[Sample]) -> Sample:
    """One sample from consecutive turns of the same work: events, time, CPU and conflicts
    add up; extras are merged (lists concatenated, numbers and number dicts averaged)."""
    extra: dict[str, Any] = {}
    for key in dict.fromkeys(k for p in parts for k in p.extra):
        values = [p.extra[key] for p in parts if key in p.extra]
        if isinstance(values[0], list):
            extra[key] = [item for v in values for item in v]
        elif isinstance(values[0], dict):
            extra[key] = {k: statistics.fmean(v[k] for v in values) for k in values[0]}
        elif key == "verified_events":
            extra[key] = sum(values)
        else:
            extra[key] = statistics.fmean(values)
    return Sample(
        sum(p.events for p in parts),
        sum(p.seconds for p in parts),
        sum(p.cpu for p in parts),
        sum(p.conflicts for p in parts),
        extra,
    )


def summarise(samples: list[Sample]) -> Summary:
    """The median rate, CPU per event and conflicts of ``samples`` (at least one)."""
    return Summary(
        rate=statistics.median(s.rate for s in samples),
        cpu_us=statistics.median(s.cpu_us for s in samples),
        conflicts=int(statistics.median(s.conflicts for s in samples)),
        events=sum(s.events for s in samples),
        samples=[s.rate for s in samples],
    )
