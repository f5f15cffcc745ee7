"""Run the conformance suite against one URL: what ``pyworkflow conformance URL`` calls."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["main", "pytest_args"]


def pytest_args(url: str, extra_args: list[str] | None = None) -> list[str]:
    """pytest's arguments for running every contract area against ``url``."""
    # The entry-point name, not the module path: pytest then loads the plugin once even when
    # it is also auto-loaded (`-p pyworkflow_conformance.plugin` would register it twice).
    return [
        "-p",
        "pyworkflow_conformance",
        # pytest-asyncio warns when a project sets no default; the suite's fixtures set theirs.
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        "--pyworkflow-url",
        url,
        "--pyargs",
        "pyworkflow_conformance.url_suite",
        *(extra_args or []),
    ]


def main(url: str, extra_args: list[str] | None = None) -> int:
    """Run every contract area against ``url`` and return pytest's exit code.

    Prints pytest's report followed by the per-area pass/fail/skip/xfail table; if the
    server cannot be reached, one line saying so instead (exit code 4, pytest's usage error),
    before any test runs. ``extra_args``
    are passed on to pytest (``["-x"]``, ``["-k", "events"]``...). pytest runs in a child
    process so the suite's modules are imported (and their asserts rewritten) by pytest
    itself, and so the caller's process state never leaks into the run.
    """
    command = [sys.executable, "-m", "pytest", *pytest_args(url, extra_args)]
    return subprocess.run(command, check=False).returncode
