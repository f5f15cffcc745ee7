"""Pure pieces: the log verifier, the schema validator, the call counter, the payload."""

from __future__ import annotations

from pyworkflow.codec import dumps
from pyworkflow.memory import MemoryBackend
from pyworkflow.models import NewEvent
from pyworkflow_benchmarks.engine_bench import count_calls
from pyworkflow_benchmarks.payload import PAYLOAD, raw_row
from pyworkflow_benchmarks.results import RESULT, validate
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
    assert row.data == dumps(PAYLOAD)
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
