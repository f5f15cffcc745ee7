"""A dump of a store through the public contract, and exact (type-strict) equality.

"Bad input changes nothing" is checked by dumping the store before and after a call. The
contract lists runs, schedules and tasks (with their leases, ``list_tasks``), so those are
dumped whole; event logs and hooks are found by id (a log need not have a run, a hook is
addressed by its token), so the caller names the ones a call may have touched.
:func:`drain_tasks` claims and completes every task and returns them as they were stored,
for tests that keep the store free of tasks between checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pyworkflow import Event, Hook, InvalidInput, Schedule, StorageBackend, Task, WorkflowRun
from pyworkflow._ids import check_id
from pyworkflow.task_views import TaskInfo

from .helpers import all_runs, all_schedules

__all__ = ["StoreDump", "assert_unchanged", "drain_tasks", "dump_store", "same"]

#: ``now`` for :func:`drain_tasks`: the last instant a one-microsecond lease fits before the
#: end of year 9999, so every task is due by then except one due in the very last microsecond.
LAST_CLAIM = datetime.max.replace(tzinfo=UTC) - timedelta(microseconds=1)
#: ``now`` of the task listing in a dump: fixed, so that two dumps of an unchanged store agree.
DUMP_NOW = datetime(2000, 1, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class StoreDump:
    """Everything the contract shows of a store (see the module docstring)."""

    runs: tuple[WorkflowRun, ...]
    logs: dict[str, tuple[int, tuple[Event, ...]]]
    hooks: dict[str, Hook | None]
    schedules: tuple[Schedule, ...]
    tasks: tuple[TaskInfo, ...] = ()


async def dump_store(
    backend: StorageBackend, *, run_ids: Iterable[str] = (), tokens: Iterable[str] = ()
) -> StoreDump:
    """Every run, schedule and task, the log (version and events) of each of ``run_ids``, and the
    hook of each of ``tokens`` (``None`` if it has none). Logs are dumped only where named:
    reading every run's log before and after each call would make a long property run
    quadratic."""
    runs = await all_runs(backend, limit=1000)
    logs: dict[str, tuple[int, tuple[Event, ...]]] = {}
    for run_id in sorted(set(filter(_usable, run_ids))):
        version = await backend.version(run_id)
        logs[run_id] = (version, tuple(await backend.read(run_id)))
    hooks = {token: await backend.get_hook(token) for token in sorted(set(filter(_usable, tokens)))}
    schedules = await all_schedules(backend, limit=1000)
    tasks: list[TaskInfo] = []
    cursor: str | None = None
    while True:
        page = await backend.list_tasks(limit=1000, cursor=cursor, now=DUMP_NOW)
        tasks.extend(page.items)
        if (cursor := page.next_cursor) is None:
            break
    return StoreDump(tuple(runs), logs, hooks, tuple(schedules), tuple(tasks))


def _usable(value: object) -> bool:
    """Whether ``value`` can name a log or a hook (others cannot have been written)."""
    try:
        check_id(value, "id")
    except InvalidInput:
        return False
    return True


def assert_unchanged(before: StoreDump, after: StoreDump, what: str = "") -> None:
    """Fail, showing the difference, unless the two dumps are :func:`same`."""
    if not same(before, after):
        assert before == after, f"the store changed {what}".strip()
        raise AssertionError(f"the store changed (only in value types) {what}".strip())


async def drain_tasks(backend: StorageBackend) -> list[Task]:
    """Claim and complete every task; return them as stored before (``attempts`` as it was)."""
    found: list[Task] = []
    while True:
        leases = await backend.claim(
            "dump", lease=timedelta(microseconds=1), limit=1000, now=LAST_CLAIM
        )
        if not leases:
            return sorted(found, key=lambda t: t.id)
        for lease in leases:
            await backend.complete(lease)
            found.append(dataclasses.replace(lease.task, attempts=lease.task.attempts - 1))


def same(a: Any, b: Any) -> bool:
    """Equality that also requires equal types all the way down (``1 != 1.0 != True``,
    ``-0.0 != 0.0``, a list is not a tuple), and UTC on datetimes. Dataclasses compare
    field by field."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and str(a) == str(b)  # -0.0 and 0.0 are equal but not the same
    if isinstance(a, datetime):
        return a == b and a.tzinfo is UTC and b.tzinfo is UTC
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return bool(a == b)
