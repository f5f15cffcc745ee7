"""The line that installs pyworkflow (with an extra), for every hint that prints one.

``pyworkflow`` on PyPI is another, unrelated project (0.0.2): until ours is published, a bare
``pip install "pyworkflow[postgres]"`` installs that one and warns it has no such extra. Our
distributions install from wheels built in a clone of the repository (``dist/``), pinned to
this version so that pip cannot pick PyPI's; their dependencies still come from PyPI.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["BUILD_WHEELS", "install_hint", "install_line"]

#: builds every distribution of the workspace into ``dist/`` (run in a clone of the repository)
BUILD_WHEELS = "python3 tools/uv.py build --all-packages --wheel -o dist"


def _version() -> str:
    try:
        return version("pyworkflow")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0.1.0"


def install_line(extra: str | None = None) -> str:
    """``pip install --find-links dist "pyworkflow[extra]==<version>"`` (no brackets if None)."""
    name = f"pyworkflow[{extra}]" if extra else "pyworkflow"
    return f'pip install --find-links dist "{name}=={_version()}"'


def install_hint(extra: str | None = None) -> str:
    """:func:`install_line` followed by where ``dist/`` comes from."""
    return f"{install_line(extra)} (dist/ from `{BUILD_WHEELS}` in a clone of the repository)"
