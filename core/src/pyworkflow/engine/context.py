"""The replay context of one workflow execution, and the calls a workflow makes through it.

Every durable call in a workflow (a step, ``sleep``, ``wait_for_hook``, ``start_child`` and
awaiting the child, ``set_step_context``) takes the next **position** (1, 2, 3...) in the
order the workflow makes them. Its events carry ``pos`` and ``name``; on replay the recorded
events at that position answer the call, so a recorded step is never run again. A call whose
name differs from the history at its position raises :class:`NonDeterminismError`.

Control flow leaves the workflow function through ``BaseException`` subclasses
(:class:`Suspend`, :class:`Conflict`, :class:`ContinueAsNew`, :class:`Abandon`) so that a
user's ``except Exception`` cannot swallow them (they live in :mod:`.signals`; the calls
that wait, in :mod:`.waits`). Every storage call made on the workflow's
behalf goes through :meth:`RunContext.io`: a store that is down or failing abandons the
execution (its task is retried), it is never an exception in workflow code, so it can never
become the workflow's outcome.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pyworkflow.codec import from_micros
from pyworkflow.errors import ConflictError, InvalidInput, PayloadTooLarge, StorageError
from pyworkflow.models import (
    Event,
    NewEvent,
    Task,
    WorkflowRun,
    utcnow,
)

from . import waits
from .durations import wake_time
from .errors import (
    CancellationError,
    NonDeterminismError,
    StepFailed,
    error_data,
    minimal_error,
)
from .limits import check_event_limit
from .retry import StepOptions, call_with_timeout
from .running import _in_step
from .serializer import SerializationError, decode, encode
from .signals import RESUME, Abandon, Conflict, ContinueAsNew, Suspend, encode_input
from .signals import micros as _micros

if TYPE_CHECKING:
    from pyworkflow.storage import StorageBackend

__all__ = [
    "RESUME",
    "Abandon",
    "Conflict",
    "ContinueAsNew",
    "RunContext",
    "Suspend",
    "encode_input",
    "error_data",
    "hook_task_id",
    "minimal_error",
]

T = TypeVar("T")
#: what :meth:`RunContext.next_pos` returns for a position the log has no events at (shared:
#: a fresh empty list per call would be an allocation on every new step)
_NOTHING: tuple[Event, ...] = ()


class RunContext:
    """Replay state of one execution of one run (a fresh one per execution attempt)."""

    def __init__(
        self,
        storage: StorageBackend,
        run: WorkflowRun,
        history: list[Event],
        started_children: set[str] | None = None,
    ) -> None:
        self.storage = storage
        self.run = run
        self.version = history[-1].sequence if history else 0
        self.by_pos: dict[int, list[Event]] = {}
        #: reasons of the cancellation requests in the log, and how many of them this
        #: execution has raised (see :meth:`checkpoint`)
        self.cancel_reasons: list[str | None] = []
        self.cancels_raised = 0
        #: depth of ``async with shield():`` blocks the workflow is in
        self.shielded = 0
        #: this run's children in start order: child run id -> parent-close policy
        self.children: dict[str, str] = {}
        #: children whose end this run has recorded (awaited)
        self.joined: set[str] = set()
        for event in history:
            pos = event.data.get("pos")
            if isinstance(pos, int):
                self.by_pos.setdefault(pos, []).append(event)
            elif event.type == "cancellation.requested":
                self.cancel_reasons.append(event.data.get("reason"))
        self.pos = 0
        #: the event count of the last soft-limit warning (see limits.check_event_limit)
        self.warned_at: int | None = None
        stored_input = run.input if isinstance(run.input, dict) else {}
        self.context: Any = stored_input.get("context")
        #: wake-up tasks that must exist when this execution suspends
        self.wakeups: list[Task] = []
        #: events to write with the next append (``workflow.started`` rides with the first
        #: step's events instead of costing a round trip of its own)
        self.pending: list[NewEvent] = []
        self.now = utcnow
        # steps run concurrently (asyncio.gather) share one expected version
        self._append_lock = asyncio.Lock()
        #: children whose start task is known to be stored (or that already left
        #: ``pending``): shared by the engine's executions, so a replay checks each child at
        #: most once per process
        self.started_children = set() if started_children is None else started_children

    async def io(self, call: Awaitable[T]) -> T:
        """Await a storage call made for the workflow. A :class:`StorageError` other than
        :class:`PayloadTooLarge` or :class:`InvalidInput` (which describe the workflow's own
        values and are raised in the workflow) becomes :class:`Abandon`."""
        try:
            return await call
        except (PayloadTooLarge, InvalidInput):
            raise
        except StorageError as exc:
            raise Abandon(exc) from exc

    # -- plumbing ------------------------------------------------------------------------------

    def next_pos(self, kind: str, name: str) -> tuple[int, Sequence[Event]]:
        """The next call's position and the events the log recorded there (empty for a new
        call, which is checked against the event limit)."""
        self.pos += 1
        recorded = self.by_pos.get(self.pos, _NOTHING)
        if recorded:
            first = recorded[0].data
            if first.get("kind") != kind or first.get("name") != name:
                raise NonDeterminismError(
                    f"run {self.run.id}: call #{self.pos} is {kind} {name!r} but the history "
                    f"recorded {first.get('kind')} {first.get('name')!r} there; workflow code "
                    f"must make the same durable calls in the same order on every replay"
                )
        else:
            check_event_limit(self)  # a new call is about to record events
        return self.pos, recorded

    def event(
        self,
        type_: str,
        pos: int,
        kind: str,
        name: str,
        *,
        timestamp: datetime | None = None,
        **data: Any,
    ) -> NewEvent:
        """An event of the call at ``pos``; ``timestamp`` None means the time of the append."""
        return NewEvent(
            type=type_, data={"pos": pos, "kind": kind, "name": name, **data}, timestamp=timestamp
        )

    async def append(self, *events: NewEvent) -> None:
        """Append ``events`` (after any pending ones) guarded by the version this execution
        has seen; a lost race raises :class:`Conflict`. Other storage errors are treated as
        by :meth:`io` (written out here, like the lock's acquire and release: this runs once
        per step, and each coroutine frame saved is paid back on every suspension)."""
        lock = self._append_lock
        await lock.acquire()
        try:
            batch = [*self.pending, *events] if self.pending else list(events)
            if not batch:
                return
            try:
                self.version = await self.storage.append(
                    self.run.id, batch, expected_version=self.version
                )
            except (PayloadTooLarge, InvalidInput):
                raise
            except ConflictError:
                raise Conflict() from None
            except StorageError as exc:
                raise Abandon(exc) from exc
            self.pending.clear()
        finally:
            lock.release()

    async def flush(self) -> None:
        """Write pending events now (before suspending)."""
        if self.pending:
            await self.append()

    def checkpoint(self) -> None:
        """Raise :class:`CancellationError` if a cancellation request in the log has not been
        raised yet by this execution and no ``shield()`` is active.

        Called by each durable call that the log does not already answer (a call recorded
        as finished replays without a checkpoint). That makes the delivery deterministic
        without recording it: every event appended after a request was appended by an
        execution that had read the request (the append is guarded by the log version), so
        a replay meets the same unanswered calls in the same order and raises at the same
        one; a workflow that swallowed the error swallows it again on replay.
        """
        if self.shielded or self.cancels_raised >= len(self.cancel_reasons):
            return
        reason = self.cancel_reasons[self.cancels_raised]
        self.cancels_raised += 1
        raise CancellationError(
            f"Workflow was cancelled: {reason or 'no reason provided'}", reason=reason
        )

    @property
    def depth(self) -> int:
        """This run's nesting depth (0 for a run that is not a child), kept in its metadata."""
        meta = self.run.metadata if isinstance(self.run.metadata, dict) else {}
        depth = meta.get("nesting_depth", 0)
        return depth if isinstance(depth, int) else 0

    def wake_at(self, key: str, due: datetime) -> None:
        self.wakeups.append(
            Task(id=f"{self.run.id}:{key}", run_id=self.run.id, kind=RESUME, due_at=due)
        )

    # -- steps ---------------------------------------------------------------------------------

    async def run_step(
        self,
        options: StepOptions,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        name = options.name
        pos, recorded = self.next_pos("step", name)
        if recorded:
            failures = [e for e in recorded if e.type == "step.failed"]
            for e in recorded:
                if e.type == "step.completed":
                    return decode(e.data["result"])
            if failures and failures[-1].data.get("final"):
                last = failures[-1].data
                raise StepFailed(name, last["attempt"], last["error"])
            self.checkpoint()
            attempt = len(failures) + 1
            if failures:
                check_event_limit(self)  # a retry records events at a position already in the log
                retry_at = from_micros(failures[-1].data["retry_at"])
                if self.now() < retry_at:
                    self.wake_at(f"retry:{pos}:{attempt}", retry_at)
                    raise Suspend()
        else:  # the common case: a call the log has not seen (no attempt has failed)
            self.checkpoint()
            attempt = 1
        # The events' data are built here rather than by :meth:`event` (the same keys in the
        # same order, so the same stored text): this is the engine's per-step hot path.
        started = NewEvent(
            type="step.started",
            data={"pos": pos, "kind": "step", "name": name, "attempt": attempt},
            timestamp=self.now(),
        )
        token = _in_step.set(True)
        try:
            if options.timeout is None:
                value = await fn(*args, **kwargs)  # call_with_timeout's own fast path, inlined
            else:
                value = await call_with_timeout(options, fn, args, kwargs)
            result = encode(value, f"the result of step {name!r}")
        except (Suspend, Conflict, ContinueAsNew, Abandon):
            raise
        except CancellationError:
            # get_context().check_cancellation() in the step: the cancellation reaches the
            # workflow at this call, unrecorded (a replay raises it at the call's checkpoint)
            raise
        except Exception as exc:
            retry = not isinstance(exc, SerializationError)
            return await self._step_failed(options, pos, attempt, started, exc, retry=retry)
        finally:
            _in_step.reset(token)
        # One round trip: started + completed together. Nothing had to be durable before
        # the side effect: a crash before this append makes the step run again (at least
        # once), and this guarded append records it exactly once.
        try:
            await self.append(
                started,
                NewEvent(
                    type="step.completed",
                    data={
                        "pos": pos,
                        "kind": "step",
                        "name": name,
                        "attempt": attempt,
                        "result": result,
                    },
                ),
            )
        except PayloadTooLarge as exc:
            # The result cannot be recorded (nothing was written): the attempt failed, and
            # the step's retry policy decides what happens next, as for any other error.
            too_large = PayloadTooLarge(
                f"the result of step {name!r} is too large to record: {exc}"
            )
            return await self._step_failed(options, pos, attempt, started, too_large, retry=True)
        return decode(result)

    async def _step_failed(
        self,
        options: StepOptions,
        pos: int,
        attempt: int,
        started: NewEvent,
        exc: Exception,
        *,
        retry: bool,
    ) -> Any:
        """Record a failed attempt; suspend for the retry, or raise :class:`StepFailed`."""
        error = error_data(exc)
        now = self.now()
        delay = options.retry_delay(attempt, exc, now) if retry else None
        if delay is not None:
            retry_at = wake_time(now, delay)
            more: dict[str, Any] = {"retry_at": _micros(retry_at), "final": False}
        else:
            more = {"final": True}
        try:
            await self.append(
                started,
                self.event(
                    "step.failed", pos, "step", options.name, attempt=attempt, error=error, **more
                ),
            )
        except PayloadTooLarge:
            # Even the clipped error is over this backend's max_event_bytes: keep its gist.
            error = minimal_error(error)
            await self.append(
                started,
                self.event(
                    "step.failed", pos, "step", options.name, attempt=attempt, error=error, **more
                ),
            )
        if not more["final"]:
            self.wake_at(f"retry:{pos}:{attempt + 1}", from_micros(more["retry_at"]))
            raise Suspend() from None
        raise StepFailed(options.name, attempt, error) from exc

    # -- the durable calls that wait (in .waits) -------------------------------------------

    async def sleep(
        self, duration: str | float | timedelta | datetime, name: str | None = None
    ) -> None:
        await waits.sleep(self, duration, name)

    async def wait_for_hook(
        self,
        name: str,
        timeout: str | float | timedelta | None,  # noqa: ASYNC109
        schema: Any = None,
    ) -> Any:
        """``schema``: the payload's JSON schema, stored on the hook row (``Hook.schema``)."""
        return await waits.wait_for_hook(self, name, timeout, schema)

    async def start_child(
        self,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        parent_close: str = "cancel",
    ) -> str:
        """Start a child run (or find the one the log names) and return its id (see
        :func:`.waits.start_child`)."""
        return await waits.start_child(self, fn, args, kwargs, parent_close)

    async def join_child(self, child_id: str, name: str) -> Any:
        return await waits.join_child(self, child_id, name)

    # -- step context --------------------------------------------------------------------------

    async def set_context(self, value: Any) -> None:
        pos, recorded = self.next_pos("context", "context")
        if recorded:
            self.context = recorded[0].data["context"]
            return
        encoded = encode(value, "the step context")
        await self.append(self.event("context.updated", pos, "context", "context", context=encoded))
        self.context = encoded
        await self.io(self.storage.update_run(self.run.id, {"context": encoded}))


def hook_task_id(run_id: str, token: str) -> str:
    """The id of the task that resumes ``run_id`` after its hook ``token`` is resolved (a
    digest, so the secret token itself never appears in task listings)."""
    return f"{run_id}:hook:{hashlib.sha256(token.encode()).hexdigest()[:24]}"
