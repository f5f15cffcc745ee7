"""Driving a run to its end through a worker on a faulty backend (the fault tests' loop).

The worker's transient backoff is short; a simulated kill (``Killed``) stops only the
execution it hit: its lease runs out, then another claim retries the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pyworkflow import StorageBackend, Worker
from pyworkflow.engine.runtime import Engine
from pyworkflow_conformance.faulty import Killed

__all__ = ["drive", "finish"]


async def drive(engine: Engine, ended: Callable[[], Awaitable[bool]], lease: float = 0.3) -> None:
    """Work ``engine``'s tasks until ``ended()`` (checked before each round) says so."""
    worker = Worker(engine, poll=0.01, lease=lease)
    worker.transient_backoff = 0.01
    async with asyncio.timeout(20):
        while not await ended():
            try:
                if not await worker.run_once():
                    await asyncio.sleep(0.01)
            except Killed:
                pass


async def finish(engine: Engine, store: StorageBackend, run_id: str) -> None:
    """Drive ``run_id`` until it is terminal. ``store`` is the real backend, so watching the
    run adds no call to the faulty one."""

    async def ended() -> bool:
        run = await store.get_run(run_id)
        assert run is not None
        return run.status.terminal

    await drive(engine, ended)
