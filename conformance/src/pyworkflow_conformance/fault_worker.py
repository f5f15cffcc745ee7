"""A worker process that SIGKILLs itself before its k-th storage call (the conformance area
'faults' starts it): ``python -m pyworkflow_conformance.fault_worker URL K LEASE MODULE``.

``MODULE`` is imported first (the workflows); every storage call the worker makes counts.
"""

from __future__ import annotations

import asyncio
import importlib
import sys

from pyworkflow import StorageBackend, Worker
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.faulty import Fault, FaultyBackend, Life

__all__ = ["main"]


async def main(url: str, at: int, lease: float) -> None:
    """Run a worker on ``url`` until the SIGKILL before its ``at``-th storage call."""
    inner = StorageBackend.from_url(url)
    async with inner:
        faulty = FaultyBackend(inner, Life("process", Fault("sigkill", at=at)))
        await Worker(Engine(faulty, inline=False), concurrency=1, lease=lease, poll=0.02).run()


if __name__ == "__main__":
    importlib.import_module(sys.argv[4])
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
