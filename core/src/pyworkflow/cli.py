"""The ``pyworkflow`` command line (owned by the engine; see its commands below)."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    print("pyworkflow: the CLI is not built yet", file=sys.stderr)
    return 2
