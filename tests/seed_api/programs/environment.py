"""The configuration keys and their defaults, ``pyworkflow.config.yaml`` (``modules``,
``runtime: celery``, the ``celery`` block, the working directory only) and the environment
variables, as the predecessor's documentation writes them."""

import asyncio
import os
from pathlib import Path

import yaml
from pyworkflow import (
    RunStatus,
    configure,
    discover_workflows,
    get_config,
    get_workflow_run,
    list_workflows,
    reset_config,
    start,
)
from pyworkflow.storage import storage_to_config
from pyworkflow.storage.config import url_to_config

# Test harness only: the store the test gives us goes into the config file below; the
# environment variable is dropped so that each source is seen on its own.
STORAGE = url_to_config(os.environ.pop("PYWORKFLOW_STORAGE_URL"))
os.environ.pop("SEED_STORAGE_URL")

for module in ("env_flows", "more_flows", "other_flows", "yaml_flows"):
    Path(f"{module}.py").write_text(
        "from pyworkflow import workflow\n\n"
        "@workflow()\n"
        f"async def {module.replace('flows', 'echo')}(value: int) -> int:\n"
        "    return value\n"
    )


def write_config_file() -> None:
    Path("pyworkflow.config.yaml").write_text(
        "runtime: celery\n"
        "modules:\n"
        "  - yaml_flows\n"
        "celery:\n"
        "  broker: redis://localhost:6379/0\n"
        "  result_backend: redis://localhost:6379/1\n" + yaml.safe_dump({"storage": STORAGE})
    )


async def main() -> None:
    # §5.1 the keys and their documented defaults (no file, no environment)
    config = get_config()
    assert config.default_runtime == "local"
    assert config.default_retries == 3
    assert config.default_recover_on_worker_loss is None
    assert config.default_max_recovery_attempts == 3
    assert config.celery_broker is None
    assert config.aws_region is None
    assert config.event_soft_limit == 10000
    assert config.event_hard_limit == 50000
    assert config.event_warning_interval == 100
    configure(
        celery_broker="redis://localhost:6379/0",
        aws_region="eu-west-1",
        default_recover_on_worker_loss=False,
        default_max_recovery_attempts=5,
    )
    config = get_config()
    assert (config.celery_broker, config.aws_region) == ("redis://localhost:6379/0", "eu-west-1")
    assert config.default_recover_on_worker_loss is False
    assert config.default_max_recovery_attempts == 5
    reset_config()

    # configure(module=...) imports the workflows of that module
    configure(module="env_flows")
    assert "env_echo" in list_workflows()
    from env_flows import env_echo  # type: ignore[import-not-found]

    # default_durable is the fallback of @workflow(durable=None): False makes runs transient
    configure(default_durable=False)
    assert await get_workflow_run(await start(env_echo, 3)) is None  # nothing stored
    reset_config()

    # PYWORKFLOW_STORAGE_BACKEND and PYWORKFLOW_STORAGE_PATH choose the store
    os.environ["PYWORKFLOW_STORAGE_BACKEND"] = "sqlite"
    os.environ["PYWORKFLOW_STORAGE_PATH"] = "env_store.db"
    chosen = storage_to_config(get_config().storage)
    assert chosen == {"type": "sqlite", "base_path": "env_store.db"}, chosen

    assert (await get_workflow_run(await start(env_echo, 1))).result == 1
    assert "env_store.db" in os.listdir()
    del os.environ["PYWORKFLOW_STORAGE_BACKEND"], os.environ["PYWORKFLOW_STORAGE_PATH"]
    reset_config()

    # PYWORKFLOW_RUNTIME chooses the runtime
    os.environ["PYWORKFLOW_RUNTIME"] = "celery"
    assert get_config().default_runtime == "celery"
    del os.environ["PYWORKFLOW_RUNTIME"]
    reset_config()

    # PYWORKFLOW_DISCOVER: comma-separated modules for discover_workflows()
    os.environ["PYWORKFLOW_DISCOVER"] = "more_flows,other_flows"
    discover_workflows()
    assert {"more_echo", "other_echo"} <= set(list_workflows())
    del os.environ["PYWORKFLOW_DISCOVER"]

    # §5.2 the file: modules (a list), runtime: celery (durable by default), celery block
    write_config_file()
    reset_config()
    config = get_config()
    assert config.default_runtime == "celery"
    assert config.default_durable is True
    assert config.celery_broker == "redis://localhost:6379/0"
    discover_workflows()
    assert "yaml_echo" in list_workflows()
    from yaml_flows import yaml_echo  # type: ignore[import-not-found]

    queued = await get_workflow_run(await start(yaml_echo, 2))
    assert queued.status == RunStatus.PENDING  # runtime celery: queued for workers

    # only the working directory's file is read: not read from a parent folder
    os.mkdir("sub")
    os.chdir("sub")
    reset_config()
    assert get_config().default_runtime == "local"
    print("environment: ok")


if __name__ == "__main__":
    asyncio.run(main())
