"""The project's TOML configuration: ``pyworkflow.toml``, ``.pyworkflow.toml`` or
``[tool.pyworkflow]`` in ``pyproject.toml``, as the predecessor's CLI read them.

Searched from the working directory upward; in each folder the first of ``pyworkflow.toml``
(whose keys may sit under a ``[pyworkflow]`` table), ``.pyworkflow.toml`` and
``pyproject.toml`` wins. A ``pyproject.toml`` marks the project's root: without a
``[tool.pyworkflow]`` table the search stops there with nothing found. Keys read:

* ``storage``: our storage URL as a string (``storage = "postgresql://..."``), or the
  predecessor's table (``[tool.pyworkflow.storage]`` with ``type``, ``base_path``, ``host``...,
  see :mod:`pyworkflow.storage.config`);
* ``module`` / ``modules``: the workflow modules discovery imports.

A file that exists but cannot be read, or whose keys have the wrong type, raises
:class:`~pyworkflow.errors.InvalidConfiguration` naming it (never a silent fallback).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidConfiguration
from .storage.config import config_to_url

__all__ = ["TOML_NAMES", "TomlConfig", "find_toml"]

TOML_NAMES = ("pyworkflow.toml", ".pyworkflow.toml", "pyproject.toml")


@dataclass(frozen=True)
class TomlConfig:
    """What a TOML file says: ``storage`` as a URL (``None``: not said), ``modules``."""

    path: Path
    storage: str | None
    modules: tuple[str, ...]


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidConfiguration(f"{path}: not valid TOML ({exc})") from None


def _section(path: Path, data: dict[str, Any]) -> Mapping[str, Any] | None:
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("pyworkflow")
    else:
        section = data.get("pyworkflow", data)
    if section is not None and not isinstance(section, Mapping):
        raise InvalidConfiguration(f"{path}: the pyworkflow settings must be a table")
    return section


def _parse(path: Path, section: Mapping[str, Any]) -> TomlConfig:
    storage = section.get("storage")
    url: str | None
    if storage is None or storage == "":
        url = None
    elif isinstance(storage, str):
        url = storage
    elif isinstance(storage, Mapping):
        try:
            url = config_to_url(storage).render(hide_password=False)
        except InvalidConfiguration as exc:
            raise InvalidConfiguration(f"{path}: storage: {exc}") from None
    else:
        raise InvalidConfiguration(f"{path}: storage must be a URL or a table with a 'type'")
    modules: list[str] = []
    for key in ("module", "modules"):
        value = section.get(key)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(m, str) for m in items):
            raise InvalidConfiguration(f"{path}: {key!r} must be a module name or a list of them")
        modules.extend(items)
    return TomlConfig(path, url, tuple(modules))


def find_toml(start: Path | None = None) -> TomlConfig | None:
    """The TOML configuration found from ``start`` (default: the working directory) upward,
    or ``None`` (see the module docstring)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in TOML_NAMES:
            path = folder / name
            if not path.is_file():
                continue
            section = _section(path, _load(path))
            if section is None:
                if name == "pyproject.toml":
                    return None  # the project's root, with no settings of ours
                continue
            return _parse(path, section)
    return None
