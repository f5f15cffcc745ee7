"""Failover with default settings: three worker processes share a real store; one of them is
SIGKILLed again and again in the middle of steps, and the runs it held must resume on another
worker within 5 s (p99), with every step recorded exactly once.

A worker renews its lease when half of it is spent (``DEFAULT_LEASE`` = 3 s), so a killed
worker's lease runs out 1.5-3 s after the kill and an idle worker picks the task up at its
next poll (0.5 s). With the former 30 s lease this took 29-30 s.

``PYWORKFLOW_FAILOVER_KILLS`` (default 5 per backend) sets how many kills; the figures
(p50/p99/max) are printed (``pytest -s``) and kept as the test's user properties.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pyworkflow import RunStatus, StorageBackend, start
from pyworkflow.engine import configured

from .failover_flows import ticker
from .procs import Workers, percentile, read_effects, summary, until

KILLS = int(os.environ.get("PYWORKFLOW_FAILOVER_KILLS", "5"))
RUNS = 6
STEP_SECONDS = 0.1
BOUND = 5.0  # seconds: p99 of kill -> another worker's first step of the run


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, pyworkflow_services: Any) -> str:
    pytest.importorskip(f"pyworkflow_{request.param}")
    url: str = pyworkflow_services.fresh_url(request.param, tmp_path)
    return url


@pytest_asyncio.fixture
async def store(store_url: str) -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url(store_url)
    await backend.connect()  # creates the schema before the workers race to
    try:
        yield backend
    finally:
        await backend.close()


async def test_killed_worker_runs_resume_within_5s(
    store: StorageBackend,
    store_url: str,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    effects = tmp_path / "effects.txt"
    labels = [f"r{i}" for i in range(RUNS)]
    with configured(store, inline=False):
        run_ids = {
            label: await start(ticker, str(effects), label, STEP_SECONDS) for label in labels
        }
    workers = Workers(tmp_path)
    times: list[float] = []
    kills = 0
    try:
        for _ in range(3):
            await workers.spawn(store_url)

        def all_running() -> bool:
            lines = read_effects(effects)
            return {x[0] for x in lines} == set(labels) and len({x[2] for x in lines}) >= 2

        await until(all_running, 90, "the workers to start every run", workers.logs)
        while kills < KILLS:
            # a random moment, so kills land anywhere in the victim's renewal cycle
            await asyncio.sleep(random.uniform(0.3, 1.8))
            recent = time.time() - 1.0
            holder: dict[str, int] = {}
            for label, _pos, pid, t in read_effects(effects):
                if t >= recent:
                    holder[label] = pid
            alive = workers.alive()
            held: dict[int, list[str]] = defaultdict(list)
            for label, pid in holder.items():
                if pid in alive:
                    held[pid].append(label)
            if not held:
                continue
            victim = max(held, key=lambda pid: len(held[pid]))
            t_kill = time.time()
            alive[victim].send_signal(signal.SIGKILL)
            await alive[victim].wait()
            kills += 1
            await workers.spawn(store_url)  # back to three workers

            def taken_over(
                victim: int = victim, t_kill: float = t_kill, runs: list[str] = held[victim]
            ) -> dict[str, float] | None:
                first: dict[str, float] = {}
                for label, _pos, pid, t in read_effects(effects):
                    if label in runs and pid != victim and t > t_kill and label not in first:
                        first[label] = t - t_kill
                return first if len(first) == len(runs) else None

            first = await until(taken_over, 60, f"a takeover after kill {kills}", workers.logs)
            times.extend(first.values())

        effects.with_name(effects.name + ".stop").touch()

        async def all_done() -> bool:
            for run_id in run_ids.values():
                run = await store.get_run(run_id)
                if run is None or not run.status.terminal:
                    return False
            return True

        await until(all_done, 90, "every run to end", workers.logs)
    finally:
        await workers.close()

    record_property("failover_seconds", times)
    print(f"\nfailover after SIGKILL ({store.url.scheme}, {kills} kills): {summary(times)}")

    attempts = Counter((label, pos) for label, pos, _pid, _t in read_effects(effects))
    for label, run_id in run_ids.items():
        run = await store.get_run(run_id)
        assert run is not None
        assert run.status is RunStatus.COMPLETED, run.error
        events = await store.read(run_id)
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        recorded = Counter(e.data["pos"] for e in events if e.type == "step.completed")
        assert recorded == Counter(range(1, run.result + 1)), f"{label}: a step recorded twice"
        assert {pos for (lb, pos) in attempts if lb == label} == set(range(1, run.result + 1))
    repeated = sum(n - 1 for n in attempts.values())
    # at-least-once: only a step in flight at a kill runs again (one per run the victim held)
    assert repeated <= kills * RUNS, f"{repeated} repeated steps for {kills} kills"
    assert percentile(times, 99) <= BOUND, f"failover too slow: {summary(times)}"
