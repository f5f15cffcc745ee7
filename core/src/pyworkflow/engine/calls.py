"""What workflow code calls: ``sleep``, ``wait_for_hook``, ``start_child``,
``continue_as_new`` and the step context. Each forwards to the running execution's
:class:`~pyworkflow.engine.context.RunContext` (see there for how calls are recorded)."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

from pyworkflow.errors import InvalidInput

from .context import ContinueAsNew, RunContext
from .current_context import user_context
from .durations import instant, seconds_until, to_seconds
from .errors import OutsideWorkflow, WorkflowError
from .registry import get_workflow, lookup_workflow
from .running import _in_step, _run_ctx
from .serializer import decode, encode
from .step_context import InvalidContext, StepContextReadOnly
from .transient import in_transient

__all__ = [
    "PARENT_CLOSE_POLICIES",
    "ChildHandle",
    "continue_as_new",
    "get_step_context",
    "has_step_context",
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
        raise OutsideWorkflow(f"{what} can only be called inside a running @workflow")
    if _in_step.get():
        raise WorkflowError(f"{what} cannot be called inside a step; call it from the workflow")
    return ctx


async def sleep(duration: str | float | timedelta | datetime, name: str | None = None) -> None:
    """Sleep durably: ``"10m"``, ``"1h30m"``, seconds, a ``timedelta``, or until a
    timezone-aware ``datetime``.

    The run is suspended and a timer task is stored; any worker resumes it at the wake time.
    A naive datetime raises :class:`~pyworkflow.engine.durations.NaiveDatetime` (a
    ``TypeError``); one not in the future raises :class:`InvalidInput` (a ``ValueError``),
    checked when the sleep is first recorded (never on replay). ``name`` (optional) is recorded
    as the call's name in its events. Outside a workflow this is ``asyncio.sleep``.
    """
    ctx = _run_ctx.get()
    if ctx is None or _in_step.get():
        mock = user_context()  # a context the user set (MockContext) sleeps its own way
        if mock is not None:
            await mock.sleep(duration)
            return
        until = instant(duration)
        if until is not None:
            await asyncio.sleep(seconds_until(until, datetime.now(UTC)))
        else:
            await asyncio.sleep(to_seconds(duration))  # type: ignore[arg-type]
        return
    await ctx.sleep(duration, name)


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
    if in_transient():
        raise NotImplementedError("a transient (durable=False) run cannot wait for a hook")
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
    if in_transient():
        raise RuntimeError("a transient (durable=False) run cannot start child workflows")
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
    returns.

    At least one argument is required: a restart with the defaults is, for the usual polling
    or batching loop, an endless chain, so ``continue_as_new()`` raises :class:`InvalidInput`
    (a ``ValueError``) in the workflow, which fails the run unless the workflow catches it.
    A cancellation request wins over continuing (this is a checkpoint).
    """
    if not in_transient():
        _workflow_ctx("continue_as_new()").checkpoint()
    if not args and not kwargs:
        raise InvalidInput(
            "continue_as_new() needs the arguments of the next run; with none it would "
            "restart with the defaults forever"
        )
    encode(list(args), "continue_as_new arguments")
    encode(kwargs, "continue_as_new keyword arguments")
    raise ContinueAsNew(args, kwargs)


async def set_step_context(value: Any) -> None:
    """Store ``value`` (JSON-serializable: a dataclass, pydantic model, dict...) durably with
    the run (``WorkflowRun.context``); every later step, on any worker, reads it with
    :func:`get_step_context`. Only the workflow may set it: inside a step it raises
    :class:`StepContextReadOnly` (a ``RuntimeError``). When the workflow declares
    ``context_class``, ``value`` must be an instance of it (else :class:`InvalidContext`, a
    ``TypeError``) and its ``to_dict()`` is stored."""
    ctx = _run_ctx.get()
    if ctx is not None and _in_step.get():
        raise StepContextReadOnly(
            "cannot modify step context within a step: the step context is read-only inside "
            "a step; set it from the workflow"
        )
    ctx = _workflow_ctx("set_step_context()")
    cls = _context_class(ctx)
    if cls is not None:
        if not isinstance(value, cls):
            raise InvalidContext(
                f"this workflow's step context is a {cls.__name__}; got {type(value).__name__}"
            )
        value = value.to_dict()
    await ctx.set_context(value)


def get_step_context() -> Any:
    """A fresh copy of the context set by :func:`set_step_context` (``None`` if none was set):
    an instance of the workflow's ``context_class`` when it declares one.

    Works in steps and in the workflow. Changing the copy changes nothing stored.
    """
    ctx = _run_ctx.get()
    if ctx is None:
        raise WorkflowError("get_step_context() can only be called inside a workflow or step")
    value = decode(ctx.context)
    cls = _context_class(ctx)
    if cls is not None and isinstance(value, dict):
        return cls.from_dict(value)
    return value


def has_step_context() -> bool:
    """True inside a workflow or step whose run has a step context set."""
    ctx = _run_ctx.get()
    return ctx is not None and ctx.context is not None


def _context_class(ctx: RunContext) -> type[Any] | None:
    return lookup_workflow(ctx.run.workflow_name, ctx.run.metadata).context_class
