"""Helpers for the tests that run workers as processes (failover, partitions): not a test
module."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["FLOWS", "Workers", "percentile", "read_effects", "summary", "until"]

FLOWS = Path(__file__).with_name("failover_flows.py")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (for a handful of samples p99 is the maximum)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary(times: list[float]) -> str:
    return (
        f"n={len(times)} p50={statistics.median(times):.2f}s "
        f"p99={percentile(times, 99):.2f}s max={max(times):.2f}s min={min(times):.2f}s"
    )


def read_effects(path: Path, what: str = "b") -> list[tuple[str, int, int, float]]:
    """``(label, pos, pid, time)`` per step attempt that began (``what="b"``) or ended
    (``"e"``), in file order."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        label, pos, pid, t, kind = line.split()
        if kind == what:
            out.append((label, int(pos), int(pid), float(t)))
    return out


async def until(check: Callable[[], Any], within: float, what: str, logs: Callable[[], str]) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy, and return that;
    fail after ``within`` seconds, with ``logs()`` in the message."""
    deadline = time.monotonic() + within
    while not (value := await check() if asyncio.iscoroutinefunction(check) else check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}\n{logs()}")
        await asyncio.sleep(0.02)
    return value


class Workers:
    """Worker processes (``pyworkflow worker`` with default lease and poll)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[asyncio.subprocess.Process] = []

    async def spawn(
        self, url: str, *, wrap: Callable[[list[str]], list[str]] = list, log_level: str = "info"
    ) -> asyncio.subprocess.Process:
        """Start a worker on ``url``; ``wrap`` turns its argv into the command to run (e.g.
        inside a network namespace). Its stderr goes to ``worker-<n>.log``."""
        log = (self.tmp / f"worker-{len(self.procs)}.log").open("wb")
        argv = [sys.executable, "-m", "pyworkflow.cli", "worker", "--storage", url]
        argv += ["--import", str(FLOWS), "--log-level", log_level]
        proc = await asyncio.create_subprocess_exec(
            *wrap(argv), stdout=asyncio.subprocess.DEVNULL, stderr=log
        )
        log.close()  # the child has its own descriptor
        self.procs.append(proc)
        return proc

    def alive(self) -> dict[int, asyncio.subprocess.Process]:
        return {p.pid: p for p in self.procs if p.returncode is None}

    def logs(self) -> str:
        tails = []
        for path in sorted(self.tmp.glob("worker-*.log")):
            tails.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(tails)

    async def close(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.kill()
        for proc in self.procs:
            await proc.wait()
