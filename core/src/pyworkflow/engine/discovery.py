"""Importing the modules that define workflows, as the predecessor's ``discover_workflows``.

Which modules, first that names any: the ``module_path`` argument; ``PYWORKFLOW_MODULE`` and
``PYWORKFLOW_DISCOVER`` (comma separated, both); ``module``/``modules`` of the ``config``
mapping; of the YAML file at ``config_path``; of ``./pyworkflow.config.yaml``. The working
directory and the project root (the first folder upwards holding ``pyproject.toml``,
``setup.py`` or ``.git``) go on ``sys.path`` first, so a program's own modules import. A
name ending in ``.py`` (or a path) is imported as a file. A module that fails to import
raises :class:`DiscoveryError`, naming it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyworkflow.config_file import env_modules, find_yaml, load_yaml
from pyworkflow.errors import PyWorkflowError

from .registry import load_file

__all__ = ["DiscoveryError", "discover_workflows"]


class DiscoveryError(PyWorkflowError):
    """A module named for discovery could not be imported (the cause is ``__cause__``)."""


def _modules_of(config: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("module", "modules"):
        value = config.get(key)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list | tuple):
            out.extend(str(v) for v in value)
    return out


def _project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ("pyproject.toml", "setup.py", ".git")):
            return folder
    return None


def discover_workflows(
    module_path: str | None = None,
    config: Mapping[str, Any] | None = None,
    config_path: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Import the workflow modules (see the module docstring); return their names.

    Nothing to import is not an error (an empty list). A missing ``config_path`` raises
    ``FileNotFoundError``; an unreadable one :class:`~pyworkflow.errors.InvalidConfiguration`.
    """
    names: list[str] = []
    if module_path:
        names = [module_path]
    if not names:
        names = list(env_modules())
    if not names and config is not None:
        names = _modules_of(config)
    if not names and config_path is not None:
        names = list(load_yaml(config_path).modules)
    if not names:
        found = find_yaml()
        names = list(load_yaml(found).modules) if found is not None else []
    cwd = Path.cwd()
    for folder in (cwd, _project_root(cwd)):
        if folder is not None and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    imported = []
    for name in names:
        try:
            if name.endswith(".py") or os.sep in name:
                imported.append(load_file(name))
            else:
                importlib.import_module(name)
                imported.append(name)
        except Exception as exc:
            raise DiscoveryError(f"cannot import workflow module {name!r}: {exc}") from exc
    return imported
