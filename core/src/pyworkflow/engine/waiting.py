"""Waiting for a run to end (``cancel(wait=True)``): its own module because it drives a
:class:`~pyworkflow.engine.worker.Worker` on an inline engine, and the cancellation module
must not import the worker (the worker imports the schedules, which cancel runs)."""

from __future__ import annotations

import asyncio
import time

from pyworkflow.models import WorkflowRun

from .cancellation import DEFAULT_WAIT
from .durations import to_seconds
from .errors import WaitTimeout, WorkflowNotFoundError
from .runtime import Engine
from .worker import Worker

__all__ = ["wait_until_terminal"]


async def wait_until_terminal(
    engine: Engine,
    run_id: str,
    timeout: float | None = None,  # noqa: ASYNC109 - the public API's name
) -> WorkflowRun:
    """Wait until ``run_id`` is terminal (default at most :data:`DEFAULT_WAIT` seconds, then
    :class:`WaitTimeout`, a ``TimeoutError``); an inline engine processes due tasks while
    waiting, so the cancellation is delivered without a worker."""
    limit = DEFAULT_WAIT if timeout is None else to_seconds(timeout)
    storage = await engine.storage()
    worker = Worker(engine, concurrency=4, poll=0.05) if engine.inline else None
    deadline = time.monotonic() + limit
    delay = 0.05
    while True:
        run = await storage.get_run(run_id)
        if run is None:
            raise WorkflowNotFoundError(run_id)
        if run.status.terminal:
            return run
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"run {run_id} is still {run.status.value} after {limit}s")
        if worker is not None and await worker.run_once():
            delay = 0.05
            continue
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)
