"""The predecessor's CLI commands, global options and output formats, typed as its
documentation types them, on the SQLite and PostgreSQL stores of ``seed_url``.

In-process through ``pyworkflow.cli.main`` (one process per command would cost a second
each); ``programs/cli.py`` runs five of them as real processes. Each command's documented
JSON keys, plain lines and table headers are checked; tests/seed_api/ledger.py names the
assertion of each item.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from pyworkflow.cli import build_parser, main

FLOWS = '''
from pyworkflow import continue_as_new, hook, start_child_workflow, step, workflow


@step()
async def charge(order_id: str, amount: float) -> dict:
    return {"order_id": order_id, "charged": amount}


@workflow(tags=["orders"], max_duration="1h")
async def order_workflow(order_id: str, amount: float = 10.0) -> dict:
    """Charge an order."""
    return await charge(order_id, amount)


@workflow()
async def approval_workflow(request_id: str) -> dict:
    decision = await hook("approval", timeout="1h")
    return {"request_id": request_id, "decision": decision}


@workflow()
async def parent_workflow(order_id: str) -> dict:
    return await start_child_workflow(order_workflow, order_id, amount=1.0)


@workflow()
async def nightly_report() -> str:
    return "sent"


@workflow()
async def paging_workflow(page: int) -> int:
    if page < 2:
        continue_as_new(page + 1)
    return page
'''


MODULE = "seed_cli_surface_flows"


@pytest.fixture
def cli(seed_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """The global options every command gets: the workflows module and the store."""
    for name in [n for n in os.environ if n.startswith("PYWORKFLOW_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    # one module name for the session: its workflows register once in this process (a
    # second module registering the same names would be refused), later tests reuse it
    (tmp_path / f"{MODULE}.py").write_text(FLOWS)
    monkeypatch.syspath_prepend(str(tmp_path))
    return ("--module", MODULE, "--storage", seed_url)


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    capsys.readouterr()
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert got == code, (argv, out, err)
    return out, err


def js(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(capsys, "--output", "json", *argv)[0])


def test_global_options_and_workflows_commands(
    capsys: pytest.CaptureFixture[str], cli: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = run(capsys, "--version")
    assert out.startswith("pyworkflow ")

    listed = js(capsys, *cli, "workflows", "list")
    order = next(w for w in listed if w["name"] == "order_workflow")
    assert set(order) == {"name", "max_duration", "tags"}
    assert order["tags"] == ["orders"]
    assert order["max_duration"] == "3600s"  # max_duration="1h", kept in seconds
    plain, _ = run(capsys, *cli, "--output", "plain", "workflows", "list")
    assert "order_workflow" in plain.split()
    table, _ = run(capsys, *cli, "workflows", "list")
    assert all(h in table for h in ("Name", "Max Duration", "Tags"))
    info = js(capsys, *cli, "workflows", "info", "order_workflow")
    assert info["function"]["doc"] == "Charge an order."
    assert {"name", "max_duration", "tags", "function"} <= set(info)
    text, _ = run(capsys, *cli, "workflows", "info", "order_workflow")
    assert "Max Duration" in text

    # PYWORKFLOW_MODULE stands for --module
    monkeypatch.setenv("PYWORKFLOW_MODULE", cli[1])
    assert "order_workflow" in {w["name"] for w in js(capsys, "workflows", "list")}
    monkeypatch.delenv("PYWORKFLOW_MODULE")

    started = js(
        capsys, *cli, "workflows", "run", "order_workflow",
        "--args-json", '{"order_id": "A1", "amount": 5}', "--idempotency-key", "order-A1",
    )  # fmt: skip
    assert {"run_id", "workflow_name", "runtime"} <= set(started)
    assert started["result"] == {"order_id": "A1", "charged": 5}
    debug = js(
        capsys, *cli, "workflows", "run", "order_workflow", "--arg", "order_id=D1", "--debug"
    )
    assert debug["status"] == "completed"  # --debug is accepted
    again = js(capsys, *cli, "workflows", "run", "order_workflow", "--args-json",
               '{"order_id": "A1"}', "--idempotency-key", "order-A1", "--no-wait")  # fmt: skip
    assert again["run_id"] == started["run_id"]
    assert set(again) == {"run_id", "workflow_name", "runtime"}

    # errors print one message and exit 1; -v/--verbose shows the traceback instead
    _, err = run(capsys, *cli, "workflows", "info", "no_such_workflow", code=1)
    assert "no_such_workflow" in err
    with pytest.raises(Exception, match="no_such_workflow"):
        main(["-v", *cli, "workflows", "info", "no_such_workflow"])


def test_runs_commands(capsys: pytest.CaptureFixture[str], cli: tuple[str, ...]) -> None:
    parent = js(capsys, *cli, "workflows", "run", "parent_workflow", "--arg", "order_id=P1")
    run_id = parent["run_id"]
    status = js(capsys, *cli, "runs", "status", run_id)
    assert {"run_id", "workflow_name", "status", "created_at", "started_at", "completed_at",
            "duration", "input_args", "input_kwargs", "result", "error",
            "context"} <= set(status)  # fmt: skip
    text, _ = run(capsys, *cli, "runs", "status", run_id)
    assert all(k in text for k in ("Input Keyword Arguments", "Result")), text
    listed = js(capsys, *cli, "runs", "list", "--limit", "10")
    assert {"run_id", "workflow_name", "status", "created_at", "started_at", "completed_at",
            "duration"} <= set(listed[0])  # fmt: skip
    assert {r["workflow_name"] for r in listed} == {"parent_workflow", "order_workflow"}
    assert len(js(capsys, *cli, "runs", "list", "--limit", "1")) == 1
    assert build_parser().parse_args(["runs", "list"]).limit == 20  # the documented default
    only = js(capsys, *cli, "runs", "list", "-q", "PARENT", "--status", "completed")
    assert [r["run_id"] for r in only] == [run_id]
    assert js(capsys, *cli, "runs", "list", "--start-time", "2999-01-01") == []
    assert len(js(capsys, *cli, "runs", "list", "--end-time", "2999-01-01")) == 2
    plain, _ = run(capsys, *cli, "--output", "plain", "runs", "list")
    assert set(plain.split()) == {r["run_id"] for r in listed}
    table, _ = run(capsys, *cli, "runs", "list")
    assert all(h in table for h in ("Run ID", "Workflow", "Status", "Started", "Duration"))

    logs = js(capsys, *cli, "runs", "logs", run_id)
    assert {"event_id", "sequence", "type", "timestamp", "data"} <= set(logs[0])
    plain, _ = run(capsys, *cli, "--output", "plain", "runs", "logs", run_id)
    assert plain.splitlines()[0] == "1: workflow.started"
    table, _ = run(capsys, *cli, "runs", "logs", run_id)
    assert "workflow.started" in table

    children = js(capsys, *cli, "runs", "children", run_id)
    assert [(c["workflow_name"], c["nesting_depth"]) for c in children] == [("order_workflow", 1)]
    assert js(capsys, *cli, "runs", "children", run_id, "--status", "failed") == []
    table, _ = run(capsys, *cli, "runs", "children", run_id)
    assert "Depth" in table

    first = js(capsys, *cli, "workflows", "run", "paging_workflow", "--arg", "page=0")["run_id"]
    chain = js(capsys, *cli, "runs", "chain", first)
    assert len(chain) == 3
    assert chain[0]["continued_to_run_id"] == chain[1]["run_id"]
    assert {"continued_from_run_id", "duration"} <= set(chain[0])
    table, _ = run(capsys, *cli, "runs", "chain", first)
    assert "Continue-As-New Chain" in table

    waiting = js(capsys, *cli, "workflows", "run", "approval_workflow", "--arg", "request_id=R1",
                 "--no-wait")["run_id"]  # fmt: skip
    run(capsys, *cli, "worker", "run", "--until-idle")
    cancelled = js(capsys, *cli, "runs", "cancel", waiting, "--reason", "duplicate", "--wait",
                   "--timeout", "30")  # fmt: skip
    assert cancelled == {"run_id": waiting, "cancelled": True, "status": "cancelled"}
    events = js(capsys, *cli, "runs", "logs", waiting, "--filter", "cancel")
    assert events[0]["data"]["reason"] == "duplicate"


def test_hooks_and_worker_commands(
    capsys: pytest.CaptureFixture[str], cli: tuple[str, ...]
) -> None:
    run_id = js(capsys, *cli, "workflows", "run", "approval_workflow", "--arg", "request_id=R2",
                "--no-wait")["run_id"]  # fmt: skip
    run(capsys, *cli, "worker", "run", "--until-idle")
    hooks = js(capsys, *cli, "hooks", "list", "--run-id", run_id, "--status", "pending",
               "--limit", "5")  # fmt: skip
    assert [(h["name"], h["status"], h["run_id"]) for h in hooks] == [
        ("approval", "pending", run_id)
    ]
    token = hooks[0]["token"]
    assert {"token", "hook_id", "run_id", "name", "status", "created_at", "expires_at"} <= set(
        hooks[0]
    )
    table, _ = run(capsys, *cli, "hooks", "list")
    assert all(h in table for h in ("Token", "Name", "Status", "Run ID"))
    info = js(capsys, *cli, "hooks", "info", token)
    assert (info["status"], info["payload"]) == ("pending", None)
    assert info["expires_at"] is not None
    of_run = js(capsys, *cli, "hooks", "run", run_id)
    assert (of_run["run_id"], of_run["hook_count"]) == (run_id, 1)
    (Path.cwd() / "payload.json").write_text('"approved"')
    resumed = js(capsys, *cli, "hooks", "resume", token, "-f", "payload.json")
    assert (resumed["run_id"], resumed["status"]) == (run_id, "resumed")
    second = js(capsys, *cli, "workflows", "run", "approval_workflow", "--arg", "request_id=R3",
                "--no-wait")["run_id"]  # fmt: skip
    run(capsys, *cli, "worker", "run", "--until-idle")
    other = js(capsys, *cli, "hooks", "list", "--run-id", second)[0]["token"]
    assert js(capsys, *cli, "hooks", "resume", other, "--payload", '"no"')["status"] == "resumed"
    run(capsys, *cli, "worker", "run", "--until-idle")
    status = js(capsys, *cli, "runs", "status", run_id)
    assert status["result"] == {"request_id": "R2", "decision": "approved"}

    out, err = run(capsys, *cli, "--output", "json", "worker", "status")
    assert json.loads(out) == []  # workers do not register: the command says so
    assert run(capsys, *cli, "--output", "json", "worker", "list") == (out, err)
    queues = js(capsys, "worker", "queues")
    assert all({"name", "purpose"} <= set(q) for q in queues)


def test_schedules_and_scheduler_commands(
    capsys: pytest.CaptureFixture[str], cli: tuple[str, ...]
) -> None:
    made = js(capsys, *cli, "schedules", "create", "nightly_report", "--interval", "1h",
              "--schedule-id", "hourly", "--overlap", "allow_all")  # fmt: skip
    assert (made["schedule_id"], made["status"], made["overlap_policy"]) == (
        "hourly", "active", "allow_all"
    )  # fmt: skip
    js(capsys, *cli, "schedules", "create", "nightly_report", "--cron", "0 9 * * 1-5",
       "--timezone", "Europe/Paris", "--schedule-id", "weekday")  # fmt: skip
    listed = js(capsys, *cli, "schedules", "list", "--workflow", "nightly_report",
                "--status", "active", "--limit", "20")  # fmt: skip
    assert {s["schedule_id"] for s in listed} == {"hourly", "weekday"}
    plain, _ = run(capsys, *cli, "--output", "plain", "schedules", "list")
    assert set(plain.split()) == {"hourly", "weekday"}
    table, _ = run(capsys, *cli, "schedules", "list")
    assert all(h in table for h in ("Schedule ID", "Workflow", "Status", "Next Run"))
    assert {"next_run_time", "total_runs", "overlap_policy"} <= set(listed[0])
    shown = js(capsys, *cli, "schedules", "show", "weekday")
    assert shown["spec"] == {"cron": "0 9 * * 1-5", "interval": None, "timezone": "Europe/Paris"}
    assert js(capsys, *cli, "schedules", "pause", "weekday")["status"] == "paused"
    assert js(capsys, *cli, "schedules", "resume", "weekday")["status"] == "active"
    updated = js(capsys, *cli, "schedules", "update", "weekday", "--overlap", "buffer_one")
    assert updated["overlap_policy"] == "buffer_one"
    fired = js(capsys, *cli, "schedules", "trigger", "hourly")
    assert (fired["triggered"], fired["workflow_name"]) == (True, "nightly_report")
    back = js(capsys, *cli, "schedules", "backfill", "hourly", "--start", "2026-01-05T00:00",
              "--end", "2026-01-05T02:00")  # fmt: skip
    assert back["runs_created"] == 2
    run(capsys, *cli, "scheduler", "run", "--poll-interval", "0.1", "--duration", "1")
    assert js(capsys, *cli, "runs", "status", fired["run_id"])["status"] == "completed"
    deleted = js(capsys, *cli, "schedules", "delete", "weekday", "--force")
    assert deleted == {"schedule_id": "weekday", "deleted": True}


def test_storage_options_config_file_setup_and_quickstart(
    capsys: pytest.CaptureFixture[str],
    cli: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = ("--module", cli[1])
    # --storage TYPE --storage-path PATH, and the same from the environment
    done = js(capsys, *module, "--storage", "sqlite", "--storage-path", "typed.db", "workflows",
              "run", "order_workflow", "--arg", "order_id=T1")  # fmt: skip
    assert done["status"] == "completed"
    assert (tmp_path / "typed.db").is_file()
    monkeypatch.setenv("PYWORKFLOW_STORAGE_BACKEND", "sqlite")
    monkeypatch.setenv("PYWORKFLOW_STORAGE_PATH", "typed.db")
    assert [r["run_id"] for r in js(capsys, "runs", "list")] == [done["run_id"]]
    monkeypatch.delenv("PYWORKFLOW_STORAGE_BACKEND")
    monkeypatch.delenv("PYWORKFLOW_STORAGE_PATH")

    # the config file of the CLI: [tool.pyworkflow] in pyproject.toml, searched upward
    (tmp_path / "pyproject.toml").write_text('[tool.pyworkflow]\nstorage = "sqlite:///typed.db"\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    _, err = run(capsys, "runs", "list", code=1)  # relative to the working directory
    assert "typed.db" in err
    monkeypatch.chdir(tmp_path)
    assert [r["run_id"] for r in js(capsys, "runs", "list")] == [done["run_id"]]
    # the predecessor's forms: a [tool.pyworkflow.storage] table, and pyworkflow.toml
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pyworkflow]\nmodule = "' + cli[1] + '"\n'
        '[tool.pyworkflow.storage]\ntype = "sqlite"\nbase_path = "typed.db"\n'
    )
    assert [r["run_id"] for r in js(capsys, "runs", "list")] == [done["run_id"]]
    assert "order_workflow" in {w["name"] for w in js(capsys, "workflows", "list")}
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "pyworkflow.toml").write_text(
        '[pyworkflow]\nstorage = { type = "sqlite", base_path = "typed.db" }\n'
    )
    assert [r["run_id"] for r in js(capsys, "runs", "list")] == [done["run_id"]]
    (tmp_path / "pyworkflow.toml").unlink()
    (tmp_path / ".pyworkflow.toml").write_text('storage = { type = "redis" }\n')
    _, err = run(capsys, "runs", "list", code=1)  # a config that names no real store: an error
    assert ".pyworkflow.toml" in err
    (tmp_path / ".pyworkflow.toml").unlink()

    # setup (no server: --skip-docker) and quickstart write the config file
    run(capsys, "setup", "--non-interactive", "--skip-docker", "--storage", "sqlite",
        "--storage-path", "./data/wf.db", "--module", "myflows")  # fmt: skip
    import yaml

    written = yaml.safe_load((tmp_path / "pyworkflow.config.yaml").read_text())
    assert written["module"] == "myflows"
    assert written["storage"]["type"] == "sqlite"
    run(capsys, "setup", "--skip-docker", "--storage", "file", "--module", "myflows")
    backup = (tmp_path / "pyworkflow.config.yaml.backup").read_text()
    assert "sqlite" in backup  # the old file is kept as .yaml.backup
    assert yaml.safe_load((tmp_path / "pyworkflow.config.yaml").read_text())["storage"]["type"] == (
        "file"
    )
    (tmp_path / "pyworkflow.config.yaml").unlink()
    run(capsys, "quickstart", "--non-interactive", "--skip-docker", "--template", "basic",
        "--storage", "sqlite")  # fmt: skip
    assert (tmp_path / "workflows" / "orders.py").is_file()
    assert yaml.safe_load((tmp_path / "pyworkflow.config.yaml").read_text())["module"] == (
        "workflows"
    )


def test_modules_are_imported_from_the_project_root(
    capsys: pytest.CaptureFixture[str], cli: tuple[str, ...], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # a module beside pyproject.toml is found from a subfolder (the project's root goes on
    # sys.path, as the predecessor's CLI did); one name per store: each run proves it
    module = "seed_root_flows_" + cli[3].split(":")[0]
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (project / f"{module}.py").write_text(
        "from pyworkflow import workflow\n\n"
        f"@workflow(name='{module}')\n"
        "async def flow() -> int:\n"
        "    return 1\n"
    )
    monkeypatch.chdir(project / "sub")
    monkeypatch.setattr(sys, "path", list(sys.path))  # restored after the test
    names = {w["name"] for w in js(capsys, "--module", module, "workflows", "list")}
    assert module in names
