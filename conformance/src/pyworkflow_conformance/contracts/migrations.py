"""Contract area 'migrations': connect() creates the schema, and re-opening never hurts.

The predecessor's fresh PostgreSQL database could not be initialised (a migration altered a
table created later), and its migrations ran without a lock. Here, on a store with a
versioned schema (``features.migrations``):

- ``connect()`` on an empty store creates everything; a second ``connect()``, a reconnect of
  the same instance and a new instance are no-ops that keep every row;
- several instances in one process, and four *processes*, opening one empty store at the same
  moment all succeed and leave one working schema (its unique keys still decide races).

These tests use ``backend_url`` (not the ``backend`` fixture, which would create the schema
before the test starts). Upgrades from each earlier schema version are specific to a
backend's migration list and are tested in that backend's own tests.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest
from pyworkflow import ConflictError, NewEvent, StorageBackend
from pyworkflow.models import RunStatus

from pyworkflow_conformance.helpers import aio, events, make_run, make_task, require, uid

__all__ = ["MigrationsContract"]

# One opener process. argv: url, run id, start time (epoch seconds; all four wait for it so
# their connects overlap). Prints "ok <version>" once its writes are acknowledged.
_OPENER = r"""
import asyncio, sys, time
from pyworkflow import NewEvent, StorageBackend, WorkflowRun

async def main(url, run_id, start):
    time.sleep(max(0.0, start - time.time()))
    backend = StorageBackend.from_url(url)
    async with backend:
        batch = [NewEvent(type="opened", data={"n": i}) for i in range(3)]
        version = await backend.append(run_id, batch, expected_version=0)
        await backend.create_run(WorkflowRun(id=run_id, workflow_name="migrations"))
    print("ok", version, flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""


def _unconnected(url: str) -> StorageBackend:
    """An instance for reading ``features`` without touching the store."""
    return StorageBackend.from_url(url)


class MigrationsContract:
    """Schema creation at connect, idempotent re-opening, concurrent first opens."""

    area = "migrations"

    @aio
    async def test_connect_creates_schema_and_reopen_keeps_data(self, backend_url: str) -> None:
        first = _unconnected(backend_url)
        require(first, "migrations")
        run = make_run()
        task = make_task(run_id=run.id)
        async with first:
            assert await first.append(run.id, events(2), expected_version=0) == 2
            await first.create_run(run)
            assert await first.enqueue(task)
            await first.connect()  # connect() is idempotent on an open instance
            assert await first.version(run.id) == 2
        # The same instance again: the schema exists, connect() must only check it.
        async with first:
            assert await first.version(run.id) == 2
        # A new instance on the same store sees everything and can keep writing.
        second = _unconnected(backend_url)
        async with second:
            stored = await second.read(run.id)
            assert [e.sequence for e in stored] == [1, 2]
            assert await second.get_run(run.id) == run
            assert not await second.enqueue(task)  # still there
            assert await second.append(run.id, events(1), expected_version=2) == 3
            with pytest.raises(ConflictError):
                await second.append(run.id, events(1), expected_version=2)

    @aio
    async def test_instances_in_one_process_open_an_empty_store_at_once(
        self, backend_url: str
    ) -> None:
        require(_unconnected(backend_url), "migrations")
        stores = [_unconnected(backend_url) for _ in range(4)]
        try:
            await asyncio.gather(*(s.connect() for s in stores))
            run_ids = [uid("mig") for _ in stores]
            for store, run_id in zip(stores, run_ids, strict=True):
                assert await store.append(run_id, events(1), expected_version=0) == 1
            for store in stores:
                for run_id in run_ids:
                    assert await store.version(run_id) == 1
        finally:
            for store in stores:
                await store.close()

    @aio
    async def test_four_processes_open_an_empty_store_at_once(self, backend_url: str) -> None:
        probe = _unconnected(backend_url)
        require(probe, "migrations", "multi_process")
        run_ids = [uid("proc") for _ in range(4)]
        start = time.time() + 1.0
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _OPENER,
                backend_url,
                run_id,
                repr(start),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=dict(os.environ),
            )
            for run_id in run_ids
        ]
        outputs = await asyncio.wait_for(
            asyncio.gather(*(p.communicate() for p in procs)), timeout=180
        )
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
            assert out.decode().split() == ["ok", "3"]
        async with probe:
            for run_id in run_ids:
                stored = await probe.read(run_id)
                assert [e.sequence for e in stored] == [1, 2, 3]
                run = await probe.get_run(run_id)
                assert run is not None
                assert run.status is RunStatus.PENDING
            # One working schema: its unique keys still decide a race on one run.
            target = run_ids[0]
            outcomes = await asyncio.gather(
                *(
                    probe.append(target, [NewEvent(type="race")], expected_version=3)
                    for _ in range(8)
                ),
                return_exceptions=True,
            )
            assert sum(1 for o in outcomes if o == 4) == 1, outcomes
            assert all(o == 4 or isinstance(o, ConflictError) for o in outcomes), outcomes
            assert [e.sequence for e in await probe.read(target)] == [1, 2, 3, 4]
