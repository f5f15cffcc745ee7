"""Workers: claim due tasks with leases and advance the runs they name.

Any number of workers, in any number of processes (or hosts, where the store is
``multi_host``), can share one store: a task is leased to one worker at a time, the lease is
extended while the worker is busy, and a worker that dies simply stops extending it, so the
task becomes claimable again when the lease expires.

Leases are short (:data:`DEFAULT_LEASE`) so that failover is fast; a busy worker renews its
lease (``extend``) when half of it is spent, so a step shorter than that costs no storage call
for the lease. A worker that cannot renew in time (the store refused: another worker holds the
task now; or it could not reach the store before the lease ran out) stops working on the run at
once (fencing): it cancels the execution and writes nothing more for it. Its late writes that
were already on their way are refused by the store: ``complete``/``release``/``extend`` by the
lease token, event appends by ``expected_version``. Every task is a ``resume`` of a run
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
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pyworkflow._ids import new_id
from pyworkflow._validate import check_int, check_seconds
from pyworkflow.errors import LeaseLost, PyWorkflowError, StorageUnavailable
from pyworkflow.models import Lease, Task, utcnow
from pyworkflow.storage import StorageBackend

from .context import RESUME
from .errors import UnsafeSetup, WorkflowNotFound
from .runtime import Engine
from .schedules import SCHEDULE, fire

__all__ = ["DEFAULT_LEASE", "SCOPED_CLAIM", "Accept", "Worker"]

log = logging.getLogger("pyworkflow.worker")

#: Seconds a claim holds without renewal. A killed worker's tasks are claimable again at most
#: this long after its last renewal, so a run resumes within about ``lease + poll``; busy
#: workers renew at half the lease, so a longer lease only delays failover.
DEFAULT_LEASE = 3.0

#: how many due tasks a filtered ``run_once(accept=...)`` claims at a time
SCOPED_CLAIM = 32

#: a filter of claimed tasks: ``True`` to execute the task, ``False`` to give it back
Accept = Callable[[Task], Awaitable[bool]]


class Worker:
    """Claims and runs tasks from ``storage`` (a URL, a backend, or the configured engine's).

    ``concurrency`` tasks run at once; ``lease`` seconds (default :data:`DEFAULT_LEASE`) is
    how long a claim holds without being renewed. While a task runs, its lease is renewed once
    half of it is spent (retried quickly on a transient error); if it cannot be renewed before
    it runs out, by this process's monotonic clock from when the last claim or renewal was
    sent, the execution is cancelled (fencing), so by the time another worker can claim the
    task this one has stopped. A killed worker's tasks are taken over ``lease`` seconds after
    its last renewal at most. ``poll`` is the idle wait between claims. The heartbeat runs on
    the event loop: a step that blocks the loop for longer than half the lease loses it (make
    blocking steps ``async`` or run them in a thread).

    Use ``await worker.run()`` (until :meth:`stop`), ``async with worker:`` (runs in the
    background), or ``await worker.run_once()`` (one claim round, for tests and ``wait``).
    """

    def __init__(
        self,
        storage: str | StorageBackend | Engine | None = None,
        *,
        concurrency: int = 4,
        lease: float = DEFAULT_LEASE,
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
            from .configuration import default_engine

            self.engine = default_engine()
        else:
            if isinstance(storage, str):
                from pyworkflow.registry import resolve
                from pyworkflow.urls import StorageURL

                url = StorageURL.parse(storage)  # shown redacted, never the raw text
                if not resolve(url.scheme).features.multi_process:
                    raise UnsafeSetup(
                        f"Worker('{url}') would open a new, empty store that nobody else "
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

    #: Seconds before a task whose execution hit :class:`StorageUnavailable` is due again;
    #: doubled for each earlier claim of the task, up to a minute. (Tests shorten it.)
    transient_backoff: float = 1.0

    def _transient_due(self, attempts: int) -> datetime:
        delay = min(60.0, self.transient_backoff * 2.0 ** max(0, min(attempts - 1, 10)))
        return utcnow() + timedelta(seconds=delay)

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

    async def run_once(self, *, accept: Accept | None = None) -> int:
        """Claim up to ``concurrency`` due tasks, process them, return how many.

        With ``accept``, up to :data:`SCOPED_CLAIM` due tasks are claimed and those it refuses
        are given back at once, due as before (their ``attempts`` count the claim), so that a
        caller can execute only its own runs' tasks (see ``pyworkflow.engine.scope``). Only
        the accepted ones are counted.
        """
        storage = await self.engine.storage()
        if accept is None:
            leases = await self._claim(storage, self.concurrency)
        else:
            leases = []
            for lease in await self._claim(storage, SCOPED_CLAIM):
                if await accept(lease.task):
                    leases.append(lease)
                    continue
                with contextlib.suppress(PyWorkflowError):  # else it is free at lease expiry
                    await storage.release(lease, due_at=lease.task.due_at)
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
        """Renew ``holder[0]`` each time half of it is spent; cancel ``work`` (fencing) when
        the store says another worker holds the task, or when the lease runs out before a
        renewal got through (a partition, a store that stopped answering)."""
        deadline = self._deadline(holder[0])
        renew_at = deadline - self.lease / 2
        while True:
            await asyncio.sleep(max(renew_at - time.monotonic(), 0.0))
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                async with asyncio.timeout(left):  # an unanswered call must not outlive it
                    renewed = await storage.extend(holder[0], self.lease)
            except LeaseLost:
                reason = "another worker holds it now"
                break
            except TimeoutError:
                reason = f"it ran out before a renewal got through ({self.lease:g}s lease)"
                break
            except PyWorkflowError as exc:  # transient: try again soon, while time is left
                log.warning("worker %s: renewing a lease failed: %s", self.name, exc)
                renew_at = time.monotonic() + min(self.lease / 10, max(left, 0.0) / 2)
                continue
            holder[0] = renewed
            deadline = self._deadline(renewed)
            renew_at = deadline - self.lease / 2
        log.warning(
            "worker %s lost the lease of task %s (%s); abandoning it",
            self.name,
            holder[0].task.id,
            reason,
        )
        work.cancel()

    def _deadline(self, lease: Lease) -> float:
        """When ``lease`` runs out, on the monotonic clock. Its expiry was computed from this
        host's wall clock when the claim or renewal was sent, so this is never later than
        the moment the store lets another worker claim the task (on a host whose clock
        agrees with ours)."""
        left = (lease.expires_at - utcnow()).total_seconds()
        return time.monotonic() + min(left, self.lease)

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
            except StorageUnavailable as exc:
                # The store failed under the execution: not the workflow's doing. Every write
                # an execution makes is redone or repaired by its next replay, so retry soon.
                log.warning(
                    "worker %s: task %s stopped by a storage error (retrying): %s",
                    self.name,
                    lease.task.id,
                    exc,
                )
                due = self._transient_due(lease.task.attempts)
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
            except PyWorkflowError as exc:
                # The task stays leased until its lease expires; then it is claimed again and
                # its (idempotent) execution repeated.
                log.warning(
                    "worker %s: could not complete or release task %s: %s",
                    self.name,
                    lease.task.id,
                    exc,
                )

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
