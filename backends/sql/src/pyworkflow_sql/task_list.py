"""``list_tasks`` on the SQL backends: one indexed, limit-bounded SELECT.

The listing is in claim order, ``(due_at, id)`` ascending, so it walks
``ix_pyworkflow_tasks_due`` from the cursor and stops after ``limit`` rows (plus the rows a
``state`` filter skips). With ``run_id`` the planner takes ``ix_pyworkflow_tasks_run`` and
sorts that run's tasks, which are few: a run has one task per pending timer, retry or wake-up.
The state is decided in SQL from the lease columns with the same rules as
:func:`pyworkflow.task_views.task_state`, then again in Python for each row returned.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pyworkflow.codec import from_micros, to_micros
from pyworkflow.task_views import TaskInfo, TaskState

from .rows import TASKS

__all__ = ["TaskListing", "list_tasks_sql"]

#: The condition selecting each state; each takes ``now`` (epoch microseconds) once.
_STATE_SQL = {
    TaskState.LEASED: "expires_at IS NOT NULL AND expires_at > ?",
    TaskState.EXPIRED: "expires_at IS NOT NULL AND expires_at <= ?",
    TaskState.READY: "expires_at IS NULL AND due_at <= ?",
    TaskState.SCHEDULED: "expires_at IS NULL AND due_at > ?",
}


@functools.cache
def list_tasks_sql(run: bool, state: TaskState | None, cursor: bool) -> str:
    """The statement (``?`` style) for one combination of filters."""
    where = ["run_id = ?"] if run else []
    if state is not None:
        where.append(_STATE_SQL[state])
    if cursor:
        # Written like list_runs' keyset condition so every engine uses the index range.
        where.append("due_at >= ? AND (due_at > ? OR id > ?)")
    cond = f" WHERE {' AND '.join(where)}" if where else ""
    return (
        f"SELECT {TASKS.select_list}, worker, expires_at FROM {TASKS.table}{cond} "
        "ORDER BY due_at, id LIMIT ?"
    )


class TaskListing:
    """The ``_list_tasks`` primitive, mixed into :class:`pyworkflow_sql.SqlBackend`."""

    def q(self, sql: str) -> str:  # pragma: no cover - provided by SqlBackend
        raise NotImplementedError

    async def _query(
        self, sql: str, args: Sequence[Any]
    ) -> list[Sequence[Any]]:  # pragma: no cover - provided by SqlBackend
        raise NotImplementedError

    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        args: list[Any] = [] if run_id is None else [run_id]
        if state is not None:
            args.append(to_micros(now))
        if after is not None:
            at = to_micros(after[0])
            args += (at, at, after[1])
        args.append(limit)
        sql = list_tasks_sql(run_id is not None, state, after is not None)
        n = len(TASKS.fields)
        out = []
        for row in await self._query(self.q(sql), args):
            expires = row[n + 1]
            out.append(
                TaskInfo.at(
                    TASKS.from_row(row[:n]),
                    row[n],
                    None if expires is None else from_micros(expires),
                    now,
                )
            )
        return out
