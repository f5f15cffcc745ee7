"""Workers: claim due tasks with leases and advance the runs they name.

Any number of workers, in any number of processes (or hosts, where the store is
``multi_host``), can share one store: a task is leased to one worker at a time, the lease is
extended while the worker is busy, and a worker that dies simply stops extending it, so the
task becomes claimable again when the lease expires. Every task is a ``resume`` of a run
(start, timer, retry backoff, hook delivery, child completion) or a ``schedule`` firing; the
run's log, guarded by
``expected_version``, decides what actually happens, so a task run twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from pyworkflow._ids import new_id
from pyworkflow._validate import check_int, check_seconds
from pyworkflow.errors import LeaseLost, PyWorkflowError
from pyworkflow.models import Lease, utcnow
from pyworkflow.storage import StorageBackend

from .context import RESUME
from .errors import UnsafeSetup, WorkflowNotFound
from .runtime import Engine
from .schedules import SCHEDULE, fire

__all__ = ["Worker"]

log = logging.getLogger("pyworkflow.worker")


class Worker:
    """Claims and runs tasks from ``storage`` (a URL, a backend, or the configured engine's).

    ``concurrency`` tasks run at once; ``lease`` seconds is how long a claim holds without
    being extended (it is extended every ``lease / 3`` while a task runs, so a killed worker's
    tasks are taken over ``lease`` seconds later at most); ``poll`` is the idle wait between
    claims. Use ``await worker.run()`` (until :meth:`stop`), ``async with worker:`` (runs in
    the background), or ``await worker.run_once()`` (one claim round, for tests and ``wait``).
    """

    def __init__(
        self,
        storage: str | StorageBackend | Engine | None = None,
        *,
        concurrency: int = 4,
        lease: float = 30.0,
        poll: float = 0.5,
        name: str | None = None,
    ) -> None:
        # InvalidInput (a ValueError) for < 1, nan, infinity, <= 0 and non-numbers.
        check_int(concurrency, "concurrency", 1, 1_000_000)
        check_seconds(lease, "lease")
        check_seconds(poll, "poll")
        if isinstance(storage, Engine):
            self.engine = storage
        elif storage is None:
            from .api import default_engine

            self.engine = default_engine()
        else:
            if isinstance(storage, str):
                from pyworkflow.registry import resolve
                from pyworkflow.urls import StorageURL

                if not resolve(StorageURL.parse(storage).scheme).features.multi_process:
                    raise UnsafeSetup(
                        f"Worker({storage!r}) would open a new, empty store that nobody else "
                        "sees; pass the backend instance your runs use (Worker(backend))"
                    )
            self.engine = Engine(storage, inline=False)
        self.concurrency = concurrency
        self.lease = lease
        self.poll = poll
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{new_id()[-6:]}"
        self.processed = 0
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._busy: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<Worker {self.name} concurrency={self.concurrency} {self.engine!r}>"

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Claim and process tasks until :meth:`stop` is called."""
        self._stop.clear()
        storage = await self.engine.storage()
        try:
            while not self._stop.is_set():
                free = self.concurrency - len(self._busy)
                leases = await self._claim(storage, free) if free else []
                for lease in leases:
                    task = asyncio.create_task(self._process(storage, lease))
                    self._busy.add(task)
                    task.add_done_callback(self._busy.discard)
                if not leases:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.poll)
                elif len(self._busy) >= self.concurrency:
                    await asyncio.wait(self._busy, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if self._busy:
                await asyncio.gather(*self._busy, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim up to ``concurrency`` due tasks, process them, return how many."""
        storage = await self.engine.storage()
        leases = await self._claim(storage, self.concurrency)
        if leases:
            await asyncio.gather(*(self._process(storage, lease) for lease in leases))
        return len(leases)

    async def run_until_idle(self, *, max_rounds: int = 10_000) -> int:
        """Process due tasks until a claim finds none; return how many were processed."""
        total = 0
        for _ in range(max_rounds):
            n = await self.run_once()
            if n == 0:
                break
            total += n
        return total

    def stop(self) -> None:
        """Ask :meth:`run` to return after the tasks in progress finish."""
        self._stop.set()

    async def __aenter__(self) -> Worker:
        self._main = asyncio.create_task(self.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
        if self._main is not None:
            await self._main

    # -- one task ------------------------------------------------------------------------------

    async def _claim(self, storage: StorageBackend, limit: int) -> list[Lease]:
        try:
            return await storage.claim(self.name, lease=self.lease, limit=limit)
        except PyWorkflowError as exc:
            log.warning("worker %s: claim failed: %s", self.name, exc)
            return []

    async def _heartbeat(
        self, storage: StorageBackend, holder: list[Lease], work: asyncio.Task[Any]
    ) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                holder[0] = await storage.extend(holder[0], self.lease)
            except LeaseLost:
                log.warning(
                    "worker %s lost the lease of task %s; abandoning it",
                    self.name,
                    holder[0].task.id,
                )
                work.cancel()
                return
            except PyWorkflowError as exc:
                log.warning("worker %s: extending a lease failed: %s", self.name, exc)

    async def _process(self, storage: StorageBackend, lease: Lease) -> None:
        async with self._slots:
            holder = [lease]
            work = asyncio.create_task(self._handle(lease))
            beat = asyncio.create_task(self._heartbeat(storage, holder, work))
            try:
                due = await work
            except asyncio.CancelledError:
                if not work.done():  # this worker is being stopped: stop the execution too
                    work.cancel()
                    with contextlib.suppress(PyWorkflowError):
                        await storage.release(holder[0])  # hand it over now, not at expiry
                    raise
                if not work.cancelled():
                    raise
                return  # the lease was lost: whoever holds it now finishes the task
            except WorkflowNotFound as exc:
                log.warning("worker %s: %s", self.name, exc)
                due = utcnow() + timedelta(seconds=min(300, 2 ** min(lease.task.attempts, 8)))
            except Exception as exc:
                log.exception("worker %s: task %s failed: %s", self.name, lease.task.id, exc)
                due = utcnow() + timedelta(seconds=min(60, 2 ** min(lease.task.attempts, 6)))
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
            self.processed += 1
            try:
                if due is None:
                    await storage.complete(holder[0])
                else:
                    await storage.release(holder[0], due_at=due)
            except LeaseLost:
                log.info("worker %s: task %s was taken over meanwhile", self.name, lease.task.id)

    async def _handle(self, lease: Lease) -> Any:
        """Do the task; return ``None`` to complete it or a due time to give it back."""
        task = lease.task
        if task.kind == SCHEDULE:
            await fire(await self.engine.storage(), task)
            return None
        if task.kind != RESUME:
            log.warning(
                "worker %s: unknown task kind %r (task %s); retrying it later",
                self.name,
                task.kind,
                task.id,
            )
            return utcnow() + timedelta(minutes=5)
        outcome = await self.engine.execute(task.run_id)
        if outcome.status == "conflict":
            return utcnow() + timedelta(milliseconds=200)
        for wakeup in outcome.wakeups:
            # This very task is the run's wake-up and is not due yet by this host's clock:
            # completing it would delete the only timer, so hand it back for that time.
            if wakeup.id == task.id:
                return wakeup.due_at
        return None
