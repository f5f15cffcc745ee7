"""``pyworkflow tasks list``: tasks with their leases from the shell, on a SQLite store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyworkflow.cli import main
from pyworkflow.models import Task
from pyworkflow.storage import StorageBackend


async def _seed(url: str) -> None:
    now = datetime.now(UTC)
    async with StorageBackend.from_url(url) as backend:
        await backend.enqueue(Task(id="t-held", run_id="r1", kind="timer", due_at=now))
        await backend.claim("worker-9", lease=600, now=now)
        await backend.enqueue(
            Task(id="t-later", run_id="r2", kind="resume", due_at=now + timedelta(hours=1))
        )


def test_tasks_list_shows_holders_filters_and_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/t.db"
    asyncio.run(_seed(url))
    capsys.readouterr()
    assert main(["--output", "json", "tasks", "list", "--storage", url, "--limit", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [(t["task_id"], t["state"], t["worker"]) for t in first["tasks"]] == [
        ("t-held", "leased", "worker-9")
    ]
    assert "token" not in first["tasks"][0]
    argv = ["tasks", "list", "--storage", url, "--json", "--cursor", first["next_cursor"]]
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert [t["task_id"] for t in second["tasks"]] == ["t-later"]
    assert second["next_cursor"] is None
    assert main(["--output", "plain", "tasks", "list", "--storage", url, "--run", "r2"]) == 0
    assert capsys.readouterr().out.split() == ["t-later"]
    assert main(["tasks", "list", "--storage", url, "--state", "scheduled"]) == 0
    table = capsys.readouterr().out
    assert "t-later" in table
    assert "t-held" not in table
    assert main(["tasks", "list", "--storage", url, "--cursor", "garbage"]) != 0
