"""Storage config dicts <-> URLs, the predecessor's storage classes, config file and env
precedence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pyworkflow import config
from pyworkflow.errors import InvalidConfiguration, MissingDependency
from pyworkflow.storage import (
    FileStorageBackend,
    InMemoryStorageBackend,
    PostgresStorageBackend,
    SQLiteStorageBackend,
    config_to_storage,
    storage_to_config,
)
from pyworkflow.storage.config import STORAGE_TYPES, config_to_url, url_to_config

SECRET = "s3cr/et@x?y"

DICTS: list[dict[str, Any]] = [
    {"type": "file", "base_path": "/tmp/wf_data"},
    {"type": "memory"},
    {"type": "sqlite", "base_path": "data/wf.db"},
    {"type": "sqlite", "base_path": "/abs/wf.db", "options": {"synchronous": "normal"}},
    {
        "type": "postgres",
        "host": "db.example",
        "port": 5433,
        "user": "app",
        "password": SECRET,
        "database": "wf",
        "options": {"schema": "tenant_a", "sslmode": "require"},
    },
    {
        "type": "mysql",
        "host": "127.0.0.1",
        "port": 3306,
        "user": "root",
        "password": "",
        "database": "wf",
        "max_pool_size": 4,
    },
    {"type": "dynamodb", "table_name": "runs", "region": "eu-west-1"},
    {
        "type": "dynamodb",
        "table_name": "runs",
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:5000",
    },
    {
        "type": "cassandra",
        "contact_points": ["a", "b"],
        "port": 9042,
        "keyspace": "wf",
        "username": "u",
        "password": SECRET,
        "read_consistency": "QUORUM",
        "write_consistency": "QUORUM",
        "replication_strategy": "NetworkTopologyStrategy",
        "datacenter": "dc1",
        "replication_factor": 1,
        "connect_timeout": 5.0,
    },
]


@pytest.mark.parametrize("cfg", DICTS, ids=lambda d: str(d["type"]))
def test_dict_url_dict_round_trip(cfg: dict[str, Any]) -> None:
    url = config_to_url(cfg)
    assert url_to_config(url) == cfg
    # through the text form too (what a URL in the environment looks like)
    assert url_to_config(url.render(hide_password=False)) == cfg
    assert SECRET not in str(url)
    assert SECRET not in repr(url)


def test_every_type_is_covered() -> None:
    assert {d["type"] for d in DICTS} == set(STORAGE_TYPES)


def test_defaults_as_the_predecessor() -> None:
    assert config_to_url(None) == config_to_url({}) == config_to_url({"type": "file"})
    assert config_to_url({}).path == os.path.abspath("./workflow_data")
    assert url_to_config(config_to_url({"type": "sqlite"})) == {
        "type": "sqlite",
        "base_path": "pyworkflow_data/pyworkflow.db",
    }
    assert str(config_to_url({"type": "postgres"})) == (
        "postgresql://pyworkflow@localhost:5432/pyworkflow"
    )
    dsn = config_to_url({"type": "postgres", "dsn": f"postgresql://a:{SECRET}@h/db"})
    assert dsn.password == SECRET
    assert dsn.database == "db"


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"type": "redis"}, "no redis"),
        ({"type": "oracle"}, "Unknown storage type"),
        ({"type": "file", "path": "x"}, "unknown key"),
        ({"type": "memory", "options": ["x"]}, "options"),
        ({"type": "postgres", "port": "abc"}, "integer"),
        ({"type": "postgres", "dsn": "mysql://x@h/db"}, "postgresql://"),
        ({"type": "cassandra", "read_consistency": "ONE", "write_consistency": "ALL"}, "differ"),
        ("sqlite:///x.db", "mapping"),
    ],
)
def test_bad_dicts_are_typed_value_errors(cfg: Any, message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message) as info:
        config_to_url(cfg)
    assert isinstance(info.value, ValueError)


def test_passwords_stay_out_of_reprs_and_errors() -> None:
    backend = PostgresStorageBackend(host="h", password=SECRET, database="d")
    assert SECRET not in repr(backend)
    assert SECRET not in str(backend.url)
    assert storage_to_config(backend)["password"] == SECRET  # type: ignore[index]
    with pytest.raises(InvalidConfiguration) as info:
        config_to_url({"type": "postgres", "password": SECRET, "port": [SECRET]})
    assert SECRET not in str(info.value)


def test_classes_build_our_backends(tmp_path: Path) -> None:
    db = SQLiteStorageBackend(db_path=str(tmp_path / "wf.db"))
    assert isinstance(db, SQLiteStorageBackend)
    assert not isinstance(db, FileStorageBackend)
    assert storage_to_config(db) == {"type": "sqlite", "base_path": str(tmp_path / "wf.db")}
    files = FileStorageBackend(base_path=str(tmp_path / "files"))
    assert isinstance(files, FileStorageBackend)
    assert storage_to_config(files) == {"type": "file", "base_path": str(tmp_path / "files")}
    assert storage_to_config(InMemoryStorageBackend()) == {"type": "memory"}
    assert storage_to_config(None) is None
    assert storage_to_config(config_to_storage({"type": "memory"})) == {"type": "memory"}


def test_missing_backend_package_names_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyworkflow import registry

    monkeypatch.setitem(
        registry._registered, "sqlite", registry.BackendSpec("no_such_pkg:X", "sqlite")
    )
    with pytest.raises(
        MissingDependency, match=r'pip install --find-links dist "pyworkflow\[sqlite\]==0\.1\.0"'
    ):
        SQLiteStorageBackend(db_path="x.db")


# -- precedence: code, env, file, default ---------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for var in (
        "PYWORKFLOW_STORAGE_URL",
        "PYWORKFLOW_STORAGE_BACKEND",
        "PYWORKFLOW_STORAGE_PATH",
        "PYWORKFLOW_RUNTIME",
        "PYWORKFLOW_MODULE",
        "PYWORKFLOW_DISCOVER",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_precedence(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.resolve_url() == config.DEFAULT_URL
    (clean_env / "pyproject.toml").write_text('[tool.pyworkflow]\nstorage = "memory://"\n')
    assert config.resolve_url() == "memory://"
    (clean_env / "pyworkflow.config.yaml").write_text(
        "storage:\n  type: sqlite\n  base_path: from_yaml.db\n"
    )
    assert config.resolve_url() == "sqlite:///from_yaml.db"
    monkeypatch.setenv("PYWORKFLOW_STORAGE_BACKEND", "file")
    monkeypatch.setenv("PYWORKFLOW_STORAGE_PATH", str(clean_env / "env_files"))
    assert config.resolve_url() == f"file://{clean_env / 'env_files'}"
    monkeypatch.setenv("PYWORKFLOW_STORAGE_URL", "sqlite:///env.db")
    assert config.resolve_url() == "sqlite:///env.db"
    assert config.resolve_url("memory://") == "memory://"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("storage: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
        ("storage:\n  type: nosuch\n", "Unknown storage type"),
        ("storage: sqlite\n", "'storage' must be a mapping"),
    ],
)
def test_unreadable_yaml_is_an_error_not_the_default(
    clean_env: Path, text: str, message: str
) -> None:
    (clean_env / "pyworkflow.config.yaml").write_text(text)
    with pytest.raises(InvalidConfiguration, match=message) as info:
        config.resolve_url()
    assert "pyworkflow.config.yaml" in str(info.value)
    assert "\n" not in str(info.value)
    assert not (clean_env / "pyworkflow.db").exists()


def test_bad_env_backend_is_an_error(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWORKFLOW_STORAGE_BACKEND", "redis")
    with pytest.raises(InvalidConfiguration, match="PYWORKFLOW_STORAGE_BACKEND"):
        config.resolve_url()


def test_bad_pyproject_is_an_error(clean_env: Path) -> None:
    (clean_env / "pyproject.toml").write_text("[tool.pyworkflow\n")
    with pytest.raises(InvalidConfiguration, match="not valid TOML"):
        config.resolve_url()


def test_unread_yaml_keys_warn(clean_env: Path) -> None:
    (clean_env / "pyworkflow.config.yaml").write_text("recovery:\n  max: 3\n")
    with pytest.warns(UserWarning, match="recovery"):
        assert config.resolve_url() == config.DEFAULT_URL
