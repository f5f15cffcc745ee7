"""The benchmark must fail loudly: a backend that hands out duplicate sequences under
contention fails the run (exit 1), as does an explicit URL that cannot be run."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from pathlib import Path

import pytest
from pyworkflow import registry
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import loads
from pyworkflow.memory import MemoryBackend
from pyworkflow.models import Event
from pyworkflow_benchmarks.cli import main

TINY = ["--duration", "0.05", "--repetitions", "1", "--quiet"]


class RacyBackend(MemoryBackend):
    """The predecessor's defect #1: read MAX(seq), yield, insert MAX+1, with no guard."""

    async def _connect(self) -> None:
        await super()._connect()
        self.racy: dict[str, list[tuple[int, EncodedEvent]]] = {}

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        log = self.racy.setdefault(run_id, [])
        top = max((s for s, _ in log), default=0)
        await asyncio.sleep(0)  # another appender reads the same MAX here
        log.extend((seq, e) for seq, e in enumerate(events, top + 1))
        return top + len(events)

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        return [
            Event(
                run_id=run_id,
                sequence=s,
                id=e.id,
                type=e.type,
                data=loads(e.data),
                timestamp=e.timestamp,
            )
            for s, e in self.racy.get(run_id, [])
            if s > after
        ]

    async def _version(self, run_id: str) -> int:
        return max((s for s, _ in self.racy.get(run_id, [])), default=0)


@pytest.fixture
def racy_scheme(monkeypatch: pytest.MonkeyPatch) -> str:
    module = types.ModuleType("pwbench_racy_backend")
    module.RacyBackend = RacyBackend  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pwbench_racy_backend", module)
    monkeypatch.setitem(
        registry._registered, "racymem", registry.BackendSpec("pwbench_racy_backend:RacyBackend")
    )
    return "racymem://"


def test_duplicate_sequences_fail_the_benchmark(racy_scheme: str, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    code = main([*TINY, "--url", racy_scheme, "--scenarios", "contention_16", "--json", str(out)])
    assert code == 1
    (result,) = json.loads(out.read_text())["results"]
    assert result["ok"] is False
    assert any("duplicates" in p or "not dense" in p for p in result["extra"]["problems"])


def test_correct_backend_passes_the_same_check(tmp_path: Path) -> None:
    assert main([*TINY, "--url", "memory://", "--scenarios", "contention_16"]) == 0


def test_explicit_url_that_cannot_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    assert main([*TINY, "--url", "nosuchscheme://x", "--json", str(out)]) == 1
    (backend,) = json.loads(out.read_text())["backends"]
    assert "nosuchscheme" in backend["skipped"]


def test_bad_arguments_exit_2() -> None:
    assert main(["--repetitions", "0"]) == 2
