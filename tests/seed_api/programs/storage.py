"""Storage backends and config dicts, as the predecessor's documentation writes them.

The predecessor's storage classes build a store from its arguments; ``configure(storage=...)``
uses it; ``config_to_storage`` / ``storage_to_config`` convert dicts; ``connect()`` and
``disconnect()`` open and close a store.
"""

from __future__ import annotations

import asyncio
import os
import tempfile

from pyworkflow import (
    FileStorageBackend,
    InMemoryStorageBackend,
    RunStatus,
    configure,
    get_storage,
    start,
    step,
    workflow,
)
from pyworkflow.storage import (
    PostgresStorageBackend,
    SQLiteStorageBackend,
    config_to_storage,
    storage_to_config,
)
from pyworkflow.storage.config import config_to_storage as config_to_storage_by_module_path

# Test harness only: which store the test gives us (a SQLite file or a PostgreSQL database).
SEED = os.environ.pop("SEED_STORAGE_URL")
os.environ.pop("PYWORKFLOW_STORAGE_URL")


@step()
async def add_tax(amount: float) -> float:
    return round(amount * 1.2, 2)


@workflow(name="invoice")
async def invoice(amount: float) -> float:
    return await add_tax(amount)


async def run_on(storage: object) -> None:
    configure(storage=storage)
    assert get_storage() is storage
    run_id = await start(invoice, 10.0)
    run = await get_storage().get_run(run_id)
    assert run is not None
    assert run.status == RunStatus.COMPLETED, run.status


async def run_with_keyword(storage: object) -> None:
    # start(..., storage=) for one call, whatever is configured
    run_id = await start(invoice, 10.0, storage=storage)
    run = await storage.get_run(run_id)
    assert run is not None
    assert run.result == 12.0, run.result


async def main() -> None:
    # The documented constructors, on the store the test gives us.
    if SEED.startswith("sqlite"):
        storage = SQLiteStorageBackend(db_path=SEED.removeprefix("sqlite:///"))
        assert isinstance(storage, SQLiteStorageBackend)
        assert storage_to_config(storage)["type"] == "sqlite"
    else:
        storage = PostgresStorageBackend(dsn=SEED)
        assert isinstance(storage, PostgresStorageBackend)
        assert storage_to_config(storage)["type"] == "postgres"
    await storage.connect()
    await run_with_keyword(storage)
    await run_on(storage)
    await storage.disconnect()

    # A config dict round-trips to the same store.
    again = config_to_storage(storage_to_config(storage))
    assert storage_to_config(again) == storage_to_config(storage)
    assert type(again) is type(storage)

    # File and in-memory stores, and the dict defaults.
    with tempfile.TemporaryDirectory() as folder:
        files = FileStorageBackend(base_path=folder)
        await run_on(files)
        assert storage_to_config(files) == {"type": "file", "base_path": folder}
    memory = InMemoryStorageBackend()
    await run_on(memory)
    assert storage_to_config(memory) == {"type": "memory"}
    assert isinstance(config_to_storage({}), FileStorageBackend)
    assert isinstance(config_to_storage({"type": "memory"}), InMemoryStorageBackend)
    assert isinstance(config_to_storage_by_module_path({"type": "memory"}), InMemoryStorageBackend)
    assert storage_to_config(None) is None

    # Documented errors: unknown types and redis are ValueErrors.
    for bad in ({"type": "redis"}, {"type": "nosuch"}):
        try:
            config_to_storage(bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{bad} was accepted")

    # A password never shows in a store's repr.
    secret = PostgresStorageBackend(host="db.invalid", password="hunter2", database="wf")
    assert "hunter2" not in repr(secret)


asyncio.run(main())
print("ok")
