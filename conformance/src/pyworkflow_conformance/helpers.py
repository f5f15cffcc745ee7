"""Small tools shared by the contract areas: capability skips and model factories.

Every factory returns a model with a fresh unique id, so tests never collide even when a
backend's store is shared (an explicit URL), and accepts keyword overrides for any field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from pyworkflow import (
    Hook,
    NewEvent,
    Page,
    RunFilter,
    Schedule,
    StorageBackend,
    Task,
    WorkflowRun,
)
from pyworkflow._ids import new_id

__all__ = [
    "T0",
    "aio",
    "all_runs",
    "all_schedules",
    "events",
    "gather",
    "later",
    "make_hook",
    "make_run",
    "make_schedule",
    "make_task",
    "require",
    "uid",
]

T = TypeVar("T")

#: Mark for every async contract test: explicit, so the suite runs in any asyncio_mode, and
#: on a per-test loop, matching the function-scoped ``backend`` fixtures.
aio = pytest.mark.asyncio(loop_scope="function")

#: A fixed, microsecond-precise instant used as the base of test timestamps.
T0 = datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=UTC)


def require(backend: StorageBackend, *features: str) -> None:
    """Skip the calling test unless ``backend.features`` declares every one of ``features``."""
    missing = backend.features.missing(*features)
    if missing:
        pytest.skip(
            f"{type(backend).__name__} does not declare feature(s) {', '.join(missing)} "
            "(features are data: see backend.features)"
        )


def uid(prefix: str = "t") -> str:
    """A unique id with a readable prefix."""
    return f"{prefix}-{new_id()}"


def events(n: int, type: str = "step", **data: Any) -> list[NewEvent]:
    """``n`` new events with unique ids; ``data`` gets an ``i`` counter added."""
    return [NewEvent(type=type, data={**data, "i": i}) for i in range(n)]


def make_run(**overrides: Any) -> WorkflowRun:
    """A pending run with a unique id (override any field)."""
    fields: dict[str, Any] = {"id": uid("run"), "workflow_name": "wf"}
    fields.update(overrides)
    return WorkflowRun(**fields)


def make_task(**overrides: Any) -> Task:
    """A task due at :data:`T0` for a unique run (so it is due for any ``now >= T0``)."""
    fields: dict[str, Any] = {
        "id": uid("task"),
        "run_id": uid("run"),
        "kind": "timer",
        "due_at": T0,
    }
    fields.update(overrides)
    return Task(**fields)


def make_hook(**overrides: Any) -> Hook:
    """A pending hook with a fresh token for a unique run."""
    fields: dict[str, Any] = {"run_id": uid("run"), "name": "approval"}
    fields.update(overrides)
    return Hook(**fields)


def make_schedule(**overrides: Any) -> Schedule:
    """An active every-minute schedule with a unique id."""
    fields: dict[str, Any] = {"id": uid("sched"), "workflow_name": "wf", "interval": 60.0}
    fields.update(overrides)
    return Schedule(**fields)


async def gather(aws: Iterable[Awaitable[T]]) -> list[T]:
    """Run awaitables concurrently; the first exception propagates after all finished."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


async def all_runs(
    backend: StorageBackend, flt: RunFilter | None = None, *, limit: int = 100
) -> list[WorkflowRun]:
    """Every run matching ``flt``, following cursors to the end."""
    found: list[WorkflowRun] = []
    cursor: str | None = None
    while True:
        page: Page[WorkflowRun] = await backend.list_runs(flt, limit=limit, cursor=cursor)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def all_schedules(backend: StorageBackend, *, limit: int = 100) -> list[Schedule]:
    """Every schedule, following cursors to the end."""
    found: list[Schedule] = []
    cursor: str | None = None
    while True:
        page = await backend.list_schedules(limit=limit, cursor=cursor)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def later(base: datetime, seconds: float) -> datetime:
    """``base`` plus ``seconds``."""
    return base + timedelta(seconds=seconds)
