"""The install lines install our package: wheels built from this repository into a fresh
virtual environment, the base install running the README's example on SQLite.

Marked ``install`` (``pytest -m install`` runs only this). Needs uv (``$UV``, set by
``uv run``, else ``tools/uv.py``) and the package index for the dependencies (uv's cache
serves them after the first run).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pyworkflow.install_line import install_line

ROOT = Path(__file__).resolve().parents[1]
VERSION = "0.1.0"
# every pyworkflow install line in the docs, in whichever form
_INSTALL = re.compile(r"pip install [^`\n]*?\"?pyworkflow(?:\[(\w+)\])?[^`\n\"]*\"?")

pytestmark = pytest.mark.install


def _uv() -> list[str]:
    uv = os.environ.get("UV")
    return [uv] if uv else [sys.executable, str(ROOT / "tools" / "uv.py")]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYWORKFLOW_")}
    env.pop("VIRTUAL_ENV", None)
    return env


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## A workflow") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README.md's 'A workflow' section has no python block"
    return match.group(1)


def test_doc_install_lines_name_our_wheels() -> None:
    """Every pyworkflow install line in the README, docs/ and the packages' READMEs is
    ``install_line(extra)``: a bare ``pip install "pyworkflow[x]"`` would fetch PyPI's
    unrelated project."""
    docs = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md")]
    docs += ROOT.glob("backends/*/README.md")
    seen = 0
    for doc in docs:
        for match in _INSTALL.finditer(doc.read_text()):
            line = match.group(0)
            if "pyworkflow-" in line or line.endswith("pip install pyworkflow_"):
                continue  # another distribution's name, not ours
            assert line.startswith(install_line(match.group(1))), f"{doc.relative_to(ROOT)}: {line}"
            seen += 1
    assert seen >= 8


def test_base_install_runs_the_readme_example_and_extras_resolve(tmp_path: Path) -> None:
    dist, venv, work = tmp_path / "dist", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    uv = _uv()
    _run([*uv, "build", "--all-packages", "--wheel", "--quiet", "-o", str(dist)], ROOT)
    _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [*uv, "pip", "install", "--python", str(python), "--find-links", str(dist)]

    _run([*pip, f"pyworkflow=={VERSION}"], tmp_path)
    listed = _run([*uv, "pip", "list", "--python", str(python)], tmp_path)
    assert re.search(r"^pyworkflow-sqlite\s+0\.1\.0$", listed, re.M), listed
    assert "pyworkflow-postgres" not in listed  # the base install is the base

    (work / "order.py").write_text(_readme_example())
    out = _run([str(python), "order.py"], work)
    assert "'receipt': 'receipt-A-17'" in out, out
    assert "'parcel': 'parcel-A-17'" in out, out
    assert (work / "orders.db").is_file()

    # an extra resolves to the workspace member's wheel (PyPI has no pyworkflow-postgres)
    plan = _run([*pip, "--dry-run", f"pyworkflow[postgres]=={VERSION}"], tmp_path)
    assert re.search(r"\+ pyworkflow-postgres==0\.1\.0\b", plan), plan
    assert "asyncpg" in plan, plan
