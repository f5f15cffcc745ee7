"""The durable calls that wait: ``sleep``, ``wait_for_hook``, and starting and joining a
child run, as functions of the execution's :class:`~.context.RunContext` (whose methods of
the same names call them).

Each takes the next position, answers from the recorded events when the log has them, and
otherwise records what it starts, then either returns or raises :class:`~.signals.Suspend`
with a wake-up registered (a timer, a hook's expiry). Storage calls go through
``ctx.io``, so a failing store abandons the execution rather than failing the workflow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pyworkflow._ids import new_id
from pyworkflow.codec import from_micros
from pyworkflow.errors import ConflictError
from pyworkflow.models import Hook, HookStatus, RunStatus, Task, WorkflowRun

from .durations import instant, seconds_until, to_seconds, wake_time
from .errors import MAX_NESTING_DEPTH, ChildWorkflowFailed, HookTimeout, MaxNestingDepthError
from .events import CHILD_OUTCOME, EventType
from .registry import get_workflow
from .serializer import decode
from .signals import RESUME, Abandon, Suspend, encode_input, micros

if TYPE_CHECKING:
    from .context import RunContext

__all__ = ["join_child", "sleep", "start_child", "wait_for_hook"]


async def sleep(
    ctx: RunContext, duration: str | float | timedelta | datetime, name: str | None = None
) -> None:
    until = instant(duration)
    seconds = 0.0 if until is not None else to_seconds(duration)  # type: ignore[arg-type]
    label = name or "sleep"
    pos, recorded = ctx.next_pos("sleep", label)
    if any(e.type == "sleep.completed" for e in recorded):
        return
    ctx.checkpoint()
    now = ctx.now()
    if until is not None and not recorded:
        # only when first recorded: a replay uses the recorded wake time, so a target that
        # has passed since then is not an error
        seconds = seconds_until(until, now)
    if recorded:
        wake = from_micros(recorded[0].data["wake_at"])
    else:
        wake = wake_time(now, seconds)
        started = ctx.event(
            "sleep.started", pos, "sleep", label, seconds=seconds, wake_at=micros(wake)
        )
        if seconds == 0:
            await ctx.append(started, ctx.event("sleep.completed", pos, "sleep", label))
            return
        await ctx.append(started)
    if now >= wake:
        await ctx.append(ctx.event("sleep.completed", pos, "sleep", label))
        return
    ctx.wake_at(f"sleep:{pos}", wake)
    raise Suspend()


async def wait_for_hook(
    ctx: RunContext,
    name: str,
    timeout: str | float | timedelta | None,  # noqa: ASYNC109
    schema: Any = None,
) -> Any:
    """``schema``: the payload's JSON schema, stored on the hook row (``Hook.schema``)."""
    pos, recorded = ctx.next_pos("hook", name)
    for e in recorded:
        if e.type == "hook.received":
            return decode(e.data["payload"])
        if e.type == "hook.expired":
            raise HookTimeout(f"hook {name!r} timed out")
    ctx.checkpoint()
    now = ctx.now()
    hook: Hook | None
    if recorded:
        token = recorded[0].data["token"]
        exp = recorded[0].data.get("expires_at")
        expires = None if exp is None else from_micros(exp)
        hook = await ctx.io(ctx.storage.get_hook(token))
    else:
        token = Hook(run_id=ctx.run.id, name=name).token
        expires = None if timeout is None else wake_time(now, to_seconds(timeout))
        # The token is in the log before the hook exists, so it can never be lost: a
        # replay after a crash here finds it and creates the hook then.
        await ctx.append(
            ctx.event(
                "hook.created",
                pos,
                "hook",
                name,
                token=token,
                expires_at=None if expires is None else micros(expires),
            )
        )
        hook = None
    if hook is None:
        hook = Hook(token=token, run_id=ctx.run.id, name=name, expires_at=expires, schema=schema)
        try:
            await ctx.io(ctx.storage.create_hook(hook))
        except Abandon as abandon:
            if not isinstance(abandon.error, ConflictError):
                raise
            # created by an earlier execution whose acknowledgement was lost
            hook = await ctx.io(ctx.storage.get_hook(token))
    if hook is not None and hook.status is HookStatus.RECEIVED:
        await ctx.append(ctx.event("hook.received", pos, "hook", name, payload=hook.payload))
        return decode(hook.payload)
    if expires is not None and now >= expires:
        await ctx.append(ctx.event("hook.expired", pos, "hook", name))
        raise HookTimeout(f"hook {name!r} timed out")
    if expires is not None:
        ctx.wake_at(f"hook:{pos}", expires)
    raise Suspend()


async def start_child(
    ctx: RunContext,
    fn: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    parent_close: str = "cancel",
) -> str:
    """Start a child run (or find the one the log names) and return its id.
    ``parent_close`` ("cancel" or "abandon") is recorded in ``child_workflow.started``:
    whether the child is cancelled when this run ends while the child still runs."""
    definition = get_workflow(fn)
    pos, recorded = ctx.next_pos("child", definition.name)
    if recorded:
        child_id = str(recorded[0].data["child_id"])
        ctx.children[child_id] = str(recorded[0].data.get("parent_close", "cancel"))
        if child_id not in ctx.started_children:
            # An earlier execution may have recorded child_workflow.started and then failed (or
            # died) before the child's start task was stored: store it again
            # (idempotent on its id) while the child is still pending.
            found = await ctx.io(ctx.storage.get_run(child_id))
            if found is not None and found.status is RunStatus.PENDING:
                await ctx.io(ctx.storage.enqueue(_start_task(ctx, child_id)))
            else:
                ctx.started_children.add(child_id)
        return child_id
    ctx.checkpoint()
    if ctx.depth >= MAX_NESTING_DEPTH:
        raise MaxNestingDepthError(ctx.depth)
    child = WorkflowRun(
        id=new_id(),
        workflow_name=definition.name,
        input=encode_input(args, kwargs),
        metadata={**definition.metadata(), "nesting_depth": ctx.depth + 1},
        parent_id=ctx.run.id,
        idempotency_key=f"child:{ctx.run.id}:{pos}",
    )
    stored, _ = await ctx.io(ctx.storage.create_run(child))
    await ctx.append(
        ctx.event(
            "child_workflow.started",
            pos,
            "child",
            definition.name,
            child_id=stored.id,
            parent_close=parent_close,
        )
    )
    # Started only now that the parent's log names it; an orphan from a lost race is
    # found again through its idempotency key on the next replay, and a start task lost
    # here is stored again by the next replay (above).
    ctx.children[stored.id] = parent_close
    await ctx.io(ctx.storage.enqueue(_start_task(ctx, stored.id)))
    ctx.started_children.add(stored.id)
    return stored.id


def _start_task(ctx: RunContext, run_id: str) -> Task:
    return Task(id=f"{run_id}:start", run_id=run_id, kind=RESUME, due_at=ctx.now())


async def join_child(ctx: RunContext, child_id: str, name: str) -> Any:
    pos, recorded = ctx.next_pos("join", name)
    data: dict[str, Any] | None = recorded[-1].data if recorded else None
    if data is None:
        ctx.checkpoint()
        run = await ctx.io(ctx.storage.get_run(child_id))
        while run is not None and run.continued_to:
            run = await ctx.io(ctx.storage.get_run(run.continued_to))
        if run is None or not run.status.terminal:
            raise Suspend()
        data = {
            "child_id": run.id,
            "status": run.status.value,
            "result": run.result,
            "error": run.error,
        }
        kind = CHILD_OUTCOME.get(run.status, EventType.CHILD_WORKFLOW_FAILED)
        await ctx.append(ctx.event(kind.value, pos, "join", name, **data))
    ctx.joined.add(child_id)
    if data["status"] != "completed":
        raise ChildWorkflowFailed.from_run(data["child_id"], name, data["status"], data["error"])
    return decode(data["result"])
