"""CI smoke test: the whole ``pyworkflow bench`` on every backend reachable here, tiny sizes.

No timing assertions (the machine is shared): it checks that every scenario ran on every
backend that was not skipped, that skips carry a reason, that the JSON validates against the
schema, that the plot and Markdown were written, and that contention found 0 duplicate or
lost sequences (which is the one result that fails the benchmark).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pyworkflow_benchmarks import cli as bench_cli
from pyworkflow_benchmarks.cli import ALL_SCENARIOS, main
from pyworkflow_benchmarks.results import validate
from pyworkflow_benchmarks.runner import run_target

TINY = [
    "--duration",
    "0.05",
    "--repetitions",
    "1",
    "--replay-events",
    "200",
    "--deep-events",
    "300",
    "--quiet",
]


def _say(config: pytest.Config, text: str) -> None:
    """Write ``text`` on the test log as it happens (not captured): the whole bench runs in
    one fixture for minutes, and a log that prints nothing that long looks hung."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or config.get_verbosity() < 0:
        return
    with capture.global_and_fixture_disabled():  # pytest captures a fixture's setup
        reporter.write(f" [{text}]", flush=True)


@pytest.fixture(scope="module")
def default_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict, Path]:
    out = tmp_path_factory.mktemp("bench")

    async def reported(target: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        _say(request.config, f"bench {target.name}...")
        try:
            return await run_target(target, *args, **kwargs)
        finally:
            _say(request.config, f"{time.monotonic() - started:.0f} s")

    _say(request.config, "bench: finding the backends")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench_cli, "run_target", reported)
        code = main(
            [
                *TINY,
                "--json",
                str(out / "b.json"),
                "--plot",
                str(out / "b.png"),
                "--markdown",
                str(out / "b.md"),
            ]
        )
    return code, json.loads((out / "b.json").read_text()), out


def test_default_run_succeeds_and_validates(default_run: tuple[int, dict, Path]) -> None:
    code, doc, _ = default_run
    assert validate(doc) == []
    failures = [(r["backend"], r["scenario"], r["error"]) for r in doc["results"] if not r["ok"]]
    assert failures == []
    assert code == 0
    assert doc["ok"] is True


def test_every_scenario_ran_on_every_backend_that_ran(default_run: tuple[int, dict, Path]) -> None:
    _, doc, _ = default_run
    ran = [b["name"] for b in doc["backends"] if b["skipped"] is None]
    # memory, sqlite and files are always part of the default run
    assert {"memory"} <= set(ran)
    for name in ran:
        got = {r["scenario"]: r for r in doc["results"] if r["backend"] == name}
        assert set(got) == set(ALL_SCENARIOS), name
        for scenario, r in got.items():
            if r["skipped"] is not None:
                assert r["skipped"], (name, scenario)
                continue
            assert r["ours"]["events"] > 0, (name, scenario)
            if scenario == "workflow_100_steps":  # the step's yardstick, timed alongside
                assert r["extra"]["seq_append_same_turns"] > 0, name
            if name != "cassandra" and scenario != "workflow_100_steps":
                assert r["raw"] is not None, (name, scenario)
                assert r["raw"]["events"] > 0, (name, scenario)
                assert r["ratio"] is not None
    for b in doc["backends"]:
        if b["skipped"] is not None:
            assert b["skipped"].strip(), b["name"]


def test_contention_verified_without_duplicates(default_run: tuple[int, dict, Path]) -> None:
    _, doc, _ = default_run
    contention = [r for r in doc["results"] if r["scenario"] == "contention_16" and r["ours"]]
    assert contention
    for r in contention:
        assert r["extra"]["problems"] == [], r["backend"]
        assert r["extra"]["verified_events"] == r["ours"]["events"], r["backend"]


def test_server_facts_are_read_back(default_run: tuple[int, dict, Path]) -> None:
    _, doc, _ = default_run
    facts = {b["name"]: b["facts"] for b in doc["backends"] if b["skipped"] is None}
    assert doc["machine"]["cores"] >= 1
    assert doc["machine"]["python"]
    if "sqlite" in facts:
        assert facts["sqlite"]["journal_mode"].lower() == "wal"
        assert facts["sqlite"]["synchronous"] == "FULL"
    if "postgres" in facts:
        assert facts["postgres"]["server_version"].startswith("PostgreSQL")
        assert facts["postgres"]["synchronous_commit"]
        assert facts["postgres"]["fsync"]
    if "mysql" in facts:
        assert "innodb_flush_log_at_trx_commit" in facts["mysql"]


def test_outputs_written(default_run: tuple[int, dict, Path]) -> None:
    _, _, out = default_run
    assert (out / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| memory | seq_append |" in (out / "b.md").read_text()
