"""``pyworkflow`` in subprocesses on a SQLite store, checked through ``--json``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "cli_flows.py"
ROOT = HERE.parent

pytest.importorskip("pyworkflow_sqlite")


def cli(
    *args: str, storage: str | None = None, check: int | None = 0
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pyworkflow.cli", *args]
    if storage is not None:
        command += ["--storage", storage]
    env = {k: v for k, v in os.environ.items() if k != "PYWORKFLOW_STORAGE_URL"}
    proc = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False
    )
    if check is not None:
        assert proc.returncode == check, (proc.stdout, proc.stderr)
    return proc


def js(*args: str, storage: str | None = None) -> Any:
    """The command's JSON, through the global ``--output json`` (every command has it)."""
    return json.loads(cli("--output", "json", *args, storage=storage).stdout)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def test_run_prints_the_result_and_read_commands_agree(db: str) -> None:
    out = js("run", f"{FLOWS}:add", "20", "--kw", "b=1", storage=db)
    assert out["status"] == "completed"
    assert out["result"] == {"sum": 21}
    run_id = out["run_id"]
    text = cli("run", f"{FLOWS}:add", "1", storage=db)
    assert json.loads(text.stdout) == {"sum": 1}
    runs = js("runs", "list", storage=db)  # --output json: the predecessor's list
    assert {r["run_id"] for r in runs} == {r["id"] for r in runs} >= {run_id}
    assert all(r["workflow_name"] == "cli_add" for r in runs)
    shown = js("runs", "show", run_id, storage=db)
    assert shown["status"] == "completed"
    assert shown["events"] == 4
    events = js("runs", "events", run_id, storage=db)
    assert [e["type"] for e in events] == [
        "workflow.started",
        "step.started",
        "step.completed",
        "workflow.completed",
    ]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert js("runs", "chain", run_id, storage=db)[0]["run_id"] == run_id
    table = cli("runs", "list", storage=db).stdout
    assert run_id in table
    # --json: our page, with the cursor of the next one
    first = json.loads(cli("runs", "list", "--limit", "1", "--json", storage=db).stdout)
    second = json.loads(
        cli(
            "runs", "list", "--limit", "1", "--cursor", first["next_cursor"], "--json", storage=db
        ).stdout
    )
    assert [r["id"] for r in first["runs"] + second["runs"]] == [r["id"] for r in runs]
    assert second["next_cursor"] is None


def test_hook_round_trip_through_a_worker_process(db: str) -> None:
    run_id = js("run", f"{FLOWS}:approval", '"invoice-7"', "--no-wait", storage=db)["run_id"]
    assert js("runs", "show", run_id, storage=db)["status"] == "pending"
    cli("worker", "--until-idle", "--import", str(FLOWS), storage=db)
    assert js("runs", "show", run_id, storage=db)["status"] == "suspended"
    hooks = js("hooks", "list", run_id, storage=db)
    assert [h["name"] for h in hooks] == ["approve"]
    resumed = js("hooks", "resume", hooks[0]["token"], '"yes"', storage=db)
    assert resumed == {
        "resumed": True,
        "run_id": run_id,
        "hook_id": hooks[0]["token"],
        "status": "resumed",
    }
    again = cli(
        "--output", "json", "hooks", "resume", hooks[0]["token"], '"no"', storage=db, check=1
    )
    assert json.loads(again.stdout)["resumed"] is False
    cli("worker", "--until-idle", storage=db)  # imports the workflow from the run's metadata
    shown = js("runs", "show", run_id, storage=db)
    assert shown["status"] == "completed"
    assert shown["result"] == "invoice-7: yes"


def test_cancel_and_chain(db: str) -> None:
    run_id = js("run", f"{FLOWS}:approval", '"x"', "--no-wait", storage=db)["run_id"]
    cancelled = js("runs", "cancel", run_id, storage=db)
    assert (cancelled["run_id"], cancelled["cancelled"]) == (run_id, True)
    # the request is durable; a worker executes the run, whose code sees CancellationError
    cli("worker", "--until-idle", storage=db)
    assert js("runs", "show", run_id, storage=db)["status"] == "cancelled"
    assert js("runs", "cancel", run_id, storage=db)["cancelled"] is False
    first = js("run", f"{FLOWS}:loop", "0", storage=db)
    assert first["status"] == "continued_as_new"
    cli("worker", "--until-idle", storage=db)
    chain = js("runs", "chain", first["run_id"], storage=db)
    assert [r["status"] for r in chain] == ["continued_as_new", "continued_as_new", "completed"]
    assert chain[-1]["result"] == 2


def test_errors_exit_1_with_one_line_and_usage_exits_2(db: str) -> None:
    missing = cli("runs", "show", "nope", storage=db, check=1)
    assert missing.stderr.strip().count("\n") == 0
    assert "NotFound" in missing.stderr
    assert "Traceback" not in missing.stderr
    failed = cli("run", f"{FLOWS}:boom", storage=db, check=1)
    assert "kaboom" in failed.stderr
    assert cli("runs", "frobnicate", check=2).returncode == 2
    assert cli("run", "no-colon-target", storage=db, check=1).returncode == 1
    refused = cli("worker", storage="memory://", check=1)
    assert "UnsafeSetup" in refused.stderr
    unknown = cli("runs", "list", storage="nosuch://x", check=1)
    assert "MissingDependency" in unknown.stderr


def test_storage_migrate_and_copy_to_files(db: str, tmp_path: Path) -> None:
    pytest.importorskip("pyworkflow_files")
    assert js("storage", "migrate", db)["ok"] is True
    done = js("run", f"{FLOWS}:add", "2", storage=db)["run_id"]
    waiting = js("run", f"{FLOWS}:approval", '"y"', "--no-wait", storage=db)["run_id"]
    cli("worker", "--until-idle", "--import", str(FLOWS), storage=db)
    dst = f"file://{tmp_path}/copy"
    report = js("storage", "copy", db, dst)
    assert report["runs"] == 2
    assert report["copied"] == 2
    assert report["hooks"] == 1
    assert report["errors"] == []
    for run_id in (done, waiting):
        assert js("runs", "events", run_id, storage=dst) == js("runs", "events", run_id, storage=db)
    again = js("storage", "copy", db, dst)
    assert again["skipped"] == 2
    assert again["events"] == 0
    # the copied hook still works in the new store
    token = js("hooks", "list", waiting, storage=dst)[0]["token"]
    assert js("hooks", "resume", token, '"ok"', storage=dst)["resumed"] is True
    cli("worker", "--until-idle", storage=dst)
    assert js("runs", "show", waiting, storage=dst)["result"] == "y: ok"


def test_conformance_and_bench_are_delegated() -> None:
    out = cli("conformance", "--help")
    assert "pytest" in out.stdout
    bench = cli("bench", "--help", check=None)
    assert bench.returncode in (0, 1)
    assert "Traceback" not in bench.stderr


def test_a_script_on_sqlite_exits_without_closing_anything(tmp_path: Path) -> None:
    # configure() opens the store from a URL; the engine closes it when asyncio.run ends,
    # otherwise the driver's connection thread would keep the process alive.
    env = {**os.environ, "PYWORKFLOW_STORAGE_URL": f"sqlite:///{tmp_path}/script.db"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "hello.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Hello, SCRIPT!")


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (("worker", "--concurrency", "0"), "--concurrency"),
        (("worker", "--concurrency", "many"), "--concurrency"),
        (("worker", "--lease", "-1"), "--lease"),
        (("worker", "--lease", "nan"), "--lease"),
        (("worker", "--lease", "inf"), "--lease"),
        (("worker", "--poll", "0"), "--poll"),
        (("runs", "list", "--limit", "0"), "--limit"),
        (("runs", "list", "--limit", "5000"), "--limit"),
        (("run", "x.py:f", "--timeout", "nan"), "--timeout"),
    ],
)
def test_bad_numeric_arguments_are_one_line_usage_errors(
    db: str, args: tuple[str, ...], argument: str
) -> None:
    proc = cli(*args, storage=db, check=2)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert re.search(rf"argument (\S+/)?{argument}(/\S+)?:", proc.stderr), proc.stderr


def test_stored_text_is_shown_literally_not_as_rich_markup(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from pyworkflow import NewEvent, RunStatus, StorageBackend, WorkflowRun

    async def store() -> str:
        async with StorageBackend.from_url(db) as backend:
            run, _ = await backend.create_run(
                WorkflowRun(
                    id="run-[/b]",
                    workflow_name="wf [bold]loud[/bold]",
                    status=RunStatus.COMPLETED,
                    result="[/b] closes nothing",
                )
            )
            await backend.append(
                run.id,
                [NewEvent(type="[/i]", data={"note": "[red]not red[/red]"})],
                expected_version=0,
            )
            return run.id

    run_id = asyncio.run(store())
    monkeypatch.setenv("COLUMNS", "250")  # no wrapping inside the table cells
    listed = cli("runs", "list", storage=db).stdout
    assert "wf [bold]loud[/bold]" in listed
    shown = cli("runs", "show", run_id, storage=db).stdout
    assert "[/b] closes nothing" in shown
    assert "run run-[/b]" in shown
    assert "wf [bold]loud[/bold]" in shown
    events = cli("runs", "events", run_id, storage=db).stdout
    assert "[/i]" in events
    assert "[red]not red[/red]" in events
