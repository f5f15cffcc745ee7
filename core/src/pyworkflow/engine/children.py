"""The predecessor's child-workflow API over :func:`~pyworkflow.engine.calls.start_child`.

``start_child_workflow(fn, *args, wait_for_completion=True, **kwargs)`` starts a child and,
by default, waits durably for its result (raising ``ChildWorkflowFailedError``, which is
:class:`~pyworkflow.engine.errors.ChildWorkflowFailed`); with ``wait_for_completion=False``
it returns a :class:`ChildWorkflowHandle`. :func:`get_children` lists a run's children.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from pyworkflow.models import RunFilter, RunStatus, WorkflowRun
from pyworkflow.storage import StorageBackend

from .api import _engine_for, default_engine
from .calls import start_child
from .durations import to_seconds
from .errors import ChildWorkflowFailed
from .running import _in_step, _run_ctx
from .runtime import decoded_run
from .serializer import decode

__all__ = ["ChildWorkflowHandle", "get_children", "start_child_workflow"]

#: how often a handle used outside its parent's execution polls the store (seconds)
POLL = 0.1


@dataclass
class ChildWorkflowHandle:
    """A child started with ``wait_for_completion=False``.

    ``child_id`` is the child's run id (the predecessor derived a separate id from the
    arguments; ours is the run id, so both fields hold the same value). Inside the parent
    workflow, ``await handle.result()`` waits durably (the parent suspends, as
    ``await start_child(...)`` does); elsewhere (a step, a script) it polls the store.
    """

    child_id: str
    child_run_id: str
    child_workflow_name: str
    parent_run_id: str
    _storage: StorageBackend | None = field(default=None, repr=False)

    async def _store(self) -> StorageBackend:
        return self._storage if self._storage is not None else await default_engine().storage()

    async def _run(self) -> WorkflowRun:
        run = await (await self._store()).get_run(self.child_run_id)
        if run is None:
            raise ValueError(f"child run {self.child_run_id} not found")
        return run

    async def get_status(self) -> RunStatus:
        """The child's status now (``ValueError`` if its run is gone)."""
        return (await self._run()).status

    async def is_running(self) -> bool:
        """Pending, running or suspended."""
        return not (await self.get_status()).terminal

    async def is_terminal(self) -> bool:
        """Completed, failed, cancelled (or continued as new)."""
        return (await self.get_status()).terminal

    async def result(self, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """The child's result; :class:`ChildWorkflowFailed` (``ChildWorkflowFailedError``)
        if it failed or was cancelled. Outside the parent's execution: ``TimeoutError``
        after ``timeout`` seconds (``None``: no limit). A child that continued as new is
        followed to the end of its chain."""
        ctx = _run_ctx.get()
        if ctx is not None and not _in_step.get() and ctx.run.id == self.parent_run_id:
            return await ctx.join_child(self.child_run_id, self.child_workflow_name)
        deadline = None if timeout is None else time.monotonic() + to_seconds(timeout)
        while True:
            run = await self._run()
            while run.continued_to:
                self_next = await (await self._store()).get_run(run.continued_to)
                if self_next is None:
                    break
                run = self_next
            if run.status.terminal and run.status is not RunStatus.CONTINUED_AS_NEW:
                if run.status is RunStatus.COMPLETED:
                    return decode(run.result)
                raise ChildWorkflowFailed.from_run(
                    run.id, self.child_workflow_name, run.status.value, run.error
                )
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"child run {self.child_run_id} did not end in {timeout}s")
            await asyncio.sleep(POLL)

    async def cancel(self, reason: str | None = None) -> bool:
        """Request the child's cancellation (as ``cancel``); ``False`` if it had ended."""
        return await _engine_for(self._storage).cancel(self.child_run_id, reason=reason)


async def start_child_workflow(
    workflow_func: Any, *args: Any, wait_for_completion: bool = True, **kwargs: Any
) -> Any:
    """The predecessor's name of :func:`start_child` (inside a workflow).

    ``wait_for_completion=True``: wait durably and return the child's result, raising
    ``ChildWorkflowFailedError`` if it failed or was cancelled. ``False``: return a
    :class:`ChildWorkflowHandle` at once. ``parent_close`` is taken as in ``start_child``;
    every other keyword goes to the child.
    """
    handle = await start_child(workflow_func, *args, **kwargs)
    if wait_for_completion:
        return await handle
    ctx = _run_ctx.get()
    assert ctx is not None  # start_child checked it
    return ChildWorkflowHandle(
        child_id=handle.run_id,
        child_run_id=handle.run_id,
        child_workflow_name=handle.name,
        parent_run_id=ctx.run.id,
        _storage=ctx.storage,
    )


async def get_children(
    run_id: str, status: RunStatus | None = None, *, storage: StorageBackend | None = None
) -> list[WorkflowRun]:
    """The child runs started by ``run_id`` (oldest first), optionally only those with
    ``status``; values decoded as by ``get_run``."""
    store = storage if storage is not None else await default_engine().storage()
    runs: list[WorkflowRun] = []
    cursor: str | None = None
    while True:
        page = await store.list_runs(RunFilter(parent_id=run_id), limit=1000, cursor=cursor)
        runs.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    runs.reverse()
    return [decoded_run(r) for r in runs if status is None or r.status is status]
