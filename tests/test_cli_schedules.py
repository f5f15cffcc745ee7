"""``pyworkflow schedules ...`` and ``pyworkflow scheduler run`` with the predecessor's flags
and output formats, on a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyworkflow.cli import main

MODULE = """
from pyworkflow import step, workflow

@step(name="cli_sched_add")
async def add(a: int, b: int) -> int:
    return a + b

@workflow(name="cli_sched_flow")
async def cli_sched_flow() -> int:
    return await add(20, 22)
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cli_sched_mod.py").write_text(MODULE)
    return f"sqlite:///{tmp_path}/s.db"


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    capsys.readouterr()
    got = main(list(argv))
    captured = capsys.readouterr()
    assert got == code, captured.out + captured.err
    return captured.out if code == 0 else captured.err


def js(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(capsys, "--output", "json", *argv))


def test_create_show_list_pause_resume_trigger_backfill_delete(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    g = ("--module", "cli_sched_mod", "--storage", db)
    made = js(capsys, *g, "schedules", "create", "cli_sched_flow", "--cron", "0 9 * * 1-5",
              "--timezone", "Europe/Paris", "--schedule-id", "weekday")  # fmt: skip
    assert (made["schedule_id"], made["workflow_name"], made["status"]) == (
        "weekday",
        "cli_sched_flow",
        "active",
    )
    assert made["overlap_policy"] == "skip"
    shown = js(capsys, *g, "schedules", "show", "weekday")
    assert shown["spec"] == {"cron": "0 9 * * 1-5", "interval": None, "timezone": "Europe/Paris"}
    assert shown["next_run_time"] is not None
    js(capsys, *g, "schedules", "create", "cli_sched_flow", "--interval", "1h",
       "--schedule-id", "hourly", "--overlap", "allow_all")  # fmt: skip
    assert [r["schedule_id"] for r in js(capsys, *g, "schedules", "list")] == ["hourly", "weekday"]
    assert run(capsys, *g, "--output", "plain", "schedules", "list").split() == [
        "hourly",
        "weekday",
    ]
    assert "Schedule ID" in run(capsys, *g, "schedules", "list")
    assert js(capsys, *g, "schedules", "pause", "hourly") == {
        "schedule_id": "hourly",
        "status": "paused",
    }
    resumed = js(capsys, *g, "schedules", "resume", "hourly")
    assert resumed["status"] == "active"
    assert resumed["next_run_time"] is not None
    fired = js(capsys, *g, "schedules", "trigger", "hourly")
    assert (fired["triggered"], fired["workflow_name"]) == (True, "cli_sched_flow")
    back = js(capsys, *g, "schedules", "backfill", "hourly", "--start", "2026-01-05T00:00",
              "--end", "2026-01-05T03:00")  # fmt: skip
    assert back["runs_created"] == 3
    updated = js(capsys, *g, "schedules", "update", "weekday", "--overlap", "buffer_one")
    assert updated["overlap_policy"] == "buffer_one"
    # the scheduler (a worker loop) runs the triggered and backfilled runs
    run(capsys, *g, "scheduler", "run", "--poll-interval", "0.1", "--duration", "3")
    status = js(capsys, *g, "runs", "status", fired["run_id"])
    assert (status["status"], status["result"]) == ("completed", 42)
    assert js(capsys, *g, "schedules", "delete", "weekday", "--force") == {
        "schedule_id": "weekday",
        "deleted": True,
    }
    assert "no schedule" in run(capsys, *g, "schedules", "show", "weekday", code=1)


def test_bad_input_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    g = ("--module", "cli_sched_mod", "--storage", db)
    err = run(capsys, *g, "schedules", "create", "cli_sched_flow", code=1)
    assert "--cron or --interval" in err
    err = run(capsys, *g, "schedules", "create", "cli_sched_flow", "--cron", "61 * * * *", code=1)
    assert err.count("\n") == 1
    err = run(capsys, *g, "schedules", "create", "no_such_flow", "--interval", "1h", code=1)
    assert "no_such_flow" in err
    assert js(capsys, *g, "schedules", "list") == []
