"""The module-level API: ``configure`` once, then ``start``, ``wait``, ``cancel``...

Every function uses the engine set by :func:`configure` (or, if it was never called, one
built from the environment, ``pyworkflow.config.yaml`` or ``[tool.pyworkflow]`` in
pyproject.toml, else ``sqlite:///pyworkflow.db``: see docs/configuration.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyworkflow.codec import from_micros
from pyworkflow.errors import InvalidInput, NotFound
from pyworkflow.models import Event, RunStatus, Task, WorkflowRun, utcnow
from pyworkflow.storage import StorageBackend

from . import configuration, current
from .context import RESUME, hook_task_id
from .durations import to_seconds
from .errors import WaitTimeout, WorkflowFailed
from .execution import engine_for, resolve_durable, resolve_inline
from .runtime import Engine, decoded_run, read_all
from .schedules import create_schedule_row
from .scope import RunScope
from .serializer import encode
from .waiting import wait_until_terminal

__all__ = [
    "PendingHook",
    "cancel",
    "cancel_workflow",
    "configure",
    "configured",
    "default_engine",
    "deliver_hook",
    "get_events",
    "get_run",
    "get_workflow_chain",
    "pending_hooks",
    "run_until_complete",
    "schedule",
    "shutdown",
    "start",
    "wait",
]


def configure(
    storage: str | StorageBackend | Mapping[str, Any] | None = None,
    *,
    inline: bool | None = None,
    module: str | None = None,
    discover: bool = True,
    **keys: Any,
) -> Engine:
    """Choose the store and the execution mode, set engine defaults; return the engine.

    ``storage``: a URL such as ``"sqlite:///wf.db"``, a connected or unconnected
    :class:`StorageBackend` (also one of the predecessor's classes, such as
    ``SQLiteStorageBackend(db_path=...)``), or a storage dict (``{"type": "sqlite", ...}``);
    ``None``: the environment, ``pyworkflow.config.yaml``, ``[tool.pyworkflow]``, else
    ``sqlite:///pyworkflow.db`` (docs/configuration.md).

    ``inline=True``: ``start()`` runs the workflow in this process until it ends or suspends,
    and ``wait()`` processes due tasks (timers, retries, hooks) while waiting. With
    ``inline=False`` runs are only executed by workers (``pyworkflow worker``). ``None``:
    inline unless the runtime is ``"celery"`` (``default_runtime``, ``PYWORKFLOW_RUNTIME``,
    the YAML's ``runtime``).

    ``keys`` are the predecessor's: ``default_runtime``, ``default_durable``,
    ``default_retries``, ``default_recover_on_worker_loss``, ``default_max_recovery_attempts``,
    ``storage``, ``celery_broker``, ``aws_region``, ``event_soft_limit``, ``event_hard_limit``,
    ``event_warning_interval``; an unknown key or a bad value raises
    :class:`~pyworkflow.errors.InvalidConfiguration` (a ``ValueError``) and changes nothing.
    ``module`` (with ``discover``) imports that workflow module
    (:class:`~pyworkflow.engine.discovery.DiscoveryError` if it fails).
    """
    engine = configuration.apply(storage, inline, keys)
    if module and discover:
        from .discovery import discover_workflows

        discover_workflows(module_path=module)
    return engine


@contextmanager
def configured(
    storage: str | StorageBackend | None = None, *, inline: bool = True
) -> Iterator[Engine]:
    """``configure(...)`` for the duration of a ``with`` block, then the previous engine
    again (for tests and for code that works on several stores)."""
    previous = current.get()
    try:
        yield configure(storage, inline=inline)
    finally:
        current.install(previous)


def default_engine() -> Engine:
    """The configured engine (configured from the environment and files on first use)."""
    return configuration.default_engine()


async def shutdown() -> None:
    """Close the configured engine's store (if it opened it from a URL) and forget it."""
    engine = current.install(None)
    if engine is not None:
        await engine.close()


async def start(
    fn: Any,
    /,
    *args: Any,
    runtime: str | None = None,
    durable: bool | None = None,
    storage: str | StorageBackend | None = None,
    idempotency_key: str | None = None,
    **kwargs: Any,
) -> str:
    """Start ``fn`` (a ``@workflow``) durably; return its run id.

    Arguments are serialized now (a value that cannot be stored raises
    :class:`~pyworkflow.engine.serializer.SerializationError` here, nothing is written). With
    ``idempotency_key``, a second start with the same key returns the first run's id,
    whatever that run's status. In the inline mode the run executes in this call until it ends
    or first suspends, following a continue-as-new chain to its end.

    ``runtime``, ``durable``, ``storage`` and ``idempotency_key`` are this call's options and
    never reach the workflow. ``runtime``: ``"local"`` (inline) or ``"celery"``/``"workers"``
    (stored only; workers execute it); default: the configured engine's mode. ``durable``:
    this argument, else ``@workflow(durable=)``, else the configured default; ``False`` runs
    the workflow in process, stores nothing and re-raises its exception (see
    :mod:`pyworkflow.engine.transient`). ``storage``: a URL or backend for this call only.
    """
    from .registry import get_workflow
    from .transient import run_transient

    inline = resolve_inline(runtime)
    definition = get_workflow(fn)
    if not resolve_durable(durable, definition):
        if inline is False:
            raise InvalidInput(
                "a transient (durable=False) run executes in this process; it cannot be "
                f"handed to workers (runtime={runtime!r})"
            )
        return await run_transient(definition, args, kwargs)
    async with engine_for(default_engine(), storage=storage, inline=inline) as engine:
        return await engine.start(fn, args, kwargs, idempotency_key=idempotency_key)


async def wait(
    run_id: str,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - the public API's name
    poll: float = 0.05,
    raise_on_failure: bool = False,
) -> WorkflowRun:
    """Wait until the run is terminal; return it with ``result`` decoded.

    In the inline mode, the due tasks of this run and of the runs it depends on (its
    children, its continue-as-new successors) are processed while waiting (so sleeps,
    retries and hook deliveries happen without a separate worker); other programs' tasks in
    the same store are left to workers. :class:`WaitTimeout` (a
    ``TimeoutError``) after ``timeout`` seconds; :class:`WorkflowFailed` if
    ``raise_on_failure`` and the run did not complete. A ``continued_as_new`` run is terminal:
    follow ``run.continued_to`` (or :func:`get_workflow_chain`) to its successor. A failed run
    that ``@workflow(max_retries=N)`` started again is followed to its last attempt (the run
    returned then has that attempt's id).
    """
    from .worker import Worker

    # InvalidInput for nan, infinity or a negative timeout (which would wait forever or not
    # at all), before anything else.
    limit = None if timeout is None else to_seconds(timeout)
    engine = default_engine()
    storage = await engine.storage()
    worker = Worker(engine, concurrency=4, poll=poll) if engine.inline else None
    scope = RunScope(storage, run_id)
    deadline = None if limit is None else time.monotonic() + limit
    delay = poll
    while True:
        run = await storage.get_run(run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} does not exist")
        if run.status is RunStatus.FAILED and run.continued_to is not None:
            run_id = run.continued_to  # retried (@workflow(max_retries=N)): the next attempt
            continue
        if run.status.terminal:
            if raise_on_failure and run.status.value in ("failed", "cancelled"):
                raise WorkflowFailed(f"run {run_id} ended {run.status.value}: {run.error}")
            return decoded_run(run)
        if deadline is not None and time.monotonic() >= deadline:
            raise WaitTimeout(
                f"run {run_id} is still {run.status.value} after {timeout}s; it goes on "
                "(a worker resumes it when it is due)"
            )
        worked = await worker.run_once(accept=scope.accepts) if worker is not None else 0
        if worked:
            delay = poll
        else:
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.5)


async def schedule(
    fn: Any,
    /,
    *args: Any,
    every: str | float | timedelta | None = None,
    schedule_id: str | None = None,
    first_at: datetime | None = None,
    cron: str | None = None,
    calendar: list[Any] | None = None,
    timezone: str = "UTC",
    catchup: str | None = None,
    catchup_window: str | float | timedelta | None = None,
    **kwargs: Any,
) -> str:
    """Start ``fn(*args, **kwargs)`` every ``every`` (``"1h"``, seconds, ``timedelta``), on
    the ``cron`` expression, or on the ``calendar`` entries (``CalendarSpec``), in ``timezone``
    (IANA), fired by workers; return the schedule id. The first firing is at ``first_at``
    (default: the spec's first slot from now). Give at least one of ``every``/``cron``/
    ``calendar`` (several: the earliest slot wins), else :class:`InvalidInput`.
    ``catchup`` (``"one"``, the default, ``"all"`` or ``"skip"``) and ``catchup_window``
    decide what slots missed during a downtime do (``pyworkflow.engine.schedule_catchup``).
    Remove it with ``StorageBackend.delete_schedule(id)``; pause it by setting its status to
    ``paused`` (firings then keep ticking without starting runs)."""
    storage = await default_engine().storage()
    row = await create_schedule_row(
        storage,
        fn,
        args,
        kwargs,
        every=every,
        schedule_id=schedule_id,
        first_at=first_at,
        cron=cron,
        calendar=calendar,
        timezone=timezone,
        catchup=catchup,
        catchup_window=catchup_window,
    )
    return row.id


async def run_until_complete(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``start`` then ``wait``; return the result, or raise :class:`WorkflowFailed` if the run
    failed or was cancelled. A run that continues-as-new is followed to the end of its chain.
    """
    run = await wait(await start(fn, *args, **kwargs), raise_on_failure=True)
    while run.continued_to is not None:
        run = await wait(run.continued_to, raise_on_failure=True)
    return run.result


async def get_run(run_id: str) -> WorkflowRun:
    """The run with ``input``/``result``/``context`` decoded; :class:`NotFound` if missing."""
    return await default_engine().get_run(run_id)


async def get_events(run_id: str, *, after: int = 0) -> list[Event]:
    """The run's event log (``sequence``, ``type``, ``timestamp``, ``data``), oldest first.

    Values inside ``data`` (results, payloads, context) are in their stored, serialized form.
    """
    storage = await default_engine().storage()
    return await read_all(storage, run_id, after)


async def get_workflow_chain(
    run_id: str, storage: str | StorageBackend | None = None
) -> list[WorkflowRun]:
    """Every run of the continue-as-new chain containing ``run_id``, oldest first;
    :class:`NotFound` if there is no such run. ``storage``: a URL or backend for this call
    only."""
    async with engine_for(default_engine(), storage=storage, inline=None) as engine:
        store = await engine.storage()
        return [decoded_run(r) for r in await store.chain(run_id)]


async def cancel(
    run_id: str,
    reason: str | None = None,
    *,
    wait: bool = False,
    timeout: float | None = None,  # noqa: ASYNC109 - the public API's name
) -> bool:
    """Request the run's cancellation; ``False`` if it had already ended.

    The request is recorded durably (``cancellation.requested``) and the run is executed
    promptly (here, on an inline engine; else by a worker): its workflow code gets
    :class:`CancellationError` at its next checkpoint, also when it was suspended, so it can
    run cleanup (in ``async with shield():`` if that cleanup itself calls steps). If the
    error escapes, the run ends ``cancelled``; its running children (``parent_close=
    "cancel"``) are then cancelled too. ``wait=True`` blocks until the run is terminal, at
    most ``timeout`` seconds (default 60; then :class:`WaitTimeout`, a ``TimeoutError``).
    :class:`WorkflowNotFoundError` for an unknown run.
    """
    engine = default_engine()
    requested = await engine.cancel(run_id, reason=reason)
    if requested and wait:
        await wait_until_terminal(engine, run_id, timeout)
    return requested


def _engine_for(storage: StorageBackend | None) -> Engine:
    """The configured engine, or for another ``storage`` an engine on it (which closes
    nothing: the backend stays the caller's) in the configured execution mode."""
    engine = default_engine()
    if storage is None or engine._backend is storage:
        return engine
    return Engine(storage, inline=engine.inline)


async def cancel_workflow(
    run_id: str,
    reason: str | None = None,
    wait: bool = False,
    timeout: float | None = None,  # noqa: ASYNC109 - the predecessor's name
    storage: StorageBackend | None = None,
) -> bool:
    """The predecessor's name of :func:`cancel` (``storage``: a backend other than the
    configured one). :class:`WorkflowNotFoundError` for an unknown run."""
    engine = _engine_for(storage)
    requested = await engine.cancel(run_id, reason=reason)
    if requested and wait:
        await wait_until_terminal(engine, run_id, timeout)
    return requested


@dataclass(frozen=True, slots=True)
class PendingHook:
    """A hook a run is waiting on, as recorded by its ``hook.created`` event."""

    run_id: str
    name: str
    token: str
    created_at: datetime
    expires_at: datetime | None


async def pending_hooks(run_id: str) -> list[PendingHook]:
    """The hooks ``run_id`` created and has not yet received or timed out, oldest first.

    This is how the outside learns a token: from the run's log (``hook.created`` carries
    ``data.token``), readable by whoever can read the store.
    """
    storage = await default_engine().storage()
    events = await storage.read(run_id, types=["hook.created", "hook.received", "hook.expired"])
    done = {e.data["pos"] for e in events if e.type != "hook.created"}
    return [
        PendingHook(
            run_id=run_id,
            name=e.data["name"],
            token=e.data["token"],
            created_at=e.timestamp,
            expires_at=None
            if e.data.get("expires_at") is None
            else from_micros(e.data["expires_at"]),
        )
        for e in events
        if e.type == "hook.created" and e.data["pos"] not in done
    ]


async def deliver_hook(
    token: str, payload: Any = None, *, storage: str | StorageBackend | None = None
) -> bool:
    """Deliver ``payload`` to the hook with ``token`` and schedule its run to resume.

    ``True`` for the call that delivered it; ``False`` if it was already delivered or has
    expired. :class:`NotFound` for an unknown token. If this call raised midway, call it
    again: it then returns ``False`` but still makes sure the run is resumed. (The
    predecessor's :func:`~pyworkflow.engine.hooks.resume_hook` is this call raising a typed
    error instead of returning ``False``.) ``storage``: a URL or backend for this call only.
    """
    async with engine_for(default_engine(), storage=storage, inline=None) as engine:
        return await _deliver(await engine.storage(), token, payload)


async def _deliver(storage: StorageBackend, token: str, payload: Any) -> bool:
    hook = await storage.get_hook(token)
    if hook is None:
        raise NotFound("no hook with this token")
    done = await storage.resolve_hook(token, encode(payload, "hook payload"))
    await storage.enqueue(
        Task(id=hook_task_id(hook.run_id, token), run_id=hook.run_id, kind=RESUME, due_at=utcnow())
    )
    return done
