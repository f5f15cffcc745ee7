"""Run the scenarios of one backend: ours and raw interleaved, repetition by repetition.

Interleaving (ours, raw, ours, raw, ...) exposes both sides to the same background noise on
a shared machine, which is what makes the ratio meaningful even when absolute figures move.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pyworkflow.storage import StorageBackend

from .discover import Target
from .measure import Sample, combine, summarise
from .raw import RawCeiling, raw_for
from .results import BackendRun, Result
from .scenarios import SCENARIOS, Context, Scenario

__all__ = ["Settings", "freeze_heap", "run_target"]

#: Turns per repetition and side (see _run_scenario).
SLICES = 4

#: Progress callback: (what runs now, how many timed samples just completed).
Tick = Callable[[str, int], None]


@dataclass(frozen=True)
class Settings:
    duration: float = 3.0
    repetitions: int = 3
    replay_events: int = 10_000
    deep_events: int = 100_000
    scenarios: tuple[str, ...] = ()


def _raw_how(scenario: str, raw: RawCeiling | None) -> str:
    if raw is None:
        return "no raw ceiling for this backend"
    if scenario == "batch_100":
        return raw.batch_how
    if scenario == "create_run":
        return raw.create_how
    if scenario == "replay_10k":
        return "SELECT the run's rows in seq order + json.loads of each data"
    if scenario == "contention_16":
        return f"{raw.append_how}; on a unique-key conflict re-read MAX(seq)"
    return raw.append_how


def _merge_extra(result: Result, ours: list[Sample], raws: list[Sample]) -> None:
    """Fold per-repetition extras into medians / union of problems."""
    problems = [p for s in ours for p in s.extra.get("problems", [])]
    if any("problems" in s.extra for s in ours):
        result.extra["problems"] = problems
        result.extra["verified_events"] = sum(s.extra.get("verified_events", 0) for s in ours)
    if any("ms_per_replay" in s.extra for s in ours):
        result.extra["ms_ours"] = statistics.median(s.extra["ms_per_replay"] for s in ours)
    if raws and any("ms_per_replay" in s.extra for s in raws):
        result.extra["ms_raw"] = statistics.median(s.extra["ms_per_replay"] for s in raws)
    variants: dict[str, Any] = {}
    for label in {k for s in raws for k, v in s.extra.items() if isinstance(v, dict)}:
        vals = [s.extra[label] for s in raws if label in s.extra]
        variants[label] = {key: statistics.median(v[key] for v in vals) for key in vals[0]}
    if variants:
        result.extra["raw_variants"] = variants


async def _run_scenario(
    sc: Scenario, raw: RawCeiling | None, settings: Settings, tick: Tick, backend: str
) -> Result:
    result = Result(backend, sc.name, sc.unit, raw_how=_raw_how(sc.name, raw))
    ours: list[Sample] = []
    raws: list[Sample] = []
    try:
        tick(f"{backend} {sc.name}: setup", 0)
        await sc.setup()
        freeze_heap()
        full = sc.ctx.duration
        sc.ctx.duration = full / SLICES
        for rep in range(settings.repetitions):
            # Each repetition is SLICES short turns, ours and raw alternating and swapping who
            # goes first: disk latency here drifts 3x within seconds, and a stall left by the
            # previous step (a checkpoint after a prefill, autovacuum) must not land on one
            # side. Each side's turns add up to the full duration.
            mine: list[Sample] = []
            theirs: list[Sample] = []
            for turn in range(SLICES):
                first_ours = (rep * SLICES + turn) % 2 == 0
                for side in ("ours", "raw") if first_ours else ("raw", "ours"):
                    tick(f"{backend} {sc.name} #{rep + 1} {side}", 0)
                    if side == "ours":
                        mine.append(await sc.ours())
                    elif (r := await sc.raw()) is not None:
                        theirs.append(r)
            ours.append(combine(mine))
            if theirs:
                raws.append(combine(theirs))
            tick(f"{backend} {sc.name} #{rep + 1} done", 2)
        sc.ctx.duration = full
    except Exception as exc:  # a scenario that breaks is reported, the others still run
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        gc.unfreeze()
    if ours:
        result.ours = summarise(ours)
    if raws:
        result.raw = summarise(raws)
    _merge_extra(result, ours, raws)
    result.notes.extend(sc.notes)
    if result.extra.get("problems"):
        result.error = result.error or "contention verification failed: " + "; ".join(
            result.extra["problems"]
        )
    return result


def freeze_heap() -> None:
    """Keep the harness's own heap out of the timed turns' garbage collections.

    Everything alive before the turns (the prefilled logs, the drivers' and the AWS client's
    loaded models, the plotting and console libraries: a million objects and more) is moved
    to the collector's permanent generation. Otherwise each full collection that the measured
    code's allocations trigger walks all of it: the same absolute cost added to both sides
    (a 10k-event replay allocates ~30k objects on either side), which pulls every ratio
    towards 1 and made the same read 5x dearer per event than in a bare process. Objects the
    turns allocate are still collected as usual; ``gc.unfreeze`` after the scenario.
    """
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def _opened(url: str) -> AsyncIterator[tuple[StorageBackend, RawCeiling | None]]:
    """A connected backend and its opened raw ceiling; both closed (raw tables dropped) after."""
    backend = StorageBackend.from_url(url)
    raw = raw_for(url)
    await backend.connect()
    try:
        if raw is not None:
            await raw.open()
        try:
            yield backend, raw
        finally:
            if raw is not None:
                await raw.close()
    finally:
        await backend.close()


async def run_target(
    target: Target, settings: Settings, tick: Tick
) -> tuple[BackendRun, list[Result]]:
    """Connect, run every selected scenario, close. With ``target.store_per_scenario`` each
    scenario gets a fresh store (and raw ceiling) of its own."""
    run = BackendRun(target.name, StorageBackend.from_url(target.url).url.render())
    results: list[Result] = []
    replay = min(settings.replay_events, target.replay_events or settings.replay_events)
    names = [n for n in settings.scenarios if n in SCENARIOS]  # engine ones: the caller's
    async with _opened(target.url) as (backend, raw):
        run.facts["features"] = {
            k: getattr(backend.features, k)
            for k in ("durable", "multi_process", "multi_host", "max_batch", "max_event_bytes")
        }
        if raw is not None:
            run.facts.update(await raw.facts())
        for name in names:
            if name in target.skip_scenarios:
                results.append(
                    Result(
                        target.name, name, SCENARIOS[name].unit, skipped=target.skip_scenarios[name]
                    )
                )
                continue
            if target.store_per_scenario is None:
                ctx = Context(backend, raw, settings.duration, replay, settings.deep_events)
                results.append(
                    await _run_scenario(SCENARIOS[name](ctx), raw, settings, tick, target.name)
                )
                continue
            async with _opened(target.store_per_scenario(name)) as (own, own_raw):
                ctx = Context(own, own_raw, settings.duration, replay, settings.deep_events)
                results.append(
                    await _run_scenario(SCENARIOS[name](ctx), own_raw, settings, tick, target.name)
                )
    return run, results
