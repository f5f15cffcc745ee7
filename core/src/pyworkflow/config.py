"""Where the storage URL comes from, in order of precedence (the first that names one wins).

1. code: an explicit URL or backend (``configure(storage=...)``, the CLI's ``--storage``);
2. the environment: ``PYWORKFLOW_STORAGE_URL``, else the predecessor's
   ``PYWORKFLOW_STORAGE_BACKEND`` (with ``PYWORKFLOW_STORAGE_PATH``);
3. a file: ``storage:`` in ``pyworkflow.config.yaml`` in the working directory, else
   ``storage`` (a URL, or the predecessor's table with a ``type``) in the nearest
   ``pyworkflow.toml``, ``.pyworkflow.toml`` or ``[tool.pyworkflow]`` of ``pyproject.toml``
   (:mod:`pyworkflow.config_toml`);
4. the embedded default, ``sqlite:///pyworkflow.db`` in the working directory.

A source that exists but cannot be read (bad YAML or TOML, an unknown storage type) raises
:class:`~pyworkflow.errors.InvalidConfiguration`; it never falls through to the default.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config_file import env_storage_url, find_yaml, load_yaml
from .config_toml import find_toml

__all__ = ["DEFAULT_URL", "ENV_VAR", "resolve_url"]

ENV_VAR = "PYWORKFLOW_STORAGE_URL"
DEFAULT_URL = "sqlite:///pyworkflow.db"


def _from_toml(start: Path) -> str | None:
    found = find_toml(start)
    return None if found is None else found.storage


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
    return _from_toml(folder) or DEFAULT_URL
