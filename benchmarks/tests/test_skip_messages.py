"""A skipped backend's reason is printed whole: rich markup must not eat the install line."""

from __future__ import annotations

import io

import pytest
from pyworkflow import registry
from pyworkflow.install_line import install_line
from pyworkflow_benchmarks.discover import explicit_target
from pyworkflow_benchmarks.report import print_report
from pyworkflow_benchmarks.results import BackendRun, Result
from rich.console import Console


def test_skip_message_keeps_the_extra_in_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # postgres's package "not installed": the real discovery path builds the reason
    monkeypatch.setitem(
        registry._registered, "postgresql", registry.BackendSpec("no_such_pkg:X", "postgres")
    )
    target = explicit_target("postgresql://u@127.0.0.1:1/db")
    assert target.skipped is not None
    out = io.StringIO()
    console = Console(file=out, width=400, color_system=None)
    result = Result(backend=target.name, scenario="seq_append", unit="events")
    result.skipped = target.skipped
    print_report(console, [result], [BackendRun(target.name, target.url, target.skipped)], [])
    printed = out.getvalue()
    line = install_line("postgres")
    assert "pyworkflow[postgres]==" in line
    # once in the table's notes, once in the list of skipped backends
    assert printed.count(line) == 2, printed
