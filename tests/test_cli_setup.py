"""``pyworkflow setup``, ``quickstart``, the conformance and benchmark entry points, and the
config file the CLI reads; in-process through ``pyworkflow.cli.main`` (subprocesses only for
the conformance suite, which runs pytest in a child)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyworkflow.cli import main

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh working directory (setup and quickstart write there) and no PYWORKFLOW_*."""
    for name in [n for n in os.environ if n.startswith("PYWORKFLOW_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert got == code, (out, err)
    return out, err


def js(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(capsys, "--output", "json", *argv)[0])


def test_setup_writes_the_config_and_backs_up_the_old_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import yaml

    run(capsys, "setup", "--non-interactive", "--storage", "sqlite", "--module", "flows")
    config = tmp_path / "pyworkflow.config.yaml"
    assert yaml.safe_load(config.read_text()) == {
        "module": "flows",
        "runtime": "local",
        "storage": {"type": "sqlite", "base_path": "./pyworkflow_data/pyworkflow.db"},
    }
    out, _ = run(capsys, "setup", "--storage", "postgres", "--dry-run")
    assert (tmp_path / "pyworkflow.config.yaml.backup").read_text().count("type: sqlite") == 1
    written = yaml.safe_load(config.read_text())["storage"]
    assert written["type"] == "postgres"
    assert written["dsn"].startswith("postgresql://")
    started = out.split("starting the server: ", 1)[1].splitlines()[0].split()
    assert started[-2:] == ["start", "postgres"] or started[:2] == ["docker", "compose"]


def test_quickstart_examples_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "quickstart", "--non-interactive")
    assert sorted(p.name for p in (tmp_path / "workflows").iterdir()) == [
        "__init__.py",
        "notifications.py",
        "orders.py",
    ]
    try:
        names = [w["name"] for w in js(capsys, "workflows", "list")]  # module from the yaml
        assert names[:0] == []
        assert {"process_order", "send_notification"} <= set(names)
        db = f"sqlite:///{tmp_path}/qs.db"
        done = js(
            capsys, "--storage", db, "workflows", "run", "process_order", "--arg", "order_id=A1"
        )
        assert done["result"]["confirmed"] is True
        sent = js(
            capsys, "--storage", db, "workflows", "run", "send_notification", "--arg", "user_id=u1"
        )
        assert sent["result"]["delivered"] is True
        _, err = run(capsys, "quickstart", code=1)
        assert "exists already" in err
    finally:
        for name in [m for m in sys.modules if m == "workflows" or m.startswith("workflows.")]:
            del sys.modules[name]
        sys.path[:] = [p for p in sys.path if p != str(tmp_path)]


def test_conformance_takes_pytest_arguments_without_a_url() -> None:
    from pyworkflow.cli import _conformance_args

    assert _conformance_args(["-k", "events"]) == (None, ["-k", "events"])
    assert _conformance_args(["sqlite:///x.db", "-x"]) == ("sqlite:///x.db", ["-x"])
    assert _conformance_args(["--storage", "memory://", "--", "-k", "hooks"]) == (
        "memory://",
        ["-k", "hooks"],
    )


def test_conformance_k_area_selects_that_area(tmp_path: Path) -> None:
    pytest.importorskip("pyworkflow_conformance")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWORKFLOW_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyworkflow.cli",
            "conformance",
            f"sqlite:///{tmp_path}/c.db",
            "-k",
            "hooks",
            "--collect-only",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    selected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert len(selected) >= 5  # the hooks area, not only tests with "hooks" in their name
    assert "PytestDeprecationWarning" not in proc.stdout + proc.stderr


def test_python_m_benchmarks_help_names_its_own_prog(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import runpy

    pytest.importorskip("pyworkflow_benchmarks")
    monkeypatch.setattr(sys, "argv", ["pyworkflow_benchmarks", "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("pyworkflow_benchmarks", run_name="__main__")
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m pyworkflow_benchmarks")


def test_an_unreadable_config_file_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "pyworkflow.config.yaml").write_text("module: [unclosed\n")
    _, err = run(capsys, "workflows", "list", code=1)
    assert "cannot read" in err
    assert "Traceback" not in err
    (tmp_path / "pyworkflow.config.yaml").write_text("- a list\n")
    _, err = run(capsys, "workflows", "list", code=1)
    assert "must hold a mapping" in err
