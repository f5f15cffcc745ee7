"""The module-level API: ``configure`` once, then ``start``, ``wait``, ``cancel``...

Every function uses the engine set by :func:`configure` (or, if it was never called, one on
:func:`pyworkflow.config.resolve_url`: ``PYWORKFLOW_STORAGE_URL``, ``[tool.pyworkflow]
storage`` in pyproject.toml, else ``sqlite:///pyworkflow.db``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyworkflow.codec import from_micros
from pyworkflow.config import resolve_url
from pyworkflow.errors import NotFound
from pyworkflow.models import Event, Task, WorkflowRun, utcnow
from pyworkflow.storage import StorageBackend

from .context import RESUME, hook_task_id
from .durations import to_seconds
from .errors import WaitTimeout, WorkflowFailed
from .runtime import Engine, decoded_run, read_all
from .schedules import create_schedule_row
from .serializer import encode

__all__ = [
    "PendingHook",
    "cancel",
    "configure",
    "configured",
    "default_engine",
    "get_events",
    "get_run",
    "get_workflow_chain",
    "pending_hooks",
    "resume_hook",
    "run_until_complete",
    "schedule",
    "shutdown",
    "start",
    "wait",
]

_engine: Engine | None = None


def configure(storage: str | StorageBackend | None = None, *, inline: bool = True) -> Engine:
    """Choose the store (a URL such as ``"sqlite:///wf.db"`` or a connected or unconnected
    :class:`StorageBackend`) and the execution mode; return the engine.

    ``inline=True``: ``start()`` runs the workflow in this process until it ends or suspends,
    and ``wait()`` processes due tasks (timers, retries, hooks) while waiting. With
    ``inline=False`` runs are only executed by workers (``pyworkflow worker``).
    """
    global _engine
    _engine = Engine(resolve_url(None) if storage is None else storage, inline=inline)
    return _engine


@contextmanager
def configured(
    storage: str | StorageBackend | None = None, *, inline: bool = True
) -> Iterator[Engine]:
    """``configure(...)`` for the duration of a ``with`` block, then the previous engine
    again (for tests and for code that works on several stores)."""
    global _engine
    previous = _engine
    try:
        yield configure(storage, inline=inline)
    finally:
        _engine = previous


def default_engine() -> Engine:
    """The configured engine (configured from :func:`resolve_url` on first use)."""
    return _engine if _engine is not None else configure()


async def shutdown() -> None:
    """Close the configured engine's store (if it opened it from a URL) and forget it."""
    global _engine
    if _engine is not None:
        await _engine.close()
        _engine = None


async def start(fn: Any, /, *args: Any, idempotency_key: str | None = None, **kwargs: Any) -> str:
    """Start ``fn`` (a ``@workflow``) durably; return its run id.

    Arguments are serialized now (a value that cannot be stored raises
    :class:`~pyworkflow.engine.serializer.SerializationError` here, nothing is written). With
    ``idempotency_key``, a second start with the same key returns the first run's id. In the
    inline mode the run executes in this call until it ends or first suspends.
    """
    return await default_engine().start(fn, args, kwargs, idempotency_key=idempotency_key)


async def wait(
    run_id: str,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - the public API's name
    poll: float = 0.05,
    raise_on_failure: bool = False,
) -> WorkflowRun:
    """Wait until the run is terminal; return it with ``result`` decoded.

    In the inline mode, due tasks of this store are processed while waiting (so sleeps,
    retries and hook deliveries happen without a separate worker). :class:`WaitTimeout` (a
    ``TimeoutError``) after ``timeout`` seconds; :class:`WorkflowFailed` if
    ``raise_on_failure`` and the run did not complete. A ``continued_as_new`` run is terminal:
    follow ``run.continued_to`` (or :func:`get_workflow_chain`) to its successor.
    """
    from .worker import Worker

    # InvalidInput for nan, infinity or a negative timeout (which would wait forever or not
    # at all), before anything else.
    limit = None if timeout is None else to_seconds(timeout)
    engine = default_engine()
    storage = await engine.storage()
    worker = Worker(engine, concurrency=4, poll=poll) if engine.inline else None
    deadline = None if limit is None else time.monotonic() + limit
    delay = poll
    while True:
        run = await storage.get_run(run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} does not exist")
        if run.status.terminal:
            if raise_on_failure and run.status.value in ("failed", "cancelled"):
                raise WorkflowFailed(f"run {run_id} ended {run.status.value}: {run.error}")
            return decoded_run(run)
        if deadline is not None and time.monotonic() >= deadline:
            raise WaitTimeout(
                f"run {run_id} is still {run.status.value} after {timeout}s; it goes on "
                "(a worker resumes it when it is due)"
            )
        worked = await worker.run_once() if worker is not None else 0
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
    **kwargs: Any,
) -> str:
    """Start ``fn(*args, **kwargs)`` every ``every`` (``"1h"``, seconds, ``timedelta``), on
    the ``cron`` expression, or on the ``calendar`` entries (``CalendarSpec``), in ``timezone``
    (IANA), fired by workers; return the schedule id. The first firing is at ``first_at``
    (default: the spec's first slot from now). Give at least one of ``every``/``cron``/
    ``calendar`` (several: the earliest slot wins), else :class:`InvalidInput`.
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


async def get_workflow_chain(run_id: str) -> list[WorkflowRun]:
    """Every run of the continue-as-new chain containing ``run_id``, oldest first."""
    storage = await default_engine().storage()
    return [decoded_run(r) for r in await storage.chain(run_id)]


async def cancel(run_id: str, *, reason: str | None = None) -> bool:
    """Cancel the run (and its running children); ``False`` if it had already ended."""
    return await default_engine().cancel(run_id, reason=reason)


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


async def resume_hook(token: str, payload: Any = None) -> bool:
    """Deliver ``payload`` to the hook with ``token`` and schedule its run to resume.

    ``True`` for the call that delivered it; ``False`` if it was already delivered or has
    expired. :class:`NotFound` for an unknown token. If this call raised midway, call it
    again: it then returns ``False`` but still makes sure the run is resumed.
    """
    engine = default_engine()
    storage = await engine.storage()
    hook = await storage.get_hook(token)
    if hook is None:
        raise NotFound("no hook with this token")
    done = await storage.resolve_hook(token, encode(payload, "hook payload"))
    await storage.enqueue(
        Task(id=hook_task_id(hook.run_id, token), run_id=hook.run_id, kind=RESUME, due_at=utcnow())
    )
    return done
