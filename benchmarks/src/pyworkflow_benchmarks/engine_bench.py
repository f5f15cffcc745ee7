"""``workflow_100_steps``: a workflow of 100 no-op steps end to end, on each backend.

Reports steps/s, storage round trips per step, and the rate of sequential single-event
appends timed in the same turns on the same instance (the step's yardstick). Round trips are
counted by wrapping the backend instance's public methods (every call of ``append``,
``read``, ``get_run``, ... counts one), so the figure is what the engine asks of storage,
whatever the backend does per call; the target is at most 2 per step. There is no raw
equivalent: the ratio column is empty. The engine runs inline (``start`` executes the run in
this process until it completes).
"""

from __future__ import annotations

import functools
import gc
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from pyworkflow.models import RunStatus
from pyworkflow.storage import StorageBackend

from .discover import Target
from .measure import Sample, summarise
from .results import SAME_TURN_APPENDS, Result
from .runner import Settings, Tick, freeze_heap
from .scenarios import sequential_appends

__all__ = ["NAME", "STEPS", "count_calls", "run"]

NAME = "workflow_100_steps"
STEPS = 100

#: The public methods that reach storage (helpers built on them, like ``chain``, are not
#: wrapped separately: their inner calls are counted).
PUBLIC = (
    "append",
    "read",
    "version",
    "create_run",
    "get_run",
    "update_run",
    "list_runs",
    "enqueue",
    "claim",
    "complete",
    "extend",
    "release",
    "create_hook",
    "get_hook",
    "resolve_hook",
    "create_schedule",
    "get_schedule",
    "update_schedule",
    "delete_schedule",
    "list_schedules",
    "delete_runs",
)


def count_calls(backend: StorageBackend) -> Counter[str]:
    """Wrap ``backend``'s public storage methods (on this instance only) so that each call is
    counted in the returned counter, by method name."""
    calls: Counter[str] = Counter()

    def wrap(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return await method(*args, **kwargs)

        return counted

    for name in PUBLIC:
        setattr(backend, name, wrap(name, getattr(backend, name)))
    return calls


@functools.cache
def _workflow() -> Any:
    """Define (once per process: names are registered globally) the benchmark workflow."""
    from pyworkflow.engine import step, workflow

    @step(name="pyworkflow_bench.noop")
    async def noop(i: int) -> int:
        return i

    @workflow(name="pyworkflow_bench.hundred_steps")
    async def hundred_steps(n: int = STEPS) -> int:
        total = 0
        for i in range(n):
            total += await noop(i)
        return total

    return hundred_steps


async def run(target: Target, settings: Settings, tick: Tick) -> Result:
    """One result for ``target`` (skipped with the reason when the engine is missing)."""
    result = Result(target.name, NAME, "steps", raw_how="no raw equivalent (engine scenario)")
    try:
        from pyworkflow.engine import Engine

        wf = _workflow()
    except ImportError as exc:
        result.skipped = f"the engine is not importable: {exc}"
        return result
    if NAME in target.skip_scenarios:
        result.skipped = target.skip_scenarios[NAME]
        return result
    url = target.store_per_scenario(NAME) if target.store_per_scenario else target.url
    backend = StorageBackend.from_url(url)
    await backend.connect()
    try:
        calls = count_calls(backend)
        engine = Engine(backend, inline=True)
        samples: list[Sample] = []
        references: list[Sample] = []
        per_step: list[float] = []
        freeze_heap()
        for rep in range(settings.repetitions):
            tick(f"{target.name} {NAME} #{rep + 1}", 0)
            # The step's yardstick: seq_append's operation, timed first on even repetitions and
            # last on odd ones, outside the counted calls. seq_append itself ran minutes
            # earlier, before deep_append's 100k events were in the same database.
            if rep % 2 == 0:
                references.append(await sequential_appends(backend, settings.duration, 1))
            calls.clear()
            runs: list[str] = []
            cpu0, t0 = time.process_time(), time.perf_counter()
            while True:
                runs.append(await engine.start(wf, (STEPS,), {}))
                if time.perf_counter() - t0 >= settings.duration:
                    break
            t1, cpu1 = time.perf_counter(), time.process_time()
            samples.append(Sample(len(runs) * STEPS, t1 - t0, cpu1 - cpu0))
            per_step.append(sum(calls.values()) / (len(runs) * STEPS))
            result.extra["calls_per_run"] = {k: v / len(runs) for k, v in calls.items()}
            for run_id in runs[-1:]:  # the run must really have completed, with the sum
                done = await backend.get_run(run_id)
                if done is None or done.status is not RunStatus.COMPLETED:
                    raise RuntimeError(f"run {run_id} ended {done and done.status}")
            if rep % 2 == 1:
                references.append(await sequential_appends(backend, settings.duration, 1))
            tick(f"{target.name} {NAME} #{rep + 1}", 2)
        result.ours = summarise(samples)
        result.extra["round_trips_per_step"] = sorted(per_step)[len(per_step) // 2]
        reference = summarise(references).rate
        result.extra[SAME_TURN_APPENDS] = reference
        result.notes.append(f"sequential appends in the same turns: {reference:,.0f}/s")
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        gc.unfreeze()
        await backend.close()
    return result
