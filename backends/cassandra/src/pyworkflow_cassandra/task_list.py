"""``list_tasks`` on Cassandra: the due index from its floor, each task read once.

Without ``run_id`` the listing reads ``tasks_due`` (one partition clustered by
``(due_at, id)``, exactly the contract's order) from ``max(cursor, floor)``: no live entry lies
below the floor (see :mod:`.tasks`), so the tombstones of tasks completed long ago are never
read. Each entry's task is then read from ``tasks`` (concurrently, about ``limit`` at a time);
an entry whose task is gone or whose ``due_at`` moved (crash debris, a release in flight) is
skipped, as a claim skips it. With ``run_id`` it reads the run's ids from ``tasks_by_run`` (a
run has few tasks), their rows, and sorts them.

Cost: a page reads about ``limit`` index entries and ``limit`` task rows (more with a
``state`` filter, which skips the entries in other states), plus the tombstones of tasks due
in the last few minutes that the claims' floor has not passed yet. Reads are at the session's
consistency level, like every other read of this backend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyworkflow.codec import from_micros, to_micros
from pyworkflow.task_views import TaskInfo, TaskState

from .records import _gather
from .tasks import TasksMixin

__all__ = ["TaskListing"]


class TaskListing(TasksMixin):
    """The ``_list_tasks`` primitive, mixed into :class:`~.backend.CassandraBackend`."""

    def _info(self, row: dict[str, Any], now: datetime) -> TaskInfo:
        held = row["lease_token"] is not None
        return TaskInfo.at(
            self._task(row),
            row["worker"] if held else None,
            from_micros(row["lease_until"]) if held else None,
            now,
        )

    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        if run_id is not None:
            return await self._run_tasks(run_id, state, now, limit, after)
        floor, _ = await self._floor()
        if after is None or to_micros(after[0]) < floor:
            stmt, params = self._st["due_from"], (floor, "")
        else:
            stmt, params = self._st["due_after"], (to_micros(after[0]), after[1])

        async def fetch(entry: tuple[int, str]) -> TaskInfo | None:
            row = await self._one("task_get", (entry[1],))
            if row is None or row["due_at"] != entry[0]:
                return None  # gone or moved: listed at its new place, if any
            return self._info(row, now)

        out: list[TaskInfo] = []
        seen: set[str] = set()
        batch: list[tuple[int, str]] = []

        async def flush() -> None:
            for info in await _gather(fetch, batch):
                if info is not None and (state is None or info.state is state):
                    out.append(info)
            batch.clear()

        async for row in self._db.rows(stmt, params):
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            batch.append((row["due_at"], row["id"]))
            if len(batch) >= limit - len(out):
                await flush()
                if len(out) >= limit:
                    break
        else:
            await flush()
        return out[:limit]

    async def _run_tasks(
        self,
        run_id: str,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        ids = [row["id"] for row in await self._db.all(self._st["trun_list"], (run_id,))]

        async def fetch(task_id: str) -> TaskInfo | None:
            row = await self._one("task_get", (task_id,))
            return None if row is None else self._info(row, now)

        found = [i for i in await _gather(fetch, ids) if i is not None]
        found.sort(key=lambda i: (i.task.due_at, i.task.id))
        return [
            i
            for i in found
            if (after is None or (i.task.due_at, i.task.id) > after)
            and (state is None or i.state is state)
        ][:limit]
