"""``list_tasks`` on the files backend.

The task table's in-memory index (:class:`~pyworkflow_files._indexes.TaskIndex`) knows every
task's ``due_at`` and run, so the listing orders the keys in memory (``(due_at, id)``, one
sort of the index: no disk read) and reads from the table file only the rows it returns, plus
the rows a ``state`` filter looks at and skips. It holds the table's shared lock, so it sees
one consistent state of the table and never blocks other readers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pyworkflow.codec import from_micros, from_record, to_micros
from pyworkflow.models import Task
from pyworkflow.task_views import TaskInfo, TaskState

from ._indexes import TaskIndex
from ._table import Table

__all__ = ["TaskListing"]

T = TypeVar("T")


class TaskListing:
    """The ``_list_tasks`` primitive, mixed into :class:`pyworkflow_files.FilesBackend`."""

    tasks: Table

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:  # pragma: no cover - backend's
        raise NotImplementedError

    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        return await self._io(self._list_tasks_sync, run_id, state, now, limit, after)

    def _list_tasks_sync(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        with self.tasks.locked(False) as t:
            index: TaskIndex = t.index  # type: ignore[assignment]
            if run_id is None:
                keys = [(due, key) for _, due, key in index.slot.values()]
            else:
                keys = [index.slot[k][1:] for k in index.by_run.get(run_id, ())]
            keys.sort()
            start = 0 if after is None else bisect_right(keys, (to_micros(after[0]), after[1]))
            out: list[TaskInfo] = []
            for _, key in keys[start:]:
                data = t.get(key)
                assert data is not None  # the index and the table change together
                expires = data.get("expires_at")
                info = TaskInfo.at(
                    from_record(Task, data["task"]),
                    data.get("worker"),
                    None if expires is None else from_micros(expires),
                    now,
                )
                if state is None or info.state is state:
                    out.append(info)
                    if len(out) >= limit:
                        break
            return out
