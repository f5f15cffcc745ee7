"""Where the storage URL comes from, in order of precedence.

1. an explicit URL or backend (code, or the CLI's ``--storage``);
2. the ``PYWORKFLOW_STORAGE_URL`` environment variable;
3. ``storage = "..."`` under ``[tool.pyworkflow]`` in the nearest ``pyproject.toml``;
4. the embedded default, ``sqlite:///pyworkflow.db`` in the working directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

__all__ = ["DEFAULT_URL", "ENV_VAR", "resolve_url"]

ENV_VAR = "PYWORKFLOW_STORAGE_URL"
DEFAULT_URL = "sqlite:///pyworkflow.db"


def _from_pyproject(start: Path) -> str | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            with candidate.open("rb") as fh:
                data = tomllib.load(fh)
            value = data.get("tool", {}).get("pyworkflow", {}).get("storage")
            return str(value) if value else None
    return None


def resolve_url(explicit: str | None = None, *, cwd: Path | None = None) -> str:
    """The storage URL to use, following the order in this module's docstring."""
    if explicit:
        return explicit
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    return _from_pyproject(cwd or Path.cwd()) or DEFAULT_URL
