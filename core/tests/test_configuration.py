"""configure(**keys), get_config, get_storage, reset_config, configure_from_yaml and
discovery: precedence (code, env, file, default) and errors that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyworkflow import (
    DiscoveryError,
    InvalidConfiguration,
    configure,
    configure_from_yaml,
    discover_workflows,
    get_config,
    get_storage,
    reset_config,
)
from pyworkflow.engine import default_engine, settings
from pyworkflow.memory import MemoryBackend
from pyworkflow.storage import InMemoryStorageBackend, SQLiteStorageBackend

ENV = (
    "PYWORKFLOW_STORAGE_URL",
    "PYWORKFLOW_STORAGE_BACKEND",
    "PYWORKFLOW_STORAGE_PATH",
    "PYWORKFLOW_RUNTIME",
    "PYWORKFLOW_MODULE",
    "PYWORKFLOW_DISCOVER",
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_config()
    yield tmp_path
    reset_config()


def test_keys_set_engine_defaults_and_show_in_get_config() -> None:
    backend = InMemoryStorageBackend()
    engine = configure(storage=backend, default_retries=5, default_durable=False)
    assert engine.inline
    cfg = get_config()
    assert cfg.default_retries == 5
    assert settings.current().default_retries == 5
    assert cfg.default_durable is False
    assert cfg.default_runtime == "local"
    assert cfg.storage is backend
    assert get_storage() is backend
    assert cfg.event_hard_limit == 50_000


@pytest.mark.parametrize(
    "keys",
    [
        {"default_retries": 5, "no_such_option": 1},
        {"default_retries": "5"},
        {"default_retries": -1},
        {"default_durable": 1},
        {"default_runtime": "threads"},
        {"storage": 42},
        {"storage": {"type": "redis"}},
    ],
)
def test_bad_keys_are_typed_and_change_nothing(keys: dict[str, object]) -> None:
    first = configure("memory://")
    with pytest.raises(InvalidConfiguration) as info:
        configure(**keys)
    assert isinstance(info.value, ValueError)
    assert settings.current() == settings.Settings()
    assert default_engine() is first


def test_event_limits_are_set_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="not recommended"):
        configure("memory://", event_hard_limit=10)
    assert get_config().event_hard_limit == 10


def test_storage_dict_and_predecessor_class() -> None:
    configure(storage={"type": "memory"})
    assert isinstance(get_storage(), MemoryBackend)
    db = SQLiteStorageBackend(db_path="x.db")
    configure(storage=db)
    assert get_storage() is db


def test_runtime_precedence_code_env_file_default(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_engine().inline  # default: local
    reset_config()
    (clean / "pyworkflow.config.yaml").write_text("runtime: celery\nstorage:\n  type: memory\n")
    assert not default_engine().inline  # file
    assert get_config().default_runtime == "celery"
    assert isinstance(get_storage(), MemoryBackend)
    reset_config()
    monkeypatch.setenv("PYWORKFLOW_RUNTIME", "local")
    assert default_engine().inline  # env beats file
    reset_config()
    assert not configure(default_runtime="celery").inline  # code beats env
    assert configure(default_runtime="celery", inline=True).inline  # explicit inline wins


def test_configure_keeps_the_files_storage(clean: Path) -> None:
    (clean / "pyworkflow.config.yaml").write_text("storage:\n  type: memory\n")
    configure(default_retries=1)  # merges, unlike the predecessor
    assert isinstance(get_storage(), MemoryBackend)


def test_unreadable_yaml_is_an_error_at_first_use(clean: Path) -> None:
    (clean / "pyworkflow.config.yaml").write_text("storage: {type: sqlite\n")
    with pytest.raises(InvalidConfiguration, match="not valid YAML"):
        get_config()
    assert not (clean / "pyworkflow.db").exists()


def test_configure_from_yaml_replaces_and_discovers(clean: Path) -> None:
    with pytest.raises(FileNotFoundError):
        configure_from_yaml(clean / "missing.yaml")
    (clean / "my_flows.py").write_text(
        "from pyworkflow import workflow\n"
        "@workflow(name='discovered_flow')\n"
        "async def discovered_flow() -> int:\n    return 1\n"
    )
    (clean / "wf.yaml").write_text(
        "runtime: celery\nmodule: my_flows\nstorage:\n  type: memory\n"
        "celery:\n  broker: redis://x\n"
    )
    configure("memory://", default_retries=9)
    configure_from_yaml(clean / "wf.yaml")
    cfg = get_config()
    assert cfg.default_retries == 3  # replaced, not merged
    assert cfg.default_runtime == "celery"
    assert cfg.celery_broker == "redis://x"
    assert "redis://x" not in repr(cfg)  # a broker URL may hold a password
    assert not default_engine().inline
    from pyworkflow.engine.registry import lookup_workflow

    assert lookup_workflow("discovered_flow").name == "discovered_flow"
    (clean / "bad.yaml").write_text("module: no_such_module_xyz\n")
    with pytest.raises(DiscoveryError, match="no_such_module_xyz"):
        configure_from_yaml(clean / "bad.yaml")


def test_discovery_order(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("mod_a", "mod_b", "mod_c"):
        (clean / f"{name}.py").write_text("")
    (clean / "pyworkflow.config.yaml").write_text("modules: [mod_c]\n")
    assert discover_workflows() == ["mod_c"]
    assert discover_workflows(config={"module": "mod_b"}) == ["mod_b"]
    monkeypatch.setenv("PYWORKFLOW_DISCOVER", "mod_a, mod_b")
    assert discover_workflows(config={"module": "mod_c"}) == ["mod_a", "mod_b"]
    monkeypatch.setenv("PYWORKFLOW_MODULE", "mod_c")
    assert discover_workflows() == ["mod_c", "mod_a", "mod_b"]
    assert discover_workflows(module_path="mod_c") == ["mod_c"]
    with pytest.raises(DiscoveryError) as info:
        discover_workflows(module_path="no_such_module_xyz")
    assert isinstance(info.value.__cause__, ImportError)


def test_configure_module_imports_it(clean: Path) -> None:
    (clean / "conf_mod.py").write_text("import sys\nsys.modules[__name__].seen = True\n")
    configure("memory://", module="conf_mod")
    import conf_mod  # type: ignore[import-not-found]

    assert conf_mod.seen
    with pytest.raises(DiscoveryError):
        configure("memory://", module="no_such_module_xyz")


def test_unknown_runtime_names_its_source(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "pyworkflow.config.yaml").write_text("runtime: threads\n")
    with pytest.raises(InvalidConfiguration, match=r"pyworkflow.config.yaml: unknown runtime"):
        get_config()
    monkeypatch.setenv("PYWORKFLOW_RUNTIME", "threadz")
    with pytest.raises(InvalidConfiguration, match="PYWORKFLOW_RUNTIME: unknown runtime"):
        get_config()


def test_runtime_names() -> None:
    from pyworkflow import LocalRuntime, Runtime, get_runtime, register_runtime

    assert isinstance(get_runtime("local"), LocalRuntime)
    assert get_runtime("local") is not get_runtime("local")
    assert get_runtime("celery").inline is False
    with pytest.raises(ValueError, match="unknown runtime"):
        get_runtime("nope")

    class Queued(Runtime):
        name = "queued"
        inline = False

    register_runtime("queued", Queued)
    assert not configure("memory://", default_runtime="queued").inline
    with pytest.raises(InvalidConfiguration):
        register_runtime("bad", int)  # type: ignore[arg-type]


def test_listing(clean: Path) -> None:
    from pyworkflow import get_step, get_workflow, list_steps, list_workflows

    (clean / "listed_mod.py").write_text(
        "from pyworkflow import step, workflow\n"
        "@step(retries=2)\n"
        "async def listed_step() -> int:\n    return 1\n"
        "@step(max_retries=1, retry_delay=[1, 5], timeout=9)\n"
        "async def seed_step() -> int:\n    return 1\n"
        "@workflow(name='listed_flow', tags=['a', 'b'], max_duration='1h')\n"
        'async def listed_flow() -> int:\n    """Does a thing."""\n    return 1\n'
    )
    discover_workflows(module_path="listed_mod")
    meta = get_workflow("listed_flow")
    assert meta is not None
    assert meta.description == "Does a thing."
    assert (meta.tags, meta.max_duration) == (["a", "b"], 3600.0)
    assert "listed_flow" in list_workflows()
    assert get_workflow("nope") is None
    step_meta = get_step("listed_step")
    assert step_meta is not None
    assert step_meta.max_retries == 2
    assert "listed_step" in list_steps()
    assert get_step("nope") is None
    seed = get_step("seed_step")
    assert seed is not None
    assert (seed.max_retries, seed.retry_delay, seed.timeout) == (1, "[1, 5]", 9)
