"""Where the storage URL comes from, in order of precedence (the first that names one wins).

1. code: an explicit URL or backend (``configure(storage=...)``, the CLI's ``--storage``);
2. the environment: ``PYWORKFLOW_STORAGE_URL``, else the predecessor's
   ``PYWORKFLOW_STORAGE_BACKEND`` (with ``PYWORKFLOW_STORAGE_PATH``);
3. a file: ``storage:`` in ``pyworkflow.config.yaml`` in the working directory, else
   ``storage = "..."`` under ``[tool.pyworkflow]`` in the nearest ``pyproject.toml``;
4. the embedded default, ``sqlite:///pyworkflow.db`` in the working directory.

A source that exists but cannot be read (bad YAML or TOML, an unknown storage type) raises
:class:`~pyworkflow.errors.InvalidConfiguration`; it never falls through to the default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .config_file import env_storage_url, find_yaml, load_yaml
from .errors import InvalidConfiguration

__all__ = ["DEFAULT_URL", "ENV_VAR", "resolve_url"]

ENV_VAR = "PYWORKFLOW_STORAGE_URL"
DEFAULT_URL = "sqlite:///pyworkflow.db"


def _from_pyproject(start: Path) -> str | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                with candidate.open("rb") as fh:
                    data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise InvalidConfiguration(f"{candidate}: not valid TOML ({exc})") from None
            value = data.get("tool", {}).get("pyworkflow", {}).get("storage")
            return str(value) if value else None
    return None


def resolve_url(explicit: str | None = None, *, cwd: Path | None = None) -> str:
    """The storage URL to use, following the order in this module's docstring.

    The URL returned holds the password (it is what the backend is opened with): never log it;
    log ``StorageURL.parse(url)`` instead, which hides it.
    """
    if explicit:
        return explicit
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    from_env = env_storage_url()
    if from_env is not None:
        return from_env.render(hide_password=False)
    folder = cwd or Path.cwd()
    yaml_file = find_yaml(folder)
    if yaml_file is not None:
        found = load_yaml(yaml_file).storage
        if found is not None:
            return found.render(hide_password=False)
    return _from_pyproject(folder) or DEFAULT_URL
