"""``pyworkflow conformance|bench|ui`` come from other distributions through the entry-point
group ``pyworkflow.cli``: core imports none of their modules, and a missing one prints the
line that installs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pyworkflow
from pyworkflow.cli import _ui
from pyworkflow.errors import MissingDependency

CORE = Path(pyworkflow.__file__).parent
_IMPORTS = re.compile(
    r"^\s*(?:from|import)\s+(pyworkflow_(?:conformance|benchmarks|ui))\b"
    r"|import_module\(\s*[\"'](pyworkflow_(?:conformance|benchmarks|ui))",
    re.M,
)


def test_core_imports_no_delegated_package() -> None:
    found = [
        f"{path.relative_to(CORE)}: {m.group(0).strip()}"
        for path in CORE.rglob("*.py")
        for m in _IMPORTS.finditer(path.read_text())
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("command", "module"),
    [
        ("conformance", "pyworkflow_conformance.runner"),
        ("bench", "pyworkflow_benchmarks.cli"),
        ("ui", "pyworkflow_ui.cli"),
    ],
)
def test_each_command_is_found_through_its_entry_point(command: str, module: str) -> None:
    main = _ui.delegated(command)
    assert main.__module__ == module
    assert main.__name__ == "main"


def test_a_missing_command_names_the_line_that_installs_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_ui, "entry_points", lambda **_: [])
    with pytest.raises(MissingDependency, match=r'--find-links dist "pyworkflow\[bench\]=='):
        _ui.delegated("bench")
    assert _ui.run_delegated("ui", ["--help"]) == 1
    assert '"pyworkflow[ui]==' in capsys.readouterr().err
