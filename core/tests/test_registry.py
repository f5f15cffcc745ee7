"""pyworkflow.registry: lazy imports, install hints, entry points."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from pyworkflow import InvalidInput, MissingDependency, StorageBackend, registry
from pyworkflow.memory import MemoryBackend


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {})


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, *eps: EntryPoint) -> None:
    def entry_points(*, group: str, name: str | None = None) -> list[EntryPoint]:
        return [e for e in eps if e.group == group and (name is None or e.name == name)]

    monkeypatch.setattr(registry, "entry_points", entry_points)


def test_memory_resolves_and_opens() -> None:
    assert registry.resolve("memory") is MemoryBackend
    assert registry.resolve("MEMORY") is MemoryBackend
    backend = StorageBackend.from_url("Memory://")
    assert isinstance(backend, MemoryBackend)
    assert isinstance(MemoryBackend.from_url("memory://"), MemoryBackend)


def test_opening_memory_imports_no_driver() -> None:
    code = (
        "import sys, pyworkflow\n"
        "pyworkflow.open_backend('memory://')\n"
        "heavy = ('asyncpg', 'aiomysql', 'aiosqlite', 'cassandra', 'aioboto3', 'sqlalchemy')\n"
        "print(sorted(m for m in sys.modules if m.startswith('pyworkflow_') "
        "or m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(MissingDependency) as info:
        registry.resolve("nosuchdb")
    message = str(info.value)
    assert "'nosuchdb'" in message
    for scheme in ("memory", "sqlite", "postgresql", "mysql", "cassandra", "dynamodb", "file"):
        assert scheme in message
    assert "pyworkflow.backends" in message
    assert isinstance(info.value, ImportError)


def test_missing_package_gives_the_exact_pip_line() -> None:
    registry.register("ghost", "pyworkflow_ghost_nonexistent:GhostBackend", extra="ghost")
    with pytest.raises(MissingDependency) as info:
        StorageBackend.from_url("ghost://x")
    assert 'pip install --find-links dist "pyworkflow[ghost]==0.1.0"' in str(info.value)
    assert isinstance(info.value.__cause__, ImportError)
    registry.register("ghost2", "pyworkflow_ghost_nonexistent.sub:GhostBackend")
    with pytest.raises(MissingDependency, match="pip install pyworkflow_ghost_nonexistent"):
        registry.resolve("ghost2")


def test_builtin_scheme_hint_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate an uninstalled built-in by pointing its spec at a module that cannot import.
    monkeypatch.setitem(
        registry._BUILTIN,
        "cassandra",
        registry.BackendSpec("pyworkflow_cassandra_absent:X", "cassandra"),
    )
    _fake_entry_points(monkeypatch)
    with pytest.raises(
        MissingDependency, match=r'pip install --find-links dist "pyworkflow\[cassandra\]==0\.1\.0"'
    ):
        registry.resolve("cassandra")


def test_register_validates_and_wins() -> None:
    with pytest.raises(InvalidInput):
        registry.register("x", "no_colon_here")
    registry.register("memory", "pyworkflow.memory:MemoryBackend")
    assert registry.resolve("memory") is MemoryBackend
    registry.register("notabackend", "pyworkflow.models:Event")
    with pytest.raises(MissingDependency, match="not a StorageBackend"):
        registry.resolve("notabackend")


class _Custom(MemoryBackend):
    schemes = ("thirdparty",)


def test_entry_points_plug_in(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(
        monkeypatch,
        EntryPoint("thirdparty", f"{__name__}:_Custom", registry.ENTRY_POINT_GROUP),
        EntryPoint("other", f"{__name__}:_Custom", "some.other.group"),
    )
    assert registry.resolve("thirdparty") is _Custom
    assert "thirdparty" in registry.known_schemes()
    assert "other" not in registry.known_schemes()
    assert isinstance(StorageBackend.from_url("thirdparty://"), _Custom)
    # register() wins over an entry point.
    registry.register("thirdparty", "pyworkflow.memory:MemoryBackend")
    assert registry.resolve("thirdparty") is MemoryBackend


def test_entry_point_for_a_builtin_keeps_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_entry_points(
        monkeypatch, EntryPoint("mysql", "pyworkflow_mysql_absent:X", registry.ENTRY_POINT_GROUP)
    )
    with pytest.raises(MissingDependency, match=r"pyworkflow\[mysql\]"):
        registry.resolve("mysql")


def test_real_memory_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    eps: Any = entry_points(group=registry.ENTRY_POINT_GROUP, name="memory")
    assert [e.value for e in eps] == ["pyworkflow.memory:MemoryBackend"]
