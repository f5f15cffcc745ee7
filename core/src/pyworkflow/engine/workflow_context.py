"""The predecessor's context API over our engine: :class:`WorkflowContext`, its engine-made
:class:`LocalContext`, and ``get_context`` / ``has_context`` / ``set_context`` /
``reset_context``.

One context variable (:mod:`.current_context`) holds the current :class:`WorkflowContext`.
The engine sets it for each
execution of a run (durable: a :class:`LocalContext` over that execution's
:class:`~pyworkflow.engine.context.RunContext`; transient: one with ``is_durable`` False) and
resets it after, so ``get_context()`` works in the workflow and in its inline steps. Outside
a run it raises :class:`NoContextError` (a ``RuntimeError``, as the predecessor's did).

A context a user sets (``set_context(MockContext(...))``, ``async with LocalContext(...)``)
is not the engine's: while no engine run is active, ``@step`` calls, ``sleep`` and ``hook``
go through it (``ctx.run``, ``ctx.sleep``, ``ctx.hook``; see
:func:`.current_context.user_context`), which is how the predecessor let a workflow function
be unit-tested without storage (see :mod:`.mock_context`). Inside a run, the engine's own
calls always win.

Cancellation: a request recorded in the run's log is raised once, at the next checkpoint,
by the engine (:meth:`RunContext.checkpoint`); ``check_cancellation()`` is one more
checkpoint that workflow code and long steps may call. A request made in this process while
an execution runs (``cancel_workflow``) is also delivered to that execution's context at
once, so a step looping on ``check_cancellation()`` stops without waiting for a replay; a
request from another process is seen at the run's next replay (the cancel moves the log, so
the execution's next append loses its race and replays).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar, Token
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pyworkflow.errors import InvalidInput

from .current_context import current
from .durations import instant, seconds_until, to_seconds
from .errors import CancellationError, WorkflowError
from .hook_wait import wait_typed
from .retry import StepOptions
from .running import _in_step, _run_ctx

if TYPE_CHECKING:
    from .context import RunContext

__all__ = [
    "LocalContext",
    "NoContextError",
    "WorkflowContext",
    "enter_run",
    "get_context",
    "has_context",
    "leave_run",
    "notify_cancellation",
    "reset_context",
    "set_context",
]

log = logging.getLogger("pyworkflow.workflow")

_current: ContextVar[WorkflowContext | None] = current  # typed here, where the class is
#: the engine contexts of the executions running in this process, by run id (for
#: :func:`notify_cancellation`)
_live: dict[str, set[LocalContext]] = {}


class NoContextError(WorkflowError, RuntimeError):
    """``get_context()`` was called outside a workflow run (and no context was set)."""


def get_context() -> WorkflowContext:
    """The current workflow context: inside a run (durable or transient) and its inline
    steps, the engine's :class:`LocalContext`; else whatever :func:`set_context` set.
    :class:`NoContextError` (a ``RuntimeError``) when there is none."""
    ctx = _current.get()
    if ctx is None:
        raise NoContextError(
            "No workflow context available. This function must be called within a workflow "
            "execution (a @workflow started with start(), or one of its steps), or after "
            "set_context()."
        )
    return ctx


def has_context() -> bool:
    """``True`` when :func:`get_context` would return a context."""
    return _current.get() is not None


def set_context(ctx: WorkflowContext | None) -> Token[WorkflowContext | None]:
    """Make ``ctx`` the current context (``None``: none) in this task's context; returns the
    token :func:`reset_context` takes to restore the previous one. Anything other than a
    :class:`WorkflowContext` or ``None`` raises :class:`InvalidInput`."""
    if ctx is not None and not isinstance(ctx, WorkflowContext):
        raise InvalidInput(f"set_context() takes a WorkflowContext or None, got {ctx!r}")
    return _current.set(ctx)


def reset_context(token: Token[WorkflowContext | None]) -> None:
    """Restore the context that was current before the :func:`set_context` that returned
    ``token`` (``ValueError``/``RuntimeError`` from :mod:`contextvars` for a token of another
    context or one used twice)."""
    _current.reset(token)


class WorkflowContext(ABC):
    """What workflow code sees of its execution (the predecessor's abstract base).

    ``run_id``, ``workflow_name``; ``is_durable`` (alias ``durable``), ``is_replaying``,
    ``storage``, ``runtime``; ``run`` (a step), ``sleep``, ``hook``, ``parallel``; the
    cancellation members; ``log``. Entering it (``with`` / ``async with``) makes it current.
    """

    #: made by the engine for a run (never routed to by :func:`user_context`)
    _engine: bool = False

    def __init__(self, run_id: str = "unknown", workflow_name: str = "unknown") -> None:
        self._run_id = run_id
        self._workflow_name = workflow_name
        self._tokens: list[Token[WorkflowContext | None]] = []

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def workflow_name(self) -> str:
        return self._workflow_name

    @property
    def is_durable(self) -> bool:
        """``True`` in a durable (stored, event-sourced) run."""
        return False

    @property
    def durable(self) -> bool:
        """Alias of :attr:`is_durable`."""
        return self.is_durable

    @property
    def is_replaying(self) -> bool:
        """``True`` while the workflow is answered from its recorded history."""
        return False

    @property
    def storage(self) -> Any | None:
        """The run's storage backend (``None`` when not durable)."""
        return None

    @property
    def runtime(self) -> str | None:
        """``None``: steps run inline, in the workflow's process (the only way here)."""
        return None

    @property
    def storage_config(self) -> dict[str, Any] | None:
        return None

    @abstractmethod
    async def run(
        self, func: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        """Run ``func`` (sync or async) as a step named ``name`` (default: its name)."""

    @abstractmethod
    async def sleep(self, duration: str | float | timedelta | datetime) -> None:
        """Pause for ``duration``."""

    @abstractmethod
    async def hook(
        self,
        name: str,
        timeout: str | float | timedelta | None = None,  # noqa: ASYNC109
        on_created: Callable[[str], Awaitable[None]] | None = None,
        payload_schema: Any = None,
    ) -> Any:
        """Wait for an outside payload (``resume_hook``)."""

    @abstractmethod
    def is_cancellation_requested(self) -> bool:
        """``True`` once a cancellation was requested for this run."""

    @abstractmethod
    def request_cancellation(self, reason: str | None = None) -> None:
        """Mark this context cancelled: the next :meth:`check_cancellation` raises."""

    @abstractmethod
    def check_cancellation(self) -> None:
        """Raise :class:`CancellationError` if a cancellation is pending and not shielded."""

    @property
    @abstractmethod
    def cancellation_blocked(self) -> bool:
        """``True`` inside ``async with shield():``."""

    async def parallel(self, *tasks: Coroutine[Any, Any, Any]) -> list[Any]:
        """Await ``tasks`` together (``asyncio.gather``); results in order."""
        return list(await asyncio.gather(*tasks))

    async def wait_for_event(self, event_name: str, timeout: str | int | None = None) -> Any:  # noqa: ASYNC109
        """Not supported by this context: use ``hook()``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not support wait_for_event; use hook()"
        )

    def log(self, message: str, level: str = "info", **kwargs: Any) -> None:
        """Log ``message`` on the ``pyworkflow.workflow`` logger with the run's id and name
        (and ``kwargs``) as record attributes."""
        level_no = logging.getLevelName(level.upper())
        log.log(
            level_no if isinstance(level_no, int) else logging.INFO,
            message,
            extra={"run_id": self._run_id, "workflow_name": self._workflow_name, **kwargs},
        )

    def __enter__(self) -> WorkflowContext:
        self._tokens.append(set_context(self))
        return self

    def __exit__(self, *exc: object) -> None:
        reset_context(self._tokens.pop())

    async def __aenter__(self) -> WorkflowContext:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


def _cancelled(reason: str | None) -> CancellationError:
    return CancellationError(
        f"Workflow was cancelled: {reason or 'no reason provided'}", reason=reason
    )


def _seconds(duration: str | float | timedelta | datetime) -> float:
    """Seconds of a sleep's ``duration`` (as ``sleep`` takes it), from now."""
    until = instant(duration)
    if until is not None:
        return seconds_until(until, datetime.now(UTC))
    return to_seconds(duration)  # type: ignore[arg-type]


async def _call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = func(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


class LocalContext(WorkflowContext):
    """The context of a run in the local runtime (the engine makes one per execution).

    Made by a user (``async with LocalContext(run_id=..., workflow_name=...) as ctx``) it is
    transient: ``run`` calls the function, ``sleep`` is ``asyncio.sleep``, ``hook`` raises
    ``NotImplementedError``. A durable context exists only for a stored run, so
    ``storage=`` or ``event_log=`` raise :class:`InvalidInput`: start the workflow with
    ``start()`` instead.
    """

    def __init__(
        self,
        run_id: str = "local_run",
        workflow_name: str = "local_workflow",
        storage: Any | None = None,
        durable: bool = True,
        event_log: list[Any] | None = None,
    ) -> None:
        if storage is not None or event_log:
            raise InvalidInput(
                "LocalContext(storage=..., event_log=...) is not supported: durable contexts "
                "are made by the engine for stored runs; start the workflow with start()"
            )
        super().__init__(run_id=run_id, workflow_name=workflow_name)
        self._rc: RunContext | None = None
        self._requested = False
        self._reason: str | None = None
        #: a live request (see :func:`notify_cancellation`) was raised by check_cancellation
        self._live_raised = False
        self._cancellation_blocked = False

    @classmethod
    def _of(cls, run_id: str, workflow_name: str, rc: RunContext | None) -> LocalContext:
        ctx = cls(run_id=run_id, workflow_name=workflow_name)
        ctx._rc = rc
        ctx._engine = True
        return ctx

    @property
    def is_durable(self) -> bool:
        return self._rc is not None

    @property
    def is_replaying(self) -> bool:
        rc = self._rc
        return rc is not None and rc.pos < max(rc.by_pos, default=0)

    @property
    def storage(self) -> Any | None:
        return None if self._rc is None else self._rc.storage

    async def run(
        self, func: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        """In a durable run, ``func`` runs as a recorded step (a ``@step`` with its own
        options, anything else with the default ones, named ``name`` or its ``__name__``);
        otherwise it is simply called."""
        rc = self._rc
        if rc is None or _in_step.get() or _run_ctx.get() is not rc:
            return await _call(func, args, kwargs)
        if hasattr(func, "__pyworkflow_step__") and name is None:
            return await func(*args, **kwargs)
        inner = getattr(func, "__wrapped__", func) if hasattr(func, "__pyworkflow_step__") else func
        # a plain function gets @step's defaults
        options: StepOptions = getattr(func, "__pyworkflow_step__", None) or StepOptions(name="")
        options = replace(options, name=str(name or getattr(func, "__name__", "step")))

        async def body(*a: Any, **kw: Any) -> Any:
            return await _call(inner, a, kw)

        return await rc.run_step(options, body, args, kwargs)

    async def sleep(self, duration: str | float | timedelta | datetime) -> None:
        rc = self._rc
        if rc is not None and not _in_step.get() and _run_ctx.get() is rc:
            await rc.sleep(duration)
        else:
            await asyncio.sleep(_seconds(duration))

    async def hook(
        self,
        name: str,
        timeout: str | float | timedelta | None = None,  # noqa: ASYNC109
        on_created: Callable[[str], Awaitable[None]] | None = None,
        payload_schema: Any = None,
    ) -> Any:
        rc = self._rc
        if rc is None:
            raise NotImplementedError("a transient (durable=False) run cannot wait for a hook")
        if _in_step.get() or _run_ctx.get() is not rc:
            raise WorkflowError("hook() cannot be called inside a step; call it from the workflow")
        return await wait_typed(rc, name, timeout, on_created, payload_schema)

    def is_cancellation_requested(self) -> bool:
        return self._requested or (self._rc is not None and bool(self._rc.cancel_reasons))

    def request_cancellation(self, reason: str | None = None) -> None:
        """Mark this execution cancelled in memory (the next :meth:`check_cancellation`
        raises). Nothing is stored: to cancel a run durably use ``cancel_workflow``."""
        self._requested = True
        self._reason = reason
        self._live_raised = False

    def check_cancellation(self) -> None:
        """Raise :class:`CancellationError` when a request is pending: one in the run's log
        not raised yet by this execution, or one made in this process since it started
        (each is raised once, as at any checkpoint). Inside ``shield()`` it does nothing."""
        if self.cancellation_blocked:
            return
        rc = self._rc
        if rc is not None and rc.cancels_raised < len(rc.cancel_reasons):
            rc.checkpoint()
        if self._requested and not (self._engine and self._live_raised):
            self._live_raised = True
            raise _cancelled(self._reason)

    @property
    def cancellation_blocked(self) -> bool:
        return self._cancellation_blocked if self._rc is None else self._rc.shielded > 0

    @property
    def cancellation_reason(self) -> str | None:
        """The reason of the latest request seen (``None`` if none or none given)."""
        if self._requested:
            return self._reason
        rc = self._rc
        return rc.cancel_reasons[-1] if rc is not None and rc.cancel_reasons else None


def enter_run(
    run_id: str, workflow_name: str, rc: RunContext | None
) -> tuple[LocalContext, Token[WorkflowContext | None]]:
    """Engine hook: make the execution's context current (and reachable by
    :func:`notify_cancellation`); undo with :func:`leave_run`."""
    ctx = LocalContext._of(run_id, workflow_name, rc)
    if rc is not None:
        _live.setdefault(run_id, set()).add(ctx)
    return ctx, _current.set(ctx)


def leave_run(ctx: LocalContext, token: Token[WorkflowContext | None]) -> None:
    """Engine hook: the execution of ``ctx`` is over."""
    _current.reset(token)
    live = _live.get(ctx.run_id)
    if live is not None:
        live.discard(ctx)
        if not live:
            del _live[ctx.run_id]


def notify_cancellation(run_id: str, reason: str | None) -> None:
    """Engine hook, after a cancellation request was recorded: tell the executions of
    ``run_id`` running in this process, so ``check_cancellation()`` raises at once."""
    for ctx in list(_live.get(run_id, ())):
        ctx.request_cancellation(reason)
