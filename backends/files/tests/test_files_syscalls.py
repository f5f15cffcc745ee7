"""What one operation costs in system calls that matter (counted, not timed): one fdatasync
per append and per create_run with the default durability, and create_run returns the row it
wrote without reading the table file back."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.models import WorkflowRun
from pyworkflow_files import _disk, _table


def counter(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: list[str]) -> None:
    real: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any) -> Any:
        calls.append(name)
        return real(*args)

    monkeypatch.setattr(module, name, counted)


async def test_one_fdatasync_per_append_and_per_create_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with StorageBackend.from_url(f"file://{tmp_path}/s") as backend:
        await backend.append("r", [NewEvent(type="step", data={})], expected_version=0)
        await backend.create_run(WorkflowRun(id="warm", workflow_name="wf", input={}))
        calls: list[str] = []
        for name in ("fsync", "fdatasync"):
            counter(monkeypatch, os, name, calls)
        for v in range(1, 6):
            await backend.append("r", [NewEvent(type="step", data={})], expected_version=v)
        assert calls == ["fdatasync"] * 5
        calls.clear()
        for i in range(5):
            await backend.create_run(WorkflowRun(id=f"run-{i}", workflow_name="wf", input={}))
        assert calls == ["fdatasync"] * 5


async def test_create_run_returns_the_stored_row_without_reading_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with StorageBackend.from_url(f"file://{tmp_path}/s") as backend:
        await backend.create_run(WorkflowRun(id="warm", workflow_name="wf", input={}))
        reads: list[str] = []
        counter(monkeypatch, _table, "read_exact", reads)
        counter(monkeypatch, _disk, "read_exact", reads)
        run = WorkflowRun(
            id="run-1", workflow_name="wf", input={"a": [1, 2.5, None, "é"]}, metadata={"k": 1}
        )
        created, new = await backend.create_run(run)
        assert new
        assert reads == []
        monkeypatch.undo()
        assert created == await backend.get_run("run-1")
