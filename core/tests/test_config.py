"""pyworkflow.config.resolve_url: explicit > env > nearest pyproject.toml > default."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyworkflow.config import DEFAULT_URL, ENV_VAR, resolve_url


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def _pyproject(folder: Path, storage: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = '[project]\nname = "x"\n'
    if storage is not None:
        body += f'\n[tool.pyworkflow]\nstorage = "{storage}"\n'
    (folder / "pyproject.toml").write_text(body)


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pyproject(tmp_path, "postgresql://from-pyproject/db")
    assert resolve_url(cwd=tmp_path) == "postgresql://from-pyproject/db"
    monkeypatch.setenv(ENV_VAR, "mysql://from-env/db")
    assert resolve_url(cwd=tmp_path) == "mysql://from-env/db"
    assert resolve_url("memory://", cwd=tmp_path) == "memory://"


def test_default_when_nothing_is_configured(tmp_path: Path) -> None:
    assert resolve_url(cwd=tmp_path) == DEFAULT_URL == "sqlite:///pyworkflow.db"
    _pyproject(tmp_path, None)
    assert resolve_url(cwd=tmp_path) == DEFAULT_URL


def test_empty_values_fall_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "")
    _pyproject(tmp_path, "memory://")
    assert resolve_url("", cwd=tmp_path) == "memory://"


def test_nearest_pyproject_wins(tmp_path: Path) -> None:
    _pyproject(tmp_path, "sqlite:///outer.db")
    inner = tmp_path / "a" / "b"
    _pyproject(tmp_path / "a", "sqlite:///inner.db")
    inner.mkdir(parents=True)
    assert resolve_url(cwd=inner) == "sqlite:///inner.db"
    # The nearest pyproject.toml decides even when it has no [tool.pyworkflow].
    _pyproject(inner, None)
    assert resolve_url(cwd=inner) == DEFAULT_URL


def test_uses_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pyproject(tmp_path, "memory://")
    monkeypatch.chdir(tmp_path)
    assert resolve_url() == "memory://"
