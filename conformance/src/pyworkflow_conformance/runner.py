"""Run the conformance suite against one URL: what ``pyworkflow conformance URL`` calls."""

from __future__ import annotations

import pytest

__all__ = ["main"]


def main(url: str, extra_args: list[str] | None = None) -> int:
    """Run every contract area against ``url`` and return pytest's exit code.

    Prints pytest's report followed by the per-area pass/fail/skip/xfail table. ``extra_args``
    are passed on to pytest (``["-x"]``, ``["-k", "events"]``...).
    """
    # The entry-point name, not the module path: pytest then loads the plugin once even when
    # it is also auto-loaded (`-p pyworkflow_conformance.plugin` would register it twice).
    args = [
        "-p",
        "pyworkflow_conformance",
        "--pyworkflow-url",
        url,
        "--pyargs",
        "pyworkflow_conformance.url_suite",
        *(extra_args or []),
    ]
    return int(pytest.main(args))
