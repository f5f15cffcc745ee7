"""The in-memory lookups each table keeps (rebuilt from its journal, updated per frame).

They answer the secondary queries without opening one file per item: idempotency keys and
the newest-first keyset order of runs, due tasks, the hooks and tasks of a run (for
retention), and schedules in id order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pyworkflow.codec import to_micros
from pyworkflow.models import RunFilter, ScheduleStatus

from ._table import Index

__all__ = ["HookIndex", "RunIndex", "ScheduleIndex", "TaskIndex"]


class RunIndex(Index):
    """Runs: (created_at, id) order, idempotency keys, filter fields, pending deletions."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.order: list[tuple[int, str]] = []  # ascending (created_at micros, id)
        self.keys: dict[str, str] = {}  # idempotency key -> run id
        self.key_of: dict[str, str] = {}  # run id -> its idempotency key
        # run id -> (workflow_name, status, parent_id, completed_at micros | None)
        self.fields: dict[str, tuple[str, str, str | None, int | None]] = {}
        self.created: dict[str, int] = {}
        self.deleting: set[str] = set()

    def put(self, key: str, value: dict[str, Any]) -> None:
        if key not in self.created:
            self.created[key] = value["created_at"]
            insort(self.order, (value["created_at"], key))
            if value.get("idempotency_key") is not None:
                self.keys[value["idempotency_key"]] = key
                self.key_of[key] = value["idempotency_key"]
        self.fields[key] = (
            value["workflow_name"],
            value["status"],
            value.get("parent_id"),
            value.get("completed_at"),
        )
        if value.get("_deleting"):
            self.deleting.add(key)

    def delete(self, key: str) -> None:
        created = self.created.pop(key, None)
        if created is None:
            return
        pos = bisect_left(self.order, (created, key))
        del self.order[pos]
        idem = self.key_of.pop(key, None)
        if idem is not None:
            del self.keys[idem]
        self.fields.pop(key, None)
        self.deleting.discard(key)

    def select(self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None) -> list[str]:
        """Ids of up to ``limit`` matching runs, newest first, strictly after ``after``."""
        pos = (
            len(self.order)
            if after is None
            else bisect_left(self.order, (to_micros(after[0]), after[1]))
        )
        low = None if flt.created_after is None else to_micros(flt.created_after)
        high = None if flt.created_before is None else to_micros(flt.created_before)
        if high is not None:
            pos = min(pos, bisect_left(self.order, (high, "")))
        statuses = None if flt.statuses is None else {s.value for s in flt.statuses}
        out: list[str] = []
        for i in range(pos - 1, -1, -1):
            created, run_id = self.order[i]
            if low is not None and created < low:
                break
            if run_id in self.deleting:
                continue
            name, status, parent, _ = self.fields[run_id]
            if (
                (flt.workflow_name is None or name == flt.workflow_name)
                and (statuses is None or status in statuses)
                and (flt.parent_id is None or parent == flt.parent_id)
            ):
                out.append(run_id)
                if len(out) >= limit:
                    break
        return out

    def expired(self, cutoff: int, statuses: set[str]) -> list[str]:
        """Runs in ``statuses`` completed before ``cutoff`` (retention candidates)."""
        return [
            run_id
            for run_id, (_, status, _, completed) in self.fields.items()
            if status in statuses
            and completed is not None
            and completed < cutoff
            and run_id not in self.deleting
        ]


class _ByRun(Index):
    """Keys grouped by the ``run_id`` of their record."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.run_of: dict[str, str] = {}
        self.by_run: dict[str, set[str]] = {}

    def _run_id(self, value: dict[str, Any]) -> str:
        return str(value["run_id"])

    def put(self, key: str, value: dict[str, Any]) -> None:
        run_id = self._run_id(value)
        self.run_of[key] = run_id
        self.by_run.setdefault(run_id, set()).add(key)

    def delete(self, key: str) -> None:
        run_id = self.run_of.pop(key, None)
        if run_id is not None:
            keys = self.by_run[run_id]
            keys.discard(key)
            if not keys:
                del self.by_run[run_id]

    def of_runs(self, run_ids: Iterable[str]) -> list[str]:
        return [key for run_id in run_ids for key in sorted(self.by_run.get(run_id, ()))]


class HookIndex(_ByRun):
    """Hooks: token -> run (the token itself is the table key)."""


class TaskIndex(_ByRun):
    """Tasks: when each becomes claimable, and the tasks of each run."""

    def reset(self) -> None:
        super().reset()
        # (claimable from, due_at, task id) ascending; "claimable from" is the later of the
        # due time and the lease expiry, so the claimable tasks are a prefix of this list.
        self.queue: list[tuple[int, int, str]] = []
        self.slot: dict[str, tuple[int, int, str]] = {}

    def _run_id(self, value: dict[str, Any]) -> str:
        return str(value["task"]["run_id"])

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.delete(key)
        super().put(key, value)
        due = value["task"]["due_at"]
        expires = value.get("expires_at")
        slot = (due if expires is None else max(due, expires), due, key)
        insort(self.queue, slot)
        self.slot[key] = slot

    def delete(self, key: str) -> None:
        super().delete(key)
        slot = self.slot.pop(key, None)
        if slot is not None:
            del self.queue[bisect_left(self.queue, slot)]

    def due(self, now: int, limit: int) -> list[str]:
        """Claimable task ids (due, not leased or lease expired), earliest due first."""
        ready = self.queue[: bisect_right(self.queue, (now, 1 << 62, ""))]
        return [key for _, _, key in sorted(ready, key=lambda s: (s[1], s[2]))[:limit]]


class ScheduleIndex(Index):
    """Schedules in ascending id order, with their status."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ids: list[str] = []
        self.status: dict[str, str] = {}

    def put(self, key: str, value: dict[str, Any]) -> None:
        if key not in self.status:
            insort(self.ids, key)
        self.status[key] = value["status"]

    def delete(self, key: str) -> None:
        if self.status.pop(key, None) is not None:
            del self.ids[bisect_left(self.ids, key)]

    def select(self, status: ScheduleStatus | None, limit: int, after_id: str | None) -> list[str]:
        start = 0 if after_id is None else bisect_right(self.ids, after_id)
        out: list[str] = []
        for key in self.ids[start:]:
            if status is None or self.status[key] == status.value:
                out.append(key)
                if len(out) >= limit:
                    break
        return out
