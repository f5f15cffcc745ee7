"""The predecessor's CLI commands, global options and output formats, and the CLI items of a
newcomer's first hour; run in-process through ``pyworkflow.cli.main`` on a SQLite store (one
subprocess only, where two processes must talk)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pyworkflow.cli import build_parser, main

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "cli_flows.py"

pytest.importorskip("pyworkflow_sqlite")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "PYWORKFLOW_STORAGE_URL",
        "PYWORKFLOW_STORAGE_BACKEND",
        "PYWORKFLOW_STORAGE_PATH",
        "PYWORKFLOW_MODULE",
        "PYWORKFLOW_RUNTIME",
        "PYWORKFLOW_DISCOVER",
        "PYWORKFLOW_OUTPUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert got == code, (out, err)
    return out, err


def js(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(capsys, "--output", "json", *argv)[0])


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/compat.db"


def test_version_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "--version")
    assert out.startswith("pyworkflow ")


def test_read_commands_never_create_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for argv in (
        ("runs", "list"),
        ("runs", "status", "x"),
        ("runs", "logs", "x"),
        ("hooks", "list"),
        ("--storage", "sqlite", "runs", "list"),
    ):
        _, err = run(capsys, *argv, code=1)
        assert "there is no store at" in err
    assert list(tmp_path.iterdir()) == []


def test_runs_commands_in_every_format(capsys: pytest.CaptureFixture[str], db: str) -> None:
    started = js(capsys, "--storage", db, "run", f"{FLOWS}:parent", "4")
    assert started["status"] == "completed"
    assert started["result"] == 5
    run_id = started["run_id"]
    runs = js(capsys, "--storage", db, "runs", "list")
    assert {r["workflow_name"] for r in runs} == {"cli_parent", "cli_add"}
    row = next(r for r in runs if r["run_id"] == run_id)
    assert set(row) >= {
        "run_id",
        "workflow_name",
        "status",
        "created_at",
        "started_at",
        "completed_at",
        "duration",
    }
    assert row["duration"].endswith("s")
    assert "ongoing" not in row["duration"]
    plain, _ = run(capsys, "--storage", db, "--output", "plain", "runs", "list")
    assert set(plain.split()) == {r["run_id"] for r in runs}
    table, _ = run(capsys, "--storage", db, "runs", "list")
    for header in ("Run ID", "Workflow", "Status", "Started", "Duration"):
        assert header in table
    assert js(capsys, "--storage", db, "runs", "list", "-q", "ADD")[0]["workflow_name"] == (
        "cli_add"
    )
    assert js(capsys, "--storage", db, "runs", "list", "--start-time", "2999-01-01") == []
    assert len(js(capsys, "--storage", db, "runs", "list", "--end-time", "2999-01-01")) == 2

    status = js(capsys, "--storage", db, "runs", "status", run_id)
    assert status["input_args"] == [4]
    assert status["input_kwargs"] == {}
    assert status["result"] == 5
    assert status["error"] is None
    text, _ = run(capsys, "--storage", db, "runs", "status", run_id)
    assert "Input Arguments" in text
    assert "Result" in text

    logs = js(capsys, "--storage", db, "runs", "logs", run_id, "--filter", "CHILD")
    assert logs
    assert all("child" in e["type"] for e in logs)
    assert set(logs[0]) >= {"event_id", "sequence", "type", "timestamp", "data"}
    plain, _ = run(capsys, "--storage", db, "--output", "plain", "runs", "logs", run_id)
    assert plain.splitlines()[0] == "1: workflow.started"

    children = js(capsys, "--storage", db, "runs", "children", run_id)
    assert [(c["workflow_name"], c["nesting_depth"]) for c in children] == [("cli_add", 1)]
    table, _ = run(capsys, "--storage", db, "runs", "children", run_id)
    assert "Depth" in table
    assert js(capsys, "--storage", db, "runs", "children", run_id, "--status", "failed") == []

    chain = js(capsys, "--storage", db, "runs", "chain", run_id)
    assert [c["run_id"] for c in chain] == [run_id]
    assert chain[0]["continued_to_run_id"] is None
    table, _ = run(capsys, "--storage", db, "runs", "chain", run_id)
    assert "Continue-As-New Chain" in table
    assert "<--" in table


def test_workflows_list_info_run(capsys: pytest.CaptureFixture[str], db: str) -> None:
    flows = str(FLOWS.with_suffix(""))
    sys.path.insert(0, str(HERE))
    try:
        listed = js(capsys, "--module", "cli_flows", "workflows", "list")
        names = [w["name"] for w in listed]
        assert {"cli_add", "cli_nap"} <= set(names)
        assert listed[0] == {"name": listed[0]["name"], "max_duration": "None", "tags": []}
        info = js(capsys, "--module", "cli_flows", "workflows", "info", "cli_add")
        assert info["function"] == {"name": "add", "module": "cli_flows", "doc": None}
        table, _ = run(capsys, "--module", "cli_flows", "workflows", "list")
        assert "Max Duration" in table
        assert "cli_add" in table
        done = js(
            capsys,
            "--module",
            "cli_flows",
            "--storage",
            db,
            "workflows",
            "run",
            "cli_add",
            "--arg",
            "a=2",
            "--args-json",
            '{"b": 5}',
        )
        assert done["result"] == {"sum": 7}
        queued = js(
            capsys,
            "--module",
            "cli_flows",
            "--storage",
            db,
            "workflows",
            "run",
            "cli_add",
            "--arg",
            "a=1",
            "--no-wait",
        )
        assert set(queued) == {"run_id", "workflow_name", "runtime"}
        _, err = run(capsys, "--module", "cli_flows", "workflows", "info", "nope", code=1)
        assert "WorkflowNotFound" in err
        _, err = run(capsys, "--module", "no_such_module_x", "workflows", "list", code=1)
        assert "no_such_module_x" in err
    finally:
        sys.path.remove(str(HERE))
        assert flows


def test_hooks_commands(capsys: pytest.CaptureFixture[str], db: str) -> None:
    run_id = js(capsys, "--storage", db, "run", f"{FLOWS}:approval", '"inv"', "--no-wait")["run_id"]
    run(capsys, "--storage", db, "worker", "--until-idle", "--import", str(FLOWS))
    hooks = js(capsys, "--storage", db, "hooks", "list")
    assert [(h["name"], h["status"], h["run_id"]) for h in hooks] == [
        ("approve", "pending", run_id)
    ]
    token = hooks[0]["token"]
    plain, _ = run(capsys, "--storage", db, "--output", "plain", "hooks", "list")
    assert plain.split() == [token]
    info = js(capsys, "--storage", db, "hooks", "info", token)
    assert info["status"] == "pending"
    assert info["payload"] is None
    assert js(capsys, "--storage", db, "hooks", "run", run_id)["hook_count"] == 1
    out = js(capsys, "--storage", db, "hooks", "resume", token, "-p", '{"ok": true}')
    assert out["status"] == "resumed"
    assert js(capsys, "--storage", db, "hooks", "list", "--status", "pending") == []
    assert js(capsys, "--storage", db, "hooks", "list", "--status", "received")[0]["token"] == token
    assert js(capsys, "--storage", db, "hooks", "list", run_id) == []  # our form: pending only


def test_worker_until_idle_include_timers_waits_for_a_sleep(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    run_id = js(capsys, "--storage", db, "run", f"{FLOWS}:nap", "1", "--no-wait")["run_id"]
    worker = ("--storage", db, "worker", "--until-idle", "--poll", "0.1", "--import", str(FLOWS))
    run(capsys, *worker)
    assert js(capsys, "--storage", db, "runs", "status", run_id)["status"] == "suspended"
    run(capsys, *worker, "--include-timers")
    assert js(capsys, "--storage", db, "runs", "status", run_id)["result"] == "rested"


def test_worker_status_and_queues_say_what_they_report(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    js(capsys, "--storage", db, "run", f"{FLOWS}:add", "1")
    out, err = run(capsys, "--storage", db, "--output", "json", "worker", "status")
    assert json.loads(out) == []
    assert "do not register" in err
    assert run(capsys, "--storage", db, "--output", "json", "worker", "list") == (out, err)
    queues = js(capsys, "worker", "queues")
    assert {q["name"] for q in queues} == {"resume", "schedule"}


def test_storage_type_names_and_refusals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "data" / "s.db"
    out = js(capsys, "--storage", "sqlite", "--storage-path", str(path), "run", f"{FLOWS}:add", "3")
    assert out["result"] == {"sum": 3}
    assert path.is_file()
    _, err = run(capsys, "--storage", "postgres", "runs", "list", code=1)
    assert "needs the server's URL" in err
    _, err = run(capsys, "--storage", "me:pw-77@db", "runs", "list", code=1)
    assert "--storage takes a URL" in err
    assert "pw-77" not in err  # a mistyped URL is not echoed: it may hold a password
    _, err = run(capsys, "--runtime", "celery", "run", f"{FLOWS}:add", "3", code=1)
    assert "no Celery" in err
    _, err = run(capsys, "--runtime", "celery", "worker", "--until-idle", code=1)
    assert "no Celery" in err
    # a read command ignores the runtime: a predecessor's PYWORKFLOW_RUNTIME does not break it
    where = ("--storage", "sqlite", "--storage-path", str(path))
    assert len(js(capsys, "--runtime", "celery", *where, "runs", "list")) == 1
    # storage copy takes two URLs: a --storage is meaningless there
    assert main(["storage", "copy", "a://", "b://", "--storage", "c://"]) == 2
    _, err = run(capsys, "--storage", "sqlite", "storage", "copy", "a://", "b://", code=1)
    assert "means nothing here" in err


def test_json_flag_only_where_there_is_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ("run", "x.py:f", "--json"),
        ("runs", "cancel", "x", "--json"),
        ("hooks", "resume", "t", "--json"),
        ("storage", "migrate", "--json"),
        ("storage", "copy", "a://", "b://", "--json"),
    ):
        assert main(list(argv)) == 2, argv
    capsys.readouterr()


def _walk(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, str]]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += _walk(sub, f"{path} {name}")
        elif action.help is None or not action.help.strip():
            missing.append((path, "/".join(action.option_strings) or action.dest))
    return missing


def test_every_option_and_argument_has_help() -> None:
    assert _walk(build_parser(), "pyworkflow") == []


def test_run_prints_the_token_and_resume_command_of_a_waiting_hook(db: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWORKFLOW_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyworkflow.cli",
            "--storage",
            db,
            "run",
            f"{FLOWS}:approval",
            '"po-1"',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("hooks resume" in x for x in lines):
            lines.append(proc.stderr.readline())
        command = next(x for x in lines if "resume it with:" in x).split("with: ", 1)[1]
        words = command.split()
        assert words[:4] == ["pyworkflow", "--storage", db, "hooks"]
        token = words[5]
        assert any(f"token: {token}" in x for x in lines)
        assert main([*words[1:6], '"approved"']) == 0
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert out.strip() == "po-1: approved"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_storage_env_precedence(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pyworkflow.cli._globals import storage_url

    monkeypatch.setenv("PYWORKFLOW_STORAGE_BACKEND", "sqlite")
    monkeypatch.setenv("PYWORKFLOW_STORAGE_PATH", str(tmp_path / "p.db"))
    args = build_parser().parse_args(["runs", "list"])  # the path's env is read by the parser
    assert storage_url(args) == f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.setenv("PYWORKFLOW_STORAGE_URL", "memory://")
    assert storage_url(args) == "memory://"
    args = build_parser().parse_args(["--storage", "file", "runs", "list"])
    assert storage_url(args).startswith("file://")
    args = build_parser().parse_args(["--storage", "file", "runs", "list", "--storage", "x://"])
    assert storage_url(args) == "x://"
    capsys.readouterr()


def test_cancel_wait_payload_file_and_verbose(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    first = js(capsys, "--storage", db, "run", f"{FLOWS}:approval", '"a"', "--no-wait")["run_id"]
    second = js(capsys, "--storage", db, "run", f"{FLOWS}:approval", '"b"', "--no-wait")["run_id"]
    run(capsys, "--storage", db, "worker", "--until-idle", "--import", str(FLOWS))
    out = js(capsys, "--storage", db, "runs", "cancel", first, "--wait", "--timeout", "20")
    assert out == {"run_id": first, "cancelled": True, "status": "cancelled"}
    out_text, _ = run(capsys, "--storage", db, "runs", "cancel", first)
    assert "warning" in out_text
    assert "already ended" in out_text
    token = js(capsys, "--storage", db, "hooks", "list", second)[0]["token"]
    payload = tmp_path / "payload.json"
    payload.write_text('{"from": "file"}')
    assert js(capsys, "--storage", db, "hooks", "resume", token, "-f", str(payload))["resumed"]
    info = js(capsys, "--storage", db, "hooks", "info", token)
    assert info["status"] == "received"
    assert info["payload"] == {"from": "file"}
    _, err = run(capsys, "--storage", db, "hooks", "resume", token, "-p", "1", "-f", "x", code=1)
    assert "give the payload once" in err
    _, err = run(capsys, "--storage", db, "hooks", "resume", token, "-f", "nope.json", code=1)
    assert "cannot read the payload file" in err
    with pytest.raises(Exception, match="does not exist"):
        main(["-v", "--storage", db, "runs", "status", "nope"])
    capsys.readouterr()


def test_the_resume_hint_never_shows_a_password(tmp_path: Path, pyworkflow_services: Any) -> None:
    url = pyworkflow_services.fresh_url("postgres", tmp_path)
    scheme, rest = url.split("://", 1)
    userinfo, _, where = rest.rpartition("@")
    user = userinfo.split(":", 1)[0] or "root"
    secret_url = f"{scheme}://{user}:s3cret-pw@{where}"  # the test server trusts loopback
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWORKFLOW_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyworkflow.cli",
            "--storage",
            secret_url,
            "run",
            f"{FLOWS}:approval",
            '"x"',
            "--timeout",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "resume it with:" not in line:
            line = proc.stderr.readline()
        assert "resume it with:" in line
        assert "s3cret-pw" not in line
        assert f"{user}:***@" in line
    finally:
        proc.kill()
        proc.wait()
