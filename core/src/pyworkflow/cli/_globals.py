"""The global options (before the command) and the one place that turns them into a store.

The predecessor's global options are kept: ``--output table|json|plain``, ``--module``,
``--runtime``, ``--storage`` (a URL, or one of its type names with ``--storage-path``),
``-v/--verbose`` and ``--version``. A command's own ``--storage URL`` wins over the global
one; both go through :func:`storage_url`, the single function that resolves the store (so the
configuration precedence lives in :mod:`pyworkflow.config`, not here).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pyworkflow.config import resolve_url
from pyworkflow.config_toml import find_toml
from pyworkflow.errors import InvalidInput, NotFound
from pyworkflow.urls import StorageURL

__all__ = [
    "FORMATS",
    "STORAGE_TYPES",
    "add_global_options",
    "apply_verbosity",
    "discover_modules",
    "ensure_store_exists",
    "output_format",
    "prepare_store",
    "refuse_celery",
    "storage_url",
]

FORMATS = ("table", "json", "plain")
# The predecessor's --storage type names; a value with "://" is one of our URLs.
STORAGE_TYPES = ("file", "memory", "sqlite", "postgres", "mysql", "dynamodb", "cassandra")
_SERVER_TYPES = {"postgres", "mysql", "dynamodb", "cassandra"}


def _version() -> str:
    for dist in ("pyworkflow", "pyworkflow-core"):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "unknown"


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options given before the command (their dests start with ``g_``)."""
    parser.add_argument(
        "--version", action="version", version=f"pyworkflow {_version()}", help="print version"
    )
    parser.add_argument(
        "--output",
        dest="g_output",
        choices=FORMATS,
        default=os.environ.get("PYWORKFLOW_OUTPUT") or None,
        help="output format of the command (default table; --json after a command is the "
        "same as --output json)",
    )
    parser.add_argument(
        "--module",
        dest="g_module",
        default=os.environ.get("PYWORKFLOW_MODULE") or None,
        metavar="MODULE",
        help="module defining your workflows, imported first (env PYWORKFLOW_MODULE; "
        "comma-separated for several)",
    )
    parser.add_argument(
        "--runtime",
        dest="g_runtime",
        choices=("local", "celery"),
        default=os.environ.get("PYWORKFLOW_RUNTIME") or "local",
        help="local (default): this process and `pyworkflow worker`; celery is refused: "
        "pyworkflow has no Celery, its workers claim tasks from the store",
    )
    parser.add_argument(
        "--storage",
        dest="g_storage",
        default=None,
        metavar="URL|TYPE",
        help="storage URL, or a type name (" + "|".join(STORAGE_TYPES) + ") with "
        "--storage-path (env PYWORKFLOW_STORAGE_BACKEND)",
    )
    parser.add_argument(
        "--storage-path",
        dest="g_storage_path",
        default=os.environ.get("PYWORKFLOW_STORAGE_PATH") or None,
        metavar="PATH",
        help="file or folder of a file/sqlite store, or the server URL of a database type "
        "(env PYWORKFLOW_STORAGE_PATH)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        dest="g_verbose",
        action="store_true",
        help="log the library at debug level and show full tracebacks",
    )


def output_format(args: argparse.Namespace) -> str:
    """``json`` if the command's ``--json`` was given, else the global ``--output``."""
    if getattr(args, "json", False):
        return "json"
    return str(getattr(args, "g_output", None) or "table")


def _from_type(kind: str, path: str | None) -> str:
    kind = kind.lower()
    if kind not in STORAGE_TYPES:
        # The value is not echoed: a mistyped URL may hold a password.
        raise InvalidInput(
            f"--storage takes a URL (scheme://...) or one of {', '.join(STORAGE_TYPES)}"
        )
    if kind == "memory":
        return "memory://"
    if kind == "file":
        return f"file://{Path(path or 'workflow_data').resolve()}"
    if kind == "sqlite":
        return f"sqlite:///{Path(path or 'pyworkflow_data/pyworkflow.db').resolve()}"
    # A database server needs an address and credentials, which a type name does not carry.
    if path and "://" in path:
        return path
    raise InvalidInput(
        f"--storage {kind} needs the server's URL: pass it as --storage (for example "
        "--storage postgresql://user@localhost/db) or as --storage-path"
    )


def storage_url(args: argparse.Namespace) -> str:
    """The store of this command: its own ``--storage URL``, else the global ``--storage``
    (URL or type name, with ``--storage-path``), else :func:`pyworkflow.config.resolve_url`
    (``$PYWORKFLOW_STORAGE_URL``, ``$PYWORKFLOW_STORAGE_BACKEND``, ``pyworkflow.config.yaml``,
    ``[tool.pyworkflow]``, the default, in that order)."""
    own = getattr(args, "storage", None)
    if own:
        return resolve_url(own)
    given = getattr(args, "g_storage", None)
    if given:
        return given if "://" in given else _from_type(given, getattr(args, "g_storage_path", None))
    return resolve_url(None)


def ensure_store_exists(url: str) -> None:
    """Refuse to read a SQLite file that is not there (opening it would create an empty one,
    and a read command would then report "no runs" from the wrong place)."""
    parsed = StorageURL.parse(url)
    if parsed.scheme != "sqlite":
        return
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not Path(path).exists():
        raise NotFound(
            f"there is no store at {Path(path).resolve()} (nothing has run with this storage "
            "yet); pass --storage URL or set PYWORKFLOW_STORAGE_URL"
        )


def prepare_store(url: str) -> None:
    """Before a command that writes: make the folder of a SQLite file given by a type name
    (``--storage sqlite`` defaults to ``./pyworkflow_data/pyworkflow.db``, whose folder the
    predecessor created)."""
    parsed = StorageURL.parse(url)
    if (
        parsed.scheme == "sqlite"
        and parsed.database
        and not parsed.database.startswith((":memory:", "file:"))
    ):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _yaml_modules() -> list[str]:
    config = Path("pyworkflow.config.yaml")
    if not config.is_file():
        return []
    import yaml

    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        # A config that exists but cannot be read is an error, never silently skipped.
        raise InvalidInput(f"cannot read {config.resolve()}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{config.resolve()} must hold a mapping of keys")
    found = data.get("modules") or data.get("module") or []
    return [found] if isinstance(found, str) else [str(m) for m in found]


def _project_root() -> Path | None:
    here = Path.cwd()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ("pyproject.toml", "setup.py", ".git")):
            return folder
    return None


def discover_modules(args: argparse.Namespace) -> list[str]:
    """Import the workflow modules: ``--module`` (``$PYWORKFLOW_MODULE``), else
    ``$PYWORKFLOW_DISCOVER``, else ``module``/``modules`` of the project's TOML configuration
    (:mod:`pyworkflow.config_toml`), else of ``./pyworkflow.config.yaml``.

    The working directory and the project's root go on ``sys.path`` first, as the
    predecessor did. A module that fails to import is an error (exit 1), never skipped.
    """
    given = getattr(args, "g_module", None) or os.environ.get("PYWORKFLOW_DISCOVER")
    if given:
        names = [m.strip() for m in given.split(",") if m.strip()]
    else:
        toml = find_toml()
        names = list(toml.modules) if toml is not None and toml.modules else _yaml_modules()
    if names:
        # the working directory and the project's root (the first folder upward with a
        # pyproject.toml, setup.py or .git), as the predecessor put them on sys.path
        for folder in (_project_root(), Path.cwd()):
            if folder is not None and str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise InvalidInput(f"cannot import workflow module {name!r}: {exc}") from exc
    return names


def refuse_celery(args: argparse.Namespace) -> None:
    """Commands that execute runs refuse ``--runtime celery`` (``$PYWORKFLOW_RUNTIME``): there
    is no Celery, and running locally instead would be a silent change. Read commands ignore
    the runtime, so a predecessor's environment does not break them."""
    if getattr(args, "g_runtime", "local") == "celery":
        raise InvalidInput(
            "--runtime celery: pyworkflow has no Celery; runs execute in this process "
            "and in `pyworkflow worker` processes (use --runtime local)"
        )


def apply_verbosity(args: argparse.Namespace) -> None:
    """``-v`` logs the library at debug level on stderr."""
    if getattr(args, "g_verbose", False):
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
