"""Subcommands that other distributions provide: ``conformance`` (pyworkflow-conformance),
``bench`` (pyworkflow-benchmarks) and ``ui`` (pyworkflow-ui).

Core names none of their modules: each distribution declares its command in the entry-point
group ``pyworkflow.cli`` (name = the subcommand, value = ``"module:function"``), as backends
join through ``pyworkflow.backends``. A command whose distribution is not installed prints
the line that installs it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from pyworkflow.errors import MissingDependency
from pyworkflow.install_line import install_hint

__all__ = ["ENTRY_POINT_GROUP", "delegated", "run_delegated", "run_ui"]

ENTRY_POINT_GROUP = "pyworkflow.cli"
#: the extra of pyworkflow that installs each delegated command, and what it is
_EXTRAS = {
    "conformance": ("conformance", "the conformance suite"),
    "bench": ("bench", "the benchmarks"),
    "ui": ("ui", "the web UI"),
}


def delegated(command: str) -> Callable[..., Any]:
    """The function the ``command`` entry point names; :class:`MissingDependency` (with the
    install line) when no installed distribution provides it."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=command):
        try:
            return ep.load()  # type: ignore[no-any-return]
        except ImportError as exc:
            raise _missing(command) from exc
    raise _missing(command)


def _missing(command: str) -> MissingDependency:
    extra, what = _EXTRAS.get(command, (command, f"the {command!r} command"))
    return MissingDependency(f"{what} is not installed; install it with: {install_hint(extra)}")


def run_delegated(command: str, argv: list[str]) -> int:
    """Hand ``argv`` (everything after ``command``) to the command's ``main(argv)``."""
    try:
        main = delegated(command)
    except MissingDependency as exc:
        print(f"pyworkflow: error: MissingDependency: {exc}", file=sys.stderr)
        return 1
    return int(main(argv) or 0)


def run_ui(argv: list[str]) -> int:
    """``pyworkflow ui ...``: the pyworkflow-ui distribution's ``main``."""
    return run_delegated("ui", argv)
