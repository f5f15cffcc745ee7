"""What workflow code calls: ``sleep``, ``wait_for_hook``, ``start_child``,
``continue_as_new`` and the step context. Each forwards to the running execution's
:class:`~pyworkflow.engine.context.RunContext` (see there for how calls are recorded)."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
from typing import Any

from pyworkflow.errors import InvalidInput

from .context import ContinueAsNew, RunContext, _in_step, _run_ctx
from .durations import to_seconds
from .errors import WorkflowError
from .registry import get_workflow
from .serializer import decode, encode

__all__ = [
    "PARENT_CLOSE_POLICIES",
    "ChildHandle",
    "continue_as_new",
    "get_step_context",
    "set_step_context",
    "sleep",
    "start_child",
    "wait_for_hook",
]


class ChildHandle:
    """A started child run. ``await handle`` (or ``await handle.result()``) waits durably for
    it to end and returns its result, raising :class:`ChildWorkflowFailed` if it failed or was
    cancelled."""

    def __init__(self, ctx: RunContext, run_id: str, name: str) -> None:
        self._ctx = ctx
        self.run_id = run_id
        self.name = name

    async def result(self) -> Any:
        return await self._ctx.join_child(self.run_id, self.name)

    def __await__(self) -> Generator[Any, None, Any]:
        return self.result().__await__()

    def __repr__(self) -> str:
        return f"<ChildHandle {self.name} {self.run_id}>"


def _workflow_ctx(what: str) -> RunContext:
    ctx = _run_ctx.get()
    if ctx is None:
        raise WorkflowError(f"{what} can only be called inside a running @workflow")
    if _in_step.get():
        raise WorkflowError(f"{what} cannot be called inside a step; call it from the workflow")
    return ctx


async def sleep(duration: str | float | timedelta) -> None:
    """Sleep durably: ``"10m"``, ``"1h30m"``, seconds, or a ``timedelta``.

    The run is suspended and a timer task is stored; any worker resumes it at the wake time.
    Outside a workflow this is ``asyncio.sleep``.
    """
    ctx = _run_ctx.get()
    if ctx is None or _in_step.get():
        await asyncio.sleep(to_seconds(duration))
        return
    await ctx.sleep(duration)


async def wait_for_hook(
    name: str,
    *,
    timeout: str | float | timedelta | None = None,  # noqa: ASYNC109
) -> Any:
    """Wait durably for an outside payload delivered with ``resume_hook(token, payload)``.

    The token is recorded in a ``hook.created`` event (``data.token``) before the run
    suspends; ``pending_hooks(run_id)`` lists a run's open hooks. With ``timeout``,
    :class:`HookTimeout` is raised in the workflow when it passes without a payload.
    """
    return await _workflow_ctx("wait_for_hook()").wait_for_hook(name, timeout)


#: what happens to a child still running when its parent ends (completes, fails, is
#: cancelled or continues as new): "cancel" requests its cancellation, "abandon" lets it run
PARENT_CLOSE_POLICIES = ("cancel", "abandon")


async def start_child(
    fn: Any, *args: Any, parent_close: str = "cancel", **kwargs: Any
) -> ChildHandle:
    """Start ``fn`` as a child run of this workflow; ``await`` the handle for its result.

    ``parent_close`` (keyword only, not passed to the child): ``"cancel"`` (default) cancels
    the child, through the same durable cancellation as :func:`cancel`, when this run ends
    while the child still runs; ``"abandon"`` lets it run on. A run at nesting depth 3 (a
    root run is 0) cannot start a child: :class:`MaxNestingDepthError`.
    """
    ctx = _workflow_ctx("start_child()")
    if parent_close not in PARENT_CLOSE_POLICIES:
        raise InvalidInput(
            f"parent_close must be one of {PARENT_CLOSE_POLICIES}, not {parent_close!r}"
        )
    definition = get_workflow(fn)
    child_id = await ctx.start_child(fn, args, kwargs, parent_close)
    return ChildHandle(ctx, child_id, definition.name)


def continue_as_new(*args: Any, **kwargs: Any) -> None:
    """End this run now (status ``continued_as_new``) and start a fresh run of the same
    workflow with these arguments and an empty log, carrying the step context over. Never
    returns."""
    # a cancellation request wins over continuing (the run's checkpoint)
    _workflow_ctx("continue_as_new()").checkpoint()
    encode(list(args), "continue_as_new arguments")
    encode(kwargs, "continue_as_new keyword arguments")
    raise ContinueAsNew(args, kwargs)


async def set_step_context(value: Any) -> None:
    """Store ``value`` (JSON-serializable: a dataclass, pydantic model, dict...) durably with
    the run (``WorkflowRun.context``); every later step, on any worker, reads it with
    :func:`get_step_context`. Only the workflow may set it; inside a step it is read-only."""
    ctx = _run_ctx.get()
    if ctx is not None and _in_step.get():
        raise WorkflowError("the step context is read-only inside a step")
    await _workflow_ctx("set_step_context()").set_context(value)


def get_step_context() -> Any:
    """A fresh copy of the context set by :func:`set_step_context` (``None`` if none was set).

    Works in steps and in the workflow. Changing the copy changes nothing stored.
    """
    ctx = _run_ctx.get()
    if ctx is None:
        raise WorkflowError("get_step_context() can only be called inside a workflow or step")
    return decode(ctx.context)
