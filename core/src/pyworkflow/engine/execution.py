"""The predecessor's execution API over our engine: ``start``'s keywords (``runtime``,
``durable``, ``storage``), ``resume``, ``get_workflow_run``, ``get_workflow_events`` and the
errors they raise.

``runtime``: ``"local"`` executes a run in the calling process until it ends or suspends
(our inline mode); ``"celery"`` (the predecessor's name) or ``"workers"`` only stores it, for
workers to execute (our workers are the durable queue: no Celery is needed). ``durable``:
``start(durable=)``, then ``@workflow(durable=)``, then the configured default.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pyworkflow.errors import ConflictError, InvalidInput
from pyworkflow.models import Event, RunStatus, Task, WorkflowRun, utcnow
from pyworkflow.storage import StorageBackend

from . import settings
from .configuration import default_engine
from .context import RESUME
from .errors import WorkflowFailed, WorkflowNotFoundError
from .registry import WorkflowDef
from .runtime import Engine, decoded_run, read_all

__all__ = [
    "RUNTIMES",
    "WorkflowAlreadyRunningError",
    "WorkflowNotFoundError",
    "engine_for",
    "get_workflow_events",
    "get_workflow_run",
    "resolve_durable",
    "resolve_inline",
    "resume",
]

#: runtime name -> whether ``start()`` executes the run in the calling process
RUNTIMES: dict[str, bool] = {"local": True, "celery": False, "workers": False}


class WorkflowAlreadyRunningError(ConflictError):
    """The predecessor's error for a start whose idempotency key names a running run.

    Our ``start()`` never raises it: a start with a known key returns that run's id, whatever
    its status (a retried request must get the same answer as the first). The class exists so
    that code catching it keeps importing."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"Workflow already running: {run_id}")
        self.run_id = run_id


def resolve_inline(runtime: str | None) -> bool | None:
    """Whether ``runtime`` executes in process; ``None`` for "as configured"."""
    if runtime is None:
        return None
    if runtime not in RUNTIMES:
        raise InvalidInput(f"unknown runtime {runtime!r}; known: {sorted(RUNTIMES)}")
    return RUNTIMES[runtime]


def resolve_durable(durable: bool | None, definition: WorkflowDef) -> bool:
    """``start(durable=)``, else the decorator's, else the configured default."""
    if durable is not None:
        if not isinstance(durable, bool):
            raise InvalidInput(f"durable must be True, False or None, got {durable!r}")
        return durable
    if definition.options.durable is not None:
        return definition.options.durable
    return settings.current().default_durable


@asynccontextmanager
async def engine_for(
    default: Engine, *, storage: str | StorageBackend | None, inline: bool | None
) -> AsyncIterator[Engine]:
    """``default`` unless the call names its own store or runtime; an engine opened here from
    a URL is closed on exit (a backend passed in is the caller's)."""
    if storage is None and (inline is None or inline == default.inline):
        yield default
        return
    mode = default.inline if inline is None else inline
    engine = Engine(await default.storage() if storage is None else storage, inline=mode)
    try:
        yield engine
    finally:
        await engine.close()


async def get_workflow_run(
    run_id: str, storage: str | StorageBackend | None = None
) -> WorkflowRun | None:
    """The run with its values decoded, or ``None`` if there is none (a transient run's id
    is never stored). ``storage``: a URL or backend for this call only."""
    async with engine_for(default_engine(), storage=storage, inline=None) as engine:
        run = await (await engine.storage()).get_run(run_id)
        return None if run is None else decoded_run(run)


async def get_workflow_events(
    run_id: str, storage: str | StorageBackend | None = None
) -> list[Event]:
    """The run's log, oldest first (``[]`` for an unknown run). Each engine event's ``type``
    is an :class:`~pyworkflow.engine.events.EventType`; values inside ``data`` are in their
    stored, serialized form."""
    async with engine_for(default_engine(), storage=storage, inline=None) as engine:
        return await read_all(await engine.storage(), run_id)


async def resume(
    run_id: str, runtime: str | None = None, storage: str | StorageBackend | None = None
) -> Any:
    """Advance ``run_id`` now: in the local runtime, replay and continue it in this process
    and return its result if it completed (``None`` if it suspended again, was cancelled or
    continued as new; :class:`WorkflowFailed` if it failed). Otherwise store a task due now
    for a worker and return ``None``. A sleep or retry whose time has not come suspends
    again; resuming a run is always safe (the log decides what happens).
    :class:`WorkflowNotFoundError` for an unknown run."""
    inline = resolve_inline(runtime)
    async with engine_for(default_engine(), storage=storage, inline=inline) as engine:
        store = await engine.storage()
        if await store.get_run(run_id) is None:
            raise WorkflowNotFoundError(run_id)
        if not engine.inline:
            # a fresh id each time: an earlier resume's task may be leased right now
            await store.enqueue(
                Task(
                    id=f"{run_id}:resume:{utcnow().timestamp()}",
                    run_id=run_id,
                    kind=RESUME,
                    due_at=utcnow(),
                )
            )
            return None
        await engine.execute(run_id)
        run = await store.get_run(run_id)
        assert run is not None
        if run.status is RunStatus.FAILED:
            raise WorkflowFailed(f"run {run_id} failed: {run.error}")
        return decoded_run(run).result if run.status is RunStatus.COMPLETED else None
