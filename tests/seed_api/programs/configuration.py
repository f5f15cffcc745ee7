"""Configuration, as the predecessor's documentation writes it.

A ``pyworkflow.config.yaml`` in the working directory names the storage, the runtime and the
workflow module; ``configure(**keys)``, ``get_config()``, ``get_storage()``,
``reset_config()`` and ``configure_from_yaml()`` work on it; discovery imports the module.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from pathlib import Path

import yaml
from pyworkflow import (
    DiscoveryError,
    RunStatus,
    configure,
    configure_from_yaml,
    discover_workflows,
    get_config,
    get_storage,
    get_workflow,
    list_workflows,
    reset_config,
    start,
)
from pyworkflow.storage import storage_to_config
from pyworkflow.storage.config import url_to_config

# Test harness only: the store the test gives us, written into the config file the docs show;
# the environment variable is dropped so that the file (not the environment) chooses it.
STORAGE = url_to_config(os.environ.pop("PYWORKFLOW_STORAGE_URL"))
Path("pyworkflow.config.yaml").write_text(
    yaml.safe_dump({"module": "order_flows", "runtime": "local", "storage": STORAGE})
)
Path("order_flows.py").write_text(
    "from pyworkflow import step, workflow\n\n"
    "@step()\n"
    "async def charge(amount: int) -> int:\n"
    "    return amount * 2\n\n"
    "@workflow(name='process_order')\n"
    "async def process_order(amount: int) -> int:\n"
    '    """Charge an order."""\n'
    "    return await charge(amount)\n"
)
Path("broken.yaml").write_text("module: no_such_module_anywhere\n")
Path("bad_syntax.yaml").write_text("storage: [unclosed\n")


async def main() -> None:
    # The first get_config() reads ./pyworkflow.config.yaml.
    config = get_config()
    assert config.default_runtime == "local", config
    assert storage_to_config(config.storage) == STORAGE, storage_to_config(config.storage)

    # discover_workflows() with no argument imports the file's `module`.
    discover_workflows()
    assert "process_order" in list_workflows()
    assert get_workflow("process_order").description == "Charge an order."
    from order_flows import process_order  # type: ignore[import-not-found]

    run_id = await start(process_order, 21)
    storage = get_storage()
    await storage.connect()
    run = await storage.get_run(run_id)
    assert run is not None
    assert run.status == RunStatus.COMPLETED, run.status
    await storage.disconnect()

    # configure(**keys): known keys change the defaults, an unknown one is a ValueError.
    configure(default_durable=True, default_retries=5)
    assert get_config().default_retries == 5
    assert storage_to_config(get_config().storage) == STORAGE  # the file's store is kept
    try:
        configure(no_such_option=1)
    except ValueError as exc:
        message = str(exc)
    else:
        raise AssertionError("an unknown key was accepted")
    assert "no_such_option" in message, message
    assert get_config().default_retries == 5  # nothing changed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        configure(event_soft_limit=5000)
    assert any(issubclass(w.category, UserWarning) for w in caught)

    # reset_config() drops everything; configure_from_yaml() replaces it from a file.
    reset_config()
    assert get_config().default_retries == 3
    configure(default_retries=7)
    configure_from_yaml("pyworkflow.config.yaml")
    assert get_config().default_retries == 3
    try:
        configure_from_yaml("missing.yaml")
    except FileNotFoundError:
        pass
    else:
        raise AssertionError("a missing file was accepted")
    try:
        configure_from_yaml("bad_syntax.yaml")
    except ValueError:
        pass
    else:
        raise AssertionError("a file that is not YAML was accepted")
    try:
        configure_from_yaml("broken.yaml")
    except DiscoveryError:
        pass
    else:
        raise AssertionError("a module that does not import was accepted")

    # runtime: celery queues runs for workers instead of running them here.
    reset_config()
    configure(default_runtime="celery")
    queued = await start(process_order, 1)
    storage = get_storage()
    await storage.connect()
    queued_run = await storage.get_run(queued)
    assert queued_run is not None
    assert queued_run.status == RunStatus.PENDING, queued_run.status
    await storage.disconnect()


asyncio.run(main())
print("ok")
