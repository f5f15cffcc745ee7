"""The targets of docs/benchmarks.md, checked against one run's results.

A goal that could not be evaluated (scenario not run, no raw ceiling) has ``met = None``.
Goals are reported, never turned into a failing exit code: timing on a shared machine is
noise, correctness (contention) is what fails a run.
"""

from __future__ import annotations

from typing import Any

from .results import Result

__all__ = ["evaluate"]

_SQL_SERVERS = {"postgres", "mysql"}


def _get(results: list[Result], backend: str, scenario: str) -> Result | None:
    for r in results:
        if r.backend == backend and r.scenario == scenario and r.ok:
            return r
    return None


def _goal(
    goal: str,
    backend: str,
    value: float | None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> dict[str, Any]:
    met: bool | None = None
    if value is not None:
        met = (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    return {
        "goal": goal,
        "backend": backend,
        "value": None if value is None else round(value, 3),
        "met": met,
    }


def evaluate(results: list[Result]) -> list[dict[str, Any]]:
    """Each target of the doc for each backend that ran (value is the measured ratio)."""
    goals: list[dict[str, Any]] = []
    for backend in dict.fromkeys(r.backend for r in results):
        seq = _get(results, backend, "seq_append")
        conc = _get(results, backend, "concurrent_16")
        batch = _get(results, backend, "batch_100")
        replay = _get(results, backend, "replay_10k")
        deep = _get(results, backend, "deep_append")
        if seq:
            goals.append(_goal("seq_append >= 0.9x raw", backend, seq.ratio, minimum=0.9))
        if conc:
            goals.append(_goal("concurrent_16 >= 0.9x raw", backend, conc.ratio, minimum=0.9))
        if conc and seq and seq.raw and backend in _SQL_SERVERS and conc.ours:
            # Group commit: 16 writers beat one-INSERT-per-event by batching commits.
            goals.append(
                _goal(
                    "concurrent_16 >= 1.5x raw sequential INSERT",
                    backend,
                    conc.ours.rate / seq.raw.rate,
                    minimum=1.5,
                )
            )
        if batch and seq and batch.ours and seq.ours:
            goals.append(
                _goal(
                    "batch_100 >= 20x seq_append",
                    backend,
                    batch.ours.rate / seq.ours.rate,
                    minimum=20,
                )
            )
        if replay and replay.ratio:
            # The target is on time: ours/raw time = raw/ours rate.
            goals.append(
                _goal("replay_10k time <= 1.2x raw", backend, 1 / replay.ratio, maximum=1.2)
            )
        if backend == "files" and seq:
            goals.append(
                _goal("files append >= 0.8x raw write+fsync", backend, seq.ratio, minimum=0.8)
            )
        if backend == "files" and deep and seq and deep.ours and seq.ours:
            goals.append(
                _goal(
                    "files append rate deep / empty >= 0.9",
                    backend,
                    deep.ours.rate / seq.ours.rate,
                    minimum=0.9,
                )
            )
        flow = _get(results, backend, "workflow_100_steps")
        if flow and "round_trips_per_step" in flow.extra:
            goals.append(
                _goal(
                    "workflow storage calls per step <= 2",
                    backend,
                    float(flow.extra["round_trips_per_step"]),
                    maximum=2,
                )
            )
        if backend == "dynamodb" and seq:
            goals.append(
                _goal(
                    "seq_append >= 0.9x same request raw", backend, _guarded_ratio(seq), minimum=0.9
                )
            )
    return goals


def _guarded_ratio(seq: Result) -> float | None:
    """ours / the backend's exact guarded request issued raw (recorded as a variant)."""
    variant = seq.extra.get("raw_variants", {}).get("same request raw")
    if not variant or seq.ours is None or not variant.get("events_per_s"):
        return None
    return seq.ours.rate / float(variant["events_per_s"])
