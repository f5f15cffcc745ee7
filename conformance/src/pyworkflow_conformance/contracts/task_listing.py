"""Contract area 'task_listing': ``list_tasks``, the read side of the work queue.

Listing shows ready, scheduled, leased (with the holder and the expiry) and expired tasks in
claim order; keyset paging is complete and without duplicates while tasks are enqueued and
claimed; ``run_id`` and ``state`` filter; bad input is a typed error that changes nothing.
Every time is given explicitly (``now``), so nothing waits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pyworkflow import InvalidInput, StorageBackend
from pyworkflow.task_views import TaskInfo, TaskState

from pyworkflow_conformance.helpers import T0, aio, later, make_task, uid

__all__ = ["TaskListingContract"]


async def _all(backend: StorageBackend, limit: int = 1000, **kw: object) -> list[TaskInfo]:
    items: list[TaskInfo] = []
    cursor: str | None = None
    while True:
        page = await backend.list_tasks(limit=limit, cursor=cursor, **kw)  # type: ignore[arg-type]
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


#: Arguments list_tasks refuses with InvalidInput.
BAD_INPUT: list[dict[str, object]] = [
    {"limit": 0},
    {"limit": 1001},
    {"limit": "10"},
    {"state": "done"},
    {"state": 3},
    {"cursor": "not a cursor"},
    {"cursor": ""},
    {"run_id": ""},
    {"run_id": 7},
    {"now": datetime(2024, 1, 1)},  # naive: no time zone
]


def _key(info: TaskInfo) -> tuple[datetime, str]:
    return info.task.due_at, info.task.id


class TaskListingContract:
    """list_tasks: states, leases, order, paging, filters, bad input."""

    area = "task_listing"

    @aio
    async def test_states_leases_and_filters(self, backend: StorageBackend) -> None:
        held, lapsed, ready, future = (
            make_task(id=uid("a"), due_at=later(T0, 0)),
            make_task(id=uid("b"), due_at=later(T0, 1)),
            make_task(id=uid("c"), due_at=later(T0, 2), payload={"k": "<b>"}),
            make_task(id=uid("d"), due_at=later(T0, 100)),
        )
        for task in (future, ready, lapsed, held):
            assert await backend.enqueue(task)
        assert (await backend.list_tasks(now=later(T0, 3))).items[0].state is TaskState.READY
        (lease,) = await backend.claim("w-1", lease=timedelta(minutes=5), now=later(T0, 3))
        (short,) = await backend.claim("w-2", lease=2, now=later(T0, 3))
        assert (lease.task.id, short.task.id) == (held.id, lapsed.id)

        now = later(T0, 10)
        page = await backend.list_tasks(now=now)
        assert page.next_cursor is None
        assert [(i.task.id, i.state) for i in page.items] == [
            (held.id, TaskState.LEASED),
            (lapsed.id, TaskState.EXPIRED),
            (ready.id, TaskState.READY),
            (future.id, TaskState.SCHEDULED),
        ]
        by_id = {i.task.id: i for i in page.items}
        assert (by_id[held.id].worker, by_id[held.id].lease_expires_at) == ("w-1", lease.expires_at)
        assert (by_id[lapsed.id].worker, by_id[lapsed.id].lease_expires_at) == (
            "w-2",
            later(T0, 5),
        )
        assert by_id[held.id].task.attempts == 1
        assert by_id[ready.id].task == ready
        assert by_id[ready.id].worker is None
        assert by_id[future.id].lease_expires_at is None

        for state, expected in [
            (TaskState.LEASED, [held.id]),
            ("expired", [lapsed.id]),
            ("ready", [ready.id]),
            (TaskState.SCHEDULED, [future.id]),
        ]:
            got = await backend.list_tasks(state=state, now=now)
            assert [i.task.id for i in got.items] == expected, state
        got = await backend.list_tasks(run_id=ready.run_id, now=now)
        assert [i.task.id for i in got.items] == [ready.id]
        assert (await backend.list_tasks(run_id=ready.run_id, state="leased", now=now)).items == []
        assert (await backend.list_tasks(run_id=uid("nobody"))).items == []

        # A later ``now``: the 5-minute lease has lapsed too, the future task is due.
        states = {i.task.id: i.state for i in (await backend.list_tasks(now=later(T0, 400))).items}
        assert states[held.id] is TaskState.EXPIRED
        assert states[future.id] is TaskState.READY
        await backend.complete(lease)
        assert held.id not in {i.task.id for i in (await backend.list_tasks(now=now)).items}

    @aio
    async def test_paging_is_complete_while_tasks_come_and_are_claimed(
        self, backend: StorageBackend
    ) -> None:
        # 18 tasks, due times with ties (ordered by id then), two of them sharing one run.
        run = uid("run")
        originals = [
            make_task(due_at=later(T0, i // 3), **({"run_id": run} if i % 4 == 0 else {}))
            for i in range(18)
        ]
        for task in originals:
            await backend.enqueue(task)
        now = later(T0, 50)
        await backend.claim("w0", lease=600, limit=3, now=now)
        seen: list[TaskInfo] = []
        cursor: str | None = None
        step = 0
        while True:
            page = await backend.list_tasks(limit=4, cursor=cursor, now=now)
            assert len(page.items) <= 4
            seen.extend(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            # Meanwhile: new tasks before, among and after the listed ones; claims (a claim
            # never moves a task).
            step += 1
            for offset in (-5, 2.5, 60):
                await backend.enqueue(make_task(due_at=later(T0, offset + step)))
            await backend.claim(f"w{step}", lease=600, limit=2, now=now)
        ids = [i.task.id for i in seen]
        assert len(ids) == len(set(ids)), "a task was listed twice"
        assert {t.id for t in originals} <= set(ids), "a task present throughout was skipped"
        assert [_key(i) for i in seen] == sorted(_key(i) for i in seen)
        assert any(i.state is TaskState.LEASED for i in seen)

        mine = await _all(backend, limit=2, run_id=run, now=now)
        assert [i.task.id for i in mine] == [
            t.id for t in sorted(originals, key=lambda t: (t.due_at, t.id)) if t.run_id == run
        ]
        leased = await _all(backend, limit=3, state="leased", now=now)
        assert leased
        assert all(i.state is TaskState.LEASED for i in leased)
        assert [_key(i) for i in leased] == sorted(_key(i) for i in leased)

    @aio
    async def test_bad_input_is_refused(self, backend: StorageBackend) -> None:
        # One store for every case: a fresh store costs seconds on some servers.
        await backend.enqueue(make_task())
        before = await backend.list_tasks(now=T0)
        for kwargs in BAD_INPUT:
            with pytest.raises(InvalidInput):
                await backend.list_tasks(**kwargs)  # type: ignore[arg-type]
        assert await backend.list_tasks(now=T0) == before
