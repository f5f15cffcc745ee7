"""Pure pieces: the log verifier, the schema validator, the call counter, the payload."""

from __future__ import annotations

import json

from pyworkflow.codec import dumps
from pyworkflow.memory import MemoryBackend
from pyworkflow.models import NewEvent
from pyworkflow_benchmarks.engine_bench import count_calls
from pyworkflow_benchmarks.goals import evaluate
from pyworkflow_benchmarks.measure import Summary
from pyworkflow_benchmarks.payload import PAYLOAD, raw_row
from pyworkflow_benchmarks.results import RESULT, Result, validate
from pyworkflow_benchmarks.scenarios import verify_log


def test_verify_log_accepts_a_dense_log() -> None:
    assert verify_log([1, 2, 3], ["a", "b", "c"], ["c", "a", "b"]) == []


def test_verify_log_names_each_defect() -> None:
    assert "duplicates" in verify_log([1, 1, 2], ["a", "b", "c"], ["a", "b", "c"])[0]
    assert any("lost" in p for p in verify_log([1], ["a"], ["a", "b"]))
    assert any("never acknowledged" in p for p in verify_log([1, 2], ["a", "b"], ["a"]))
    assert any("twice" in p for p in verify_log([1, 2], ["a", "a"], ["a", "a"]))
    assert verify_log([2, 3], ["a", "b"], ["a", "b"])  # not 1-based


def test_validate_reports_paths_and_types() -> None:
    good = {
        "backend": "memory",
        "scenario": "seq_append",
        "unit": "events",
        "ok": True,
        "error": None,
        "skipped": None,
        "ours": None,
        "raw": None,
        "ratio": 1.0,
        "raw_how": "",
        "notes": [],
        "extra": {},
    }
    assert validate(good, RESULT) == []
    assert validate({**good, "ratio": "1"}, RESULT) == [
        "$.ratio: expected int or float or NoneType, got str"
    ]
    assert validate({**good, "ok": 1}, RESULT) == ["$.ok: expected bool, got int"]
    missing = dict(good)
    del missing["unit"]
    assert validate(missing, RESULT) == ["$.unit: missing"]
    bad_summary = {**good, "ours": {"events_per_s": True}}
    assert validate(bad_summary, RESULT)  # bool is not a number, and keys are missing


def test_payload_is_200_bytes_and_rows_encode_it_once() -> None:
    assert len(dumps(PAYLOAD)) == 200
    row = raw_row()
    assert row.data == dumps(PAYLOAD)  # the same bytes on both sides
    assert row.data == json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":"))
    assert row.micros > 0


async def test_count_calls_counts_each_public_call() -> None:
    backend = MemoryBackend("memory://")
    await backend.connect()
    calls = count_calls(backend)
    await backend.append("r", [NewEvent(type="t")], expected_version=0)
    await backend.read("r")
    await backend.read("r")
    assert calls == {"append": 1, "read": 2}
    await backend.close()


def _summary(rate: float) -> Summary:
    return Summary(rate=rate, cpu_us=1.0, conflicts=0, events=1, samples=[rate])


def test_goals_compare_the_right_figures() -> None:
    results = [
        Result("postgres", "seq_append", "events", _summary(900), _summary(1000)),
        Result("postgres", "concurrent_16", "events", _summary(1600), _summary(2000)),
        Result("postgres", "batch_100", "events", _summary(18_000), _summary(40_000)),
        Result("postgres", "replay_10k", "events", _summary(80_000), _summary(50_000)),
        Result("postgres", "create_run", "runs", _summary(850), _summary(1000)),
        Result("postgres", "deep_append", "events", _summary(950), _summary(1000)),
        Result("postgres", "workflow_100_steps", "steps", _summary(720)),
    ]
    got = {g["goal"]: (g["value"], g["met"]) for g in evaluate(results)}
    assert got["seq_append >= 0.9x raw"] == (0.9, True)
    assert got["concurrent_16 >= 0.9x raw"] == (0.8, False)
    assert got["create_run >= 0.9x raw"] == (0.85, False)
    assert got["deep_append >= 0.9x raw"] == (0.95, True)
    # group commit: ours with 16 writers against raw one-INSERT-per-event sequential
    assert got["concurrent_16 >= 1.5x raw sequential INSERT"] == (1.6, True)
    assert got["batch_100 >= 20x seq_append"] == (20.0, True)
    assert got["replay_10k >= 1.5x raw"] == (1.6, True)
    # the engine against the same backend's own append rate
    assert got["workflow_100_steps >= 0.8x seq_append"] == (0.8, True)


def test_files_floor_is_0_8_and_memory_is_judged_on_cpu() -> None:
    def cpu(us: float) -> Summary:
        return Summary(rate=1.0, cpu_us=us, conflicts=0, events=1, samples=[1.0])

    seq = Result("files", "seq_append", "events", _summary(790), _summary(1000))
    seq.extra["raw_variants"] = {"write+sync in a thread": {"events_per_s": 1000 / 1.5}}
    results = [
        seq,
        Result("files", "create_run", "runs", _summary(800), _summary(1000)),
        Result("memory", "seq_append", "events", cpu(24), cpu(16)),
        Result("memory", "create_run", "runs", _summary(10), _summary(100)),
    ]
    got = {(g["backend"], g["goal"]): (g["value"], g["met"]) for g in evaluate(results)}
    assert got[("files", "seq_append >= 0.8x raw write+fdatasync")] == (0.79, False)
    assert got[("files", "create_run >= 0.8x raw write+fdatasync")] == (0.8, True)
    # against a raw client that keeps its loop free too (the same hop per append)
    assert got[("files", "seq_append >= 0.8x write+sync in a thread")] == (1.185, True)
    assert got[("memory", "seq_append CPU per event <= 1.5x raw")] == (1.5, True)
    # memory's raw side is a bare list operation: no rate floor there
    assert not [g for b, g in got if b == "memory" and "x raw" in g and "CPU" not in g]


def test_goal_without_a_raw_figure_is_unknown() -> None:
    (goal,) = evaluate([Result("cassandra", "seq_append", "events", _summary(10))])
    assert goal["met"] is None


def test_timed_turns_run_with_the_harness_heap_frozen() -> None:
    # Collections triggered during the turns must not walk what existed before them (the
    # prefilled logs, loaded libraries); the freeze is lifted when the scenario ends, even
    # when it fails.
    import asyncio
    import gc

    from pyworkflow_benchmarks.measure import Sample
    from pyworkflow_benchmarks.runner import Settings, _run_scenario
    from pyworkflow_benchmarks.scenarios import Context, Scenario

    seen: list[int] = []

    class Probe(Scenario):
        name = "probe"

        async def ours(self) -> Sample:
            seen.append(gc.get_freeze_count())
            return Sample(1, 1.0, 1.0, 0)

    class Broken(Probe):
        async def ours(self) -> Sample:
            raise RuntimeError("boom")

    ctx = Context(MemoryBackend("memory://"), None, 0.0, 1, 1)
    settings = Settings(duration=0.0, repetitions=1)
    result = asyncio.run(_run_scenario(Probe(ctx), None, settings, lambda *_: None, "memory"))
    assert result.error is None
    assert seen
    assert min(seen) > 0
    assert gc.get_freeze_count() == 0
    broken = asyncio.run(_run_scenario(Broken(ctx), None, settings, lambda *_: None, "memory"))
    assert broken.error == "RuntimeError: boom"
    assert gc.get_freeze_count() == 0


def test_a_step_is_measured_against_the_appends_of_its_own_turns() -> None:
    from pyworkflow_benchmarks.results import SAME_TURN_APPENDS

    seq = Result("sqlite", "seq_append", "events", _summary(2000), _summary(2000))
    flow = Result("sqlite", "workflow_100_steps", "steps", _summary(900))
    goal = "workflow_100_steps >= 0.8x seq_append"
    # Without the same-turn figure: the seq_append scenario's rate (0.45).
    (got,) = [g for g in evaluate([seq, flow]) if g["goal"] == goal]
    assert (got["value"], got["met"]) == (0.45, False)
    # With it: the appends timed beside the workflow (0.9).
    flow.extra[SAME_TURN_APPENDS] = 1000.0
    (got,) = [g for g in evaluate([seq, flow]) if g["goal"] == goal]
    assert (got["value"], got["met"]) == (0.9, True)
