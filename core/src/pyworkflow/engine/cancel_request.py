"""``Engine.cancel``: storing a run's cancellation request so that it is delivered once.

The request is an event (``cancellation.requested``) appended under the log's version and a
task due now; a safety-net task is stored first, so a crash between the two still leaves a
worker to deliver it. Every step can be repeated after a crash or a lost acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING

from pyworkflow.errors import ConflictError, StorageError
from pyworkflow.models import NewEvent, Task, utcnow

from .errors import WorkflowError, WorkflowNotFoundError
from .events import TERMINAL_EVENTS
from .running import _run_ctx
from .signals import RESUME, START_SAFETY_NET
from .workflow_context import notify_cancellation

if TYPE_CHECKING:
    from .runtime import Engine

__all__ = ["request_cancel"]

log = logging.getLogger("pyworkflow.engine")


async def request_cancel(
    engine: Engine, run_id: str, *, reason: str | None = None, execute: bool | None = None
) -> bool:
    """Request the run's cancellation; ``False`` if it had already ended.

    Appends ``cancellation.requested`` (a request no execution has seen yet is not
    repeated) and stores a task due now, so a worker (or, with ``execute``, this call;
    default: inline engines outside a workflow) executes the run: its workflow code
    gets :class:`CancellationError` at its next checkpoint, also when it was suspended
    (sleeping, waiting on a hook or child), so its cleanup runs. Calling it again after
    a crash midway is safe. :class:`WorkflowNotFoundError` for an unknown run.
    """
    storage = await engine.storage()
    for _ in range(50):
        run = await storage.get_run(run_id)
        if run is None:
            raise WorkflowNotFoundError(run_id)
        version = await storage.version(run_id)
        last = await storage.read(run_id, after=version - 1) if version else []
        if last and last[0].type in TERMINAL_EVENTS:
            await engine.finalize(run, last[0].type, last[0].data)
            return False
        if run.status.terminal:
            return False
        # a safety net stored first: if this process stops after the append, a worker
        # still executes the run and delivers the request
        await storage.enqueue(_cancel_task(run_id, "cancel-net", START_SAFETY_NET))
        # A request at the end of the log that no execution has handled since (the run
        # row is updated whenever one starts) is not repeated: a retried cancel() after
        # a lost acknowledgement adds nothing. One an execution has seen (and the
        # workflow swallowed) is spent: this is a new request.
        unseen = (
            last
            and last[0].type == "cancellation.requested"
            and run.updated_at <= last[0].timestamp
        )
        if not unseen:
            data = {
                "reason": reason,
                "requested_by": "cancel",
                "requested_at": utcnow().isoformat(),
            }
            try:
                await storage.append(
                    run_id,
                    [NewEvent(type="cancellation.requested", data=data)],
                    expected_version=version,
                )
            except ConflictError:
                await asyncio.sleep(random.uniform(0, 0.02))
                continue
            notify_cancellation(run_id, reason)  # an execution running here sees it now
        await storage.enqueue(_cancel_task(run_id, "cancel", timedelta(0)))
        break
    else:
        raise ConflictError(f"could not cancel run {run_id}: its log kept moving")
    if execute is None:
        execute = engine.inline and _run_ctx.get() is None
    if execute:
        try:
            await engine.execute(run_id)
        except (StorageError, WorkflowError) as exc:
            # the request is stored and its task is due: a worker delivers it
            log.warning("run %s: cancellation left to a worker: %s", run_id, exc)
    return True


def _cancel_task(run_id: str, key: str, delay: timedelta) -> Task:
    return Task(id=f"{run_id}:{key}", run_id=run_id, kind=RESUME, due_at=utcnow() + delay)
