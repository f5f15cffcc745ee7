"""``@scheduled_workflow`` and ``LocalScheduler``: the predecessor's names over our schedules.

A scheduled workflow is a normal ``@workflow`` plus an entry in a registry of this process
(its :class:`ScheduleSpec` and overlap policy). No schedule row exists until
:func:`activate_scheduled_workflows` stores one (id ``auto_<workflow name>``), once, however
many processes call it. From then on the schedule fires like any other: as durable tasks,
claimed once per slot by whichever worker runs (``pyworkflow worker``, or a
:class:`LocalScheduler`, which is a worker loop in this process).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyworkflow.errors import ConflictError, InvalidInput, NotFound
from pyworkflow.storage import StorageBackend

from .registry import workflow
from .schedule_admin import get_schedule
from .schedule_overlap import OverlapPolicy
from .schedule_spec import ScheduleSpec, create_schedule
from .schedule_specs import CalendarSpec
from .worker import Worker

__all__ = [
    "LocalScheduler",
    "ScheduledWorkflowMetadata",
    "activate_scheduled_workflows",
    "get_scheduled_workflow",
    "list_scheduled_workflows",
    "scheduled_workflow",
]


@dataclass(frozen=True)
class ScheduledWorkflowMetadata:
    """What ``@scheduled_workflow`` registered: the workflow's name, when it fires, what a
    firing does while an earlier run still runs, and the function."""

    workflow_name: str
    spec: ScheduleSpec
    overlap_policy: OverlapPolicy
    func: Callable[..., Any]


_SCHEDULED: dict[str, ScheduledWorkflowMetadata] = {}


def scheduled_workflow(
    cron: str | None = None,
    interval: str | float | timedelta | None = None,
    calendar: list[CalendarSpec] | None = None,
    timezone: str = "UTC",
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    jitter: str | float | timedelta | None = None,
    overlap_policy: OverlapPolicy | str = OverlapPolicy.SKIP,
    name: str | None = None,
    durable: bool | None = None,
    max_duration: str | float | timedelta | None = None,
    recover_on_worker_loss: bool | None = None,
    max_recovery_attempts: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a workflow that runs on a schedule (see the module docstring). At least one
    of ``cron``, ``interval`` or ``calendar`` is required (else :class:`InvalidInput`, a
    ``ValueError``, at decoration); the other keywords are ``@workflow``'s."""
    if not cron and interval is None and not calendar:
        raise InvalidInput(
            "scheduled_workflow requires at least one of: cron, interval, or calendar"
        )
    spec = ScheduleSpec(
        cron=cron,
        interval=interval,
        calendar=calendar,
        timezone=timezone,
        start_at=start_at,
        end_at=end_at,
        jitter=jitter,
    )
    spec.timing()  # a bad time zone or spec is refused now, not at activation
    policy = OverlapPolicy(overlap_policy)
    as_workflow = workflow(
        name=name,
        durable=durable,
        max_duration=max_duration,
        recover_on_worker_loss=recover_on_worker_loss,
        max_recovery_attempts=max_recovery_attempts,
    )

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        registered = as_workflow(func)
        wf_name = name or func.__name__
        _SCHEDULED[wf_name] = ScheduledWorkflowMetadata(wf_name, spec, policy, registered)
        registered.__scheduled__ = True  # type: ignore[attr-defined]
        registered.__schedule_spec__ = spec  # type: ignore[attr-defined]
        registered.__overlap_policy__ = policy  # type: ignore[attr-defined]
        return registered

    return decorate


def get_scheduled_workflow(name: str) -> ScheduledWorkflowMetadata | None:
    """The scheduled workflow registered under ``name`` in this process, or ``None``."""
    return _SCHEDULED.get(name)


def list_scheduled_workflows() -> dict[str, ScheduledWorkflowMetadata]:
    """Every scheduled workflow registered in this process, by name."""
    return dict(_SCHEDULED)


async def activate_scheduled_workflows(
    storage: StorageBackend | None = None, schedule_id_prefix: str = "auto_"
) -> list[str]:
    """Store a schedule ``<prefix><workflow name>`` for each registered scheduled workflow
    that has none yet; return the ids created. Idempotent and safe to call from several
    processes at once: a schedule another process created first is left as it is."""
    created: list[str] = []
    for meta in list(_SCHEDULED.values()):
        schedule_id = f"{schedule_id_prefix}{meta.workflow_name}"
        try:
            await get_schedule(schedule_id, storage=storage)
            continue
        except NotFound:
            pass
        try:
            await create_schedule(
                meta.workflow_name,
                meta.spec,
                overlap_policy=meta.overlap_policy,
                schedule_id=schedule_id,
                storage=storage,
            )
        except ConflictError:
            continue  # created meanwhile by another process
        created.append(schedule_id)
    return created


class LocalScheduler:
    """Fire due schedules (and run what they start) in this process: a
    :class:`~pyworkflow.engine.worker.Worker` loop over the configured store, or ``storage``.

    ``await run(duration=None)`` until :meth:`stop` (or for ``duration`` seconds);
    ``await tick_once()`` processes the tasks due now once and returns how many."""

    def __init__(self, storage: StorageBackend | None = None, poll_interval: float = 5.0) -> None:
        self._worker = Worker(storage, poll=poll_interval)
        self._running = False
        self._stop = asyncio.Event()
        self.poll_interval = poll_interval

    @property
    def is_running(self) -> bool:
        return self._running

    async def tick_once(self) -> int:
        return await self._worker.run_once()

    async def run(self, duration: float | None = None) -> None:
        self._running = True
        self._stop.clear()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not self._stop.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    return
                if await self.tick_once():
                    continue
                wait = self.poll_interval
                if deadline is not None:
                    wait = max(0.0, min(wait, deadline - time.monotonic()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=wait)
        finally:
            self._running = False

    def stop(self) -> None:
        self._stop.set()
