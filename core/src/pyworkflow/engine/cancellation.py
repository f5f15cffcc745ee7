"""Cancellation as workflow code sees it, and what a run's end does to its children.

``cancel(run_id)`` appends ``cancellation.requested`` to the run's log and stores a task
due now (:meth:`pyworkflow.engine.runtime.Engine.cancel`). The next execution of the run
raises :class:`~pyworkflow.engine.errors.CancellationError` at the workflow's next
checkpoint: a durable call the log does not already answer (a step, ``sleep``, a hook
wait, starting or awaiting a child, ``continue_as_new``). A run that was suspended is woken
for it, so its compensation runs; it is never marked cancelled without running.
``async with shield():`` keeps checkpoints inside the block from raising; the request then
fires at the first checkpoint after it. If the error escapes, the run ends ``cancelled``
(``workflow.cancelled``, ``cleanup_completed=True``); if the workflow swallows it, the run
continues normally.

Parent-close policy: when a run ends (completed, failed, cancelled or continued as new),
each child started with ``parent_close="cancel"`` (the default) that is still running is
named in a ``child_workflow.cancelled`` event appended with the parent's terminal event,
and the engine's bookkeeping after it (repeated until done) requests that child's
cancellation. ``parent_close="abandon"`` children run on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from pyworkflow.models import NewEvent, RunStatus, WorkflowRun, utcnow

from .context import RunContext
from .running import _in_step, _run_ctx

if TYPE_CHECKING:
    pass

__all__ = ["DEFAULT_WAIT", "closing_children", "shield"]

#: how long ``cancel(..., wait=True)`` waits by default (seconds)
DEFAULT_WAIT = 60.0


@asynccontextmanager
async def shield() -> AsyncIterator[None]:
    """``async with shield():`` -- checkpoints inside the block do not raise
    :class:`CancellationError`; a pending request fires at the first checkpoint after the
    block. Nested shields work (the outermost one ends the protection). Outside a workflow
    (or inside a step) it does nothing.

    It protects the whole execution, so code running concurrently with the block (other
    branches of an ``asyncio.gather``) is shielded while it lasts too.
    """
    ctx = None if _in_step.get() else _run_ctx.get()
    if ctx is None:
        from .current_context import user_context

        mock = user_context()  # a context the user set (MockContext): block its checks
        previous = getattr(mock, "_cancellation_blocked", None)
        if mock is not None and previous is not None:
            mock._cancellation_blocked = True
        try:
            yield
        finally:
            if mock is not None and previous is not None:
                mock._cancellation_blocked = previous
        return
    ctx.shielded += 1
    try:
        yield
    finally:
        ctx.shielded -= 1


async def _chain_end(ctx: RunContext, run_id: str) -> WorkflowRun | None:
    run = await ctx.io(ctx.storage.get_run(run_id))
    while run is not None and run.continued_to:
        run = await ctx.io(ctx.storage.get_run(run.continued_to))
    return run


async def closing_children(ctx: RunContext, status: RunStatus) -> list[NewEvent]:
    """The ``child_workflow.cancelled`` events (``kind="close"``) for this run's children
    that its end cancels: started with ``parent_close="cancel"``, not awaited to their end,
    and not terminal now (a child that continued as new is judged by its chain's last run,
    which is the one cancelled)."""
    events: list[NewEvent] = []
    for child_id, policy in ctx.children.items():
        if policy != "cancel" or child_id in ctx.joined:
            continue
        child = await _chain_end(ctx, child_id)
        if child is None or child.status.terminal:
            continue
        events.append(
            NewEvent(
                type="child_workflow.cancelled",
                data={
                    "kind": "close",
                    "child_id": child_id,
                    "child_run_id": child.id,
                    "reason": f"Parent workflow {ctx.run.id} {status.value}",
                    "cancelled_at": utcnow().isoformat(),
                },
            )
        )
    return events
