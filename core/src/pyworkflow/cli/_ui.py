"""``pyworkflow ui``: delegated to the pyworkflow-ui distribution (the ``ui`` extra), which
core never imports unless this command runs."""

from __future__ import annotations

import importlib
import sys

__all__ = ["run_ui"]


def run_ui(argv: list[str]) -> int:
    """Hand ``argv`` (everything after ``ui``) to ``pyworkflow_ui.cli.main``."""
    try:
        ui = importlib.import_module("pyworkflow_ui.cli")
    except ImportError:
        print(
            "pyworkflow: error: MissingDependency: the web UI is not installed; install it "
            'with: pip install "pyworkflow[ui]"',
            file=sys.stderr,
        )
        return 1
    return int(ui.main(argv) or 0)
