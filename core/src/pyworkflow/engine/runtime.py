"""The engine: one store, executions of runs by replay, and their terminal bookkeeping.

An execution reads the run's log (in pages), replays the workflow function against it and
either ends the run (one guarded append of the terminal event), suspends it (storing its
wake-up tasks) or loses a race (:class:`~pyworkflow.engine.context.Conflict`: the log moved
under it; the execution is dropped and replayed from the new log). A storage error during an
execution is raised to its caller (a worker gives the task back and retries it later), never
recorded as the workflow's outcome: every write an execution makes is repeated or repaired by
the next replay, so an execution can stop after any call.

Only the public :class:`~pyworkflow.storage.StorageBackend` methods are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pyworkflow._ids import new_id
from pyworkflow._validate import check_run
from pyworkflow.errors import NotFound, PayloadTooLarge, StorageError
from pyworkflow.models import Event, NewEvent, RunStatus, Task, WorkflowRun, utcnow
from pyworkflow.storage import StorageBackend
from pyworkflow.urls import StorageURL

from .cancel_request import request_cancel
from .cancellation import closing_children
from .context import (
    RESUME,
    Abandon,
    Conflict,
    ContinueAsNew,
    RunContext,
    Suspend,
    encode_input,
    error_data,
    minimal_error,
)
from .deadline import deadline_task, overdue
from .errors import CancellationError, WorkflowError, WorkflowNotFoundError
from .events import TERMINAL_EVENTS
from .limits import check_event_limit
from .registry import get_workflow, lookup_workflow
from .running import _run_ctx
from .schedule_counters import count_outcome
from .serializer import decode, encode
from .signals import START_SAFETY_NET
from .workflow_context import enter_run, leave_run
from .workflow_retry import next_attempt

__all__ = ["TERMINAL_EVENTS", "Engine", "Outcome", "read_all"]

log = logging.getLogger("pyworkflow.engine")

PAGE = 500
#: how many runs' logs an engine keeps in memory between executions (least recently used go)
LOG_CACHE_RUNS = 256
MAX_CONFLICTS = 8
#: how many child ids an engine remembers as started (see RunContext.started_children)
STARTED_CHILDREN = 10_000


@dataclass(slots=True)
class Outcome:
    """How an execution ended: ``done`` (terminal), ``suspended``, ``conflict`` (gave up after
    repeated lost races) or ``missing`` (the run no longer exists).

    ``ended`` is the terminal event's data when the execution recorded or found the run's
    end in its log (``None`` otherwise, e.g. when only the run row said it had ended)."""

    status: str
    wakeups: list[Task] = field(default_factory=list)
    ended: dict[str, Any] | None = None

    def successor(self) -> str | None:
        """The run this one continued to (continue-as-new, or a workflow retry's next
        attempt), as the terminal event names it: the ``continued_to`` that
        :meth:`Engine.finalize` has written to the run row. Only meaningful with ``ended``."""
        data = self.ended or {}
        nxt = data.get("next_run_id") or data.get("retry_run_id")
        return nxt if isinstance(nxt, str) else None


async def read_all(storage: StorageBackend, run_id: str, after: int = 0) -> list[Event]:
    """The run's log after ``after``, read in pages of :data:`PAGE`."""
    out: list[Event] = []
    while True:
        page = await storage.read(run_id, after=after, limit=PAGE)
        out.extend(page)
        if len(page) < PAGE:
            return out
        after = page[-1].sequence


class Engine:
    """Runs workflows on one store. ``storage`` is a URL or a :class:`StorageBackend`.

    ``inline=True`` (the local default) makes :meth:`start` execute the run in the calling
    process until it ends or suspends, and :meth:`wait` drive due tasks while it waits, so a
    script needs no separate worker.
    """

    def __init__(self, storage: str | StorageURL | StorageBackend, *, inline: bool = True) -> None:
        # Parsed now: a malformed URL fails here, and only the parsed form (whose str and
        # repr hide the password) is kept, never the raw text.
        self._url: StorageURL | None = None
        self._backend: StorageBackend | None = None
        if isinstance(storage, StorageBackend):
            self._backend = storage
        else:
            self._url = StorageURL.parse(storage)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: asyncio.Task[None] | None = None
        self.inline = inline
        self._locks: dict[str, asyncio.Lock] = {}
        # The logs this process has read lately: a log only grows, so a resumed run reads
        # just the events after the cached ones instead of its whole history again.
        self._logs: OrderedDict[str, list[Event]] = OrderedDict()
        self._started_children: set[str] = set()
        #: what "now" is for the workflow calls (step retries, sleeps, hooks): tests replace it
        #: to move a run past its timers without waiting; storage and tasks keep real time
        self.clock: Callable[[], datetime] = utcnow

    def __repr__(self) -> str:
        where = str(self._url) if self._backend is None else repr(self._backend)
        return f"<Engine {where} inline={self.inline}>"

    async def storage(self) -> StorageBackend:
        """The connected backend. A backend opened from a URL is reopened when used from
        another event loop (drivers' connections belong to the loop that made them)."""
        loop = asyncio.get_running_loop()
        if self._backend is None or (
            self._url is not None
            and self._loop is not loop
            and self._backend.features.multi_process  # memory:// keeps its data: reuse it
        ):
            assert self._url is not None
            self._backend = StorageBackend.from_url(self._url)
            self._loop = loop
            await self._backend.connect()
            # Close what we opened when the loop shuts down (asyncio.run cancels leftover
            # tasks): a driver's connection thread left open would keep the process alive.
            self._closer = loop.create_task(_close_on_cancel(self._backend))
        await self._backend.connect()
        return self._backend

    async def close(self) -> None:
        """Close a backend this engine opened from a URL (one passed in is the caller's)."""
        if self._url is not None and self._backend is not None:
            await self._backend.close()
            if self._closer is not None:
                self._closer.cancel()
                self._closer = None

    async def _history(self, storage: StorageBackend, run_id: str) -> list[Event]:
        cached = self._logs.pop(run_id, [])
        after = cached[-1].sequence if cached else 0
        history = cached + await read_all(storage, run_id, after)
        self._logs[run_id] = history
        while len(self._logs) > LOG_CACHE_RUNS:
            self._logs.popitem(last=False)
        return history

    @asynccontextmanager
    async def _run_lock(self, run_id: str) -> AsyncIterator[None]:
        # Within one process, executions of one run take turns; across processes the
        # guarded append is what keeps the log consistent.
        lock = self._locks.setdefault(run_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not lock._waiters:
                self._locks.pop(run_id, None)

    # -- starting ------------------------------------------------------------------------------

    async def start(
        self,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> str:
        if _run_ctx.get() is not None:
            raise WorkflowError("start() inside a workflow is not durable; use start_child()")
        definition = get_workflow(fn)
        run = WorkflowRun(
            id=new_id(),
            workflow_name=definition.name,
            input=encode_input(args, kwargs),
            metadata=definition.metadata(),
            idempotency_key=idempotency_key,
        )
        storage = await self.storage()
        if self.inline:
            # The safety net is stored before the run: whatever happens to this process
            # after the run exists, a worker has a task to resume it. The run is validated
            # first, so input the store refuses (too large, say) writes nothing at all.
            check_run(run, storage.features)
            await storage.enqueue(self._start_task(run.id, utcnow() + START_SAFETY_NET))
        stored, created = await storage.create_run(run)
        if not created:
            if stored.status is RunStatus.PENDING:
                # The first start() with this key may have failed between storing the run
                # and its start task: store the task again (a no-op if it exists).
                await storage.enqueue(self._start_task(stored.id, utcnow()))
            return stored.id
        if not self.inline:
            await storage.enqueue(self._start_task(stored.id, utcnow()))
            return stored.id
        try:
            await self._execute_chain(storage, stored)
        except StorageError as exc:
            # The run is stored and its safety-net task resumes it: starting succeeded.
            log.warning("run %s: first execution stopped by a storage error: %s", stored.id, exc)
        return stored.id

    async def _execute_chain(self, storage: StorageBackend, run: WorkflowRun) -> None:
        """Execute a freshly created run inline and, while it continues-as-new, each
        successor in turn, until one ends or suspends (a suspended one is resumed by its
        task). The successors' start tasks stay stored, so a crash in between loses none."""
        run_id = run.id
        outcome = await self.execute(run_id, fresh=run)
        while outcome.status == "done":
            if outcome.ended is not None:
                # the terminal event names the successor: no round trip to read the row
                # that finalize() has just made say the same
                successor = outcome.successor()
            else:
                ended = await storage.get_run(run_id)
                successor = None if ended is None else ended.continued_to
            if successor is None:
                return
            run_id = successor
            outcome = await self.execute(run_id)

    @staticmethod
    def _start_task(run_id: str, due: datetime) -> Task:
        return Task(id=f"{run_id}:start", run_id=run_id, kind=RESUME, due_at=due)

    # -- executing -----------------------------------------------------------------------------

    async def execute(self, run_id: str, *, fresh: WorkflowRun | None = None) -> Outcome:
        """Replay and advance ``run_id`` once. Raises ``WorkflowNotFound`` when its code is not
        importable here (the caller gives the task back for another worker).

        ``fresh`` is a run this process has just created (its log is empty), which saves
        reading it back on the first attempt.
        """
        async with self._run_lock(run_id):
            for attempt in range(MAX_CONFLICTS):
                try:
                    return await self._execute_once(run_id, fresh if attempt == 0 else None)
                except Abandon as abandon:
                    # a storage call for the workflow failed: the caller retries the run
                    error = abandon.error
                    error.__suppress_context__ = True
                    raise error  # noqa: B904 - the storage error, with its own cause
                except Conflict:
                    self._logs.pop(run_id, None)  # drop what this process believed; re-read
                    log.debug("run %s: lost a race (attempt %d), replaying", run_id, attempt)
                    await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
            return Outcome("conflict")

    async def _execute_once(self, run_id: str, fresh: WorkflowRun | None) -> Outcome:
        storage = await self.storage()
        run = fresh if fresh is not None else await storage.get_run(run_id)
        if run is None:
            self._logs.pop(run_id, None)
            return Outcome("missing")
        history = [] if fresh is not None else await self._history(storage, run_id)
        ended = next((e for e in reversed(history) if e.type in TERMINAL_EVENTS), None)
        if ended is not None:
            closed = [e.data for e in history if e.type == "child_workflow.cancelled"]
            await self.finalize(run, ended.type, ended.data, closed)
            return Outcome("done", ended=ended.data)
        if run.status.terminal:
            return Outcome("done")
        definition = lookup_workflow(run.workflow_name, run.metadata)
        if len(self._started_children) > STARTED_CHILDREN:
            self._started_children.clear()
        ctx = RunContext(storage, run, history, self._started_children)
        ctx.now = self.clock
        if not any(e.type == "workflow.started" for e in history):
            # (a run cancelled before it first ran has only its cancellation request)
            ctx.pending.append(
                NewEvent(type="workflow.started", data={"workflow": definition.name})
            )
            timer = deadline_task(run)  # max_duration: be executed at the deadline
            if timer is not None:
                await storage.enqueue(timer)
        timed_out = overdue(run)
        if timed_out is not None:
            final = NewEvent(type="workflow.failed", data={"error": error_data(timed_out)})
            closing = await closing_children(ctx, RunStatus.FAILED)
            final = await self._record_end(ctx, final, definition.name, closing)
            await self.finalize(run, final.type, final.data, [e.data for e in closing])
            return Outcome("done", ended=final.data)
        if run.status is not RunStatus.RUNNING:
            changes: dict[str, Any] = {"status": RunStatus.RUNNING}
            if run.started_at is None:
                changes["started_at"] = utcnow()
            await storage.update_run(run_id, changes, expected_status=run.status)
        stored_input = run.input if isinstance(run.input, dict) else {}
        token = _run_ctx.set(ctx)
        wctx, wtoken = enter_run(run_id, definition.name, ctx)  # get_context()
        try:
            args = decode(stored_input.get("args", []))
            kwargs = decode(stored_input.get("kwargs", {}))
            value = await definition.fn(*args, **kwargs)
            check_event_limit(ctx)  # over the limit, the run fails instead of completing
            final = NewEvent(
                type="workflow.completed",
                data={"result": encode(value, f"the result of workflow {definition.name!r}")},
            )
        except Suspend:
            await ctx.flush()
            for task in ctx.wakeups:
                await storage.enqueue(task)
            await storage.update_run(
                run_id, {"status": RunStatus.SUSPENDED}, expected_status=RunStatus.RUNNING
            )
            return Outcome("suspended", ctx.wakeups)
        except Conflict:
            raise
        except ContinueAsNew as c:
            final = await self._successor(ctx, c)
        except CancellationError as exc:
            # escaped the workflow: it has run whatever cleanup it catches the error for
            final = NewEvent(
                type="workflow.cancelled",
                data={
                    "reason": exc.reason,
                    "cleanup_completed": True,
                    "cancelled_at": utcnow().isoformat(),
                },
            )
        except Exception as exc:
            # @workflow(max_retries=N); a run asked to cancel is never started again
            retry = {} if ctx.cancel_reasons else await next_attempt(storage, run, exc)
            final = NewEvent(type="workflow.failed", data={"error": error_data(exc), **retry})
        finally:
            leave_run(wctx, wtoken)
            _run_ctx.reset(token)
        closing = await closing_children(ctx, TERMINAL_EVENTS[final.type])
        final = await self._record_end(ctx, final, definition.name, closing)
        await self.finalize(run, final.type, final.data, [e.data for e in closing])
        return Outcome("done", ended=final.data)

    async def _record_end(
        self, ctx: RunContext, final: NewEvent, name: str, closing: list[NewEvent]
    ) -> NewEvent:
        """Append the terminal event, after ``closing`` (the parent-close decisions about
        its children, in the same append); a terminal event too large to record (a huge
        result or error) is replaced by ``workflow.failed`` with a :class:`PayloadTooLarge`
        error, so the run always ends. Returns the terminal event appended."""
        try:
            await ctx.append(*closing, final)
            return final
        except PayloadTooLarge as exc:
            what = "result" if final.type == "workflow.completed" else "end"
            error = error_data(
                PayloadTooLarge(f"the {what} of workflow {name!r} is too large to record: {exc}")
            )
        for data in (error, minimal_error(error)):
            final = NewEvent(type="workflow.failed", data={"error": data})
            try:
                await ctx.append(*closing, final)
                return final
            except PayloadTooLarge:
                continue
        raise AssertionError("unreachable: a minimal error always fits")  # pragma: no cover

    async def _successor(self, ctx: RunContext, c: ContinueAsNew) -> NewEvent:
        run = ctx.run
        successor = WorkflowRun(
            id=new_id(),
            workflow_name=run.workflow_name,
            input=encode_input(c.args_, c.kwargs, ctx.context),
            context=ctx.context,
            metadata=run.metadata,
            parent_id=run.parent_id,
            continued_from=run.id,
            # a replay after a crash finds the successor it already created
            idempotency_key=f"continue:{run.id}",
        )
        stored, _ = await ctx.storage.create_run(successor)
        return NewEvent(type="workflow.continued_as_new", data={"next_run_id": stored.id})

    async def finalize(
        self,
        run: WorkflowRun,
        event_type: str,
        data: dict[str, Any],
        closing: list[dict[str, Any]] | None = None,
    ) -> None:
        """Make the run row and the other runs agree with a terminal event in the log.

        ``closing``: the data of the run's ``child_workflow.cancelled`` events when the
        caller has its log at hand (else they are read). Idempotent: it is repeated whenever
        a replay finds the log already ended, so a crash between the terminal append and
        this bookkeeping only delays it.
        """
        storage = await self.storage()
        status = TERMINAL_EVENTS[event_type]
        changes: dict[str, Any] = {"status": status}
        if status is RunStatus.COMPLETED:
            changes["result"] = data.get("result")
        elif status is RunStatus.FAILED:
            changes["error"] = data.get("error")
            if data.get("retry_run_id"):  # the next attempt (workflow_retry)
                changes["continued_to"] = data["retry_run_id"]
        elif status is RunStatus.CANCELLED:
            changes["error"] = {"type": "cancelled", "message": data.get("reason") or "cancelled"}
        else:
            changes["continued_to"] = data["next_run_id"]
        nxt = data.get("next_run_id") or data.get("retry_run_id")
        if run.status is not status or (nxt is not None and run.continued_to != nxt):
            await storage.update_run(run.id, changes)
        # the schedule's successful/failed counters (an attempt retried is not an outcome)
        if "schedule_id" in run.metadata and not data.get("retry_run_id"):
            await count_outcome(storage, run, status)
        now = utcnow()
        if nxt is not None:  # the successor, or the next attempt, starts now
            await storage.enqueue(Task(id=f"{nxt}:start", run_id=nxt, kind=RESUME, due_at=now))
        elif run.parent_id is not None:
            await storage.enqueue(
                Task(
                    id=f"{run.parent_id}:child:{run.id}",
                    run_id=run.parent_id,
                    kind=RESUME,
                    due_at=now,
                )
            )
        # Parent-close policy: the children this run's end decided to cancel are named in
        # its log (recorded with the terminal event), so this is repeated until done.
        if closing is None:
            read = await storage.read(run.id, types=["child_workflow.cancelled"])
            closing = [e.data for e in read]
        for close in closing:
            if close.get("kind") != "close":
                continue
            # A child already ended needs nothing (and cancel() would redo its bookkeeping,
            # which resumes this parent again: a ping-pong of executions).
            child = await storage.get_run(close["child_run_id"])
            if child is None or child.status.terminal:
                continue
            with contextlib.suppress(WorkflowNotFoundError):  # deleted meanwhile
                await self.cancel(
                    close["child_run_id"],
                    reason=f"Parent workflow {run.id} {status.value}",
                )

    # -- cancelling ----------------------------------------------------------------------------

    async def cancel(
        self, run_id: str, *, reason: str | None = None, execute: bool | None = None
    ) -> bool:
        """Request the run's cancellation; ``False`` if it had already ended (see
        :func:`.cancel_request.request_cancel`)."""
        return await request_cancel(self, run_id, reason=reason, execute=execute)

    # -- reading -------------------------------------------------------------------------------

    async def get_run(self, run_id: str) -> WorkflowRun:
        """The run with ``input``, ``result`` and ``context`` decoded. :class:`NotFound` if
        missing."""
        storage = await self.storage()
        run = await storage.get_run(run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} does not exist")
        return decoded_run(run)


async def _close_on_cancel(backend: StorageBackend) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        await backend.close()


def decoded_run(run: WorkflowRun) -> WorkflowRun:
    """``run`` with its serialized values decoded back to Python values."""
    stored_input = run.input if isinstance(run.input, dict) else {}
    return replace(
        run,
        input={
            "args": decode(stored_input.get("args", [])),
            "kwargs": decode(stored_input.get("kwargs", {})),
        },
        result=decode(run.result),
        context=decode(run.context),
    )
