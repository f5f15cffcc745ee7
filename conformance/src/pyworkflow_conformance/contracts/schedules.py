"""Contract area 'schedules': compare-and-swap on ``revision``; delete is permanent."""

from __future__ import annotations

import pytest
from pyworkflow import ConflictError, NotFound, ScheduleStatus, StorageBackend

from pyworkflow_conformance.helpers import T0, aio, all_schedules, gather, later, make_schedule, uid

__all__ = ["SchedulesContract"]


class SchedulesContract:
    """Schedules."""

    area = "schedules"

    @aio
    async def test_schedule_create_starts_at_revision_one(self, backend: StorageBackend) -> None:
        schedule = make_schedule(revision=7)
        stored = await backend.create_schedule(schedule)
        assert stored.revision == 1
        assert await backend.get_schedule(schedule.id) == stored
        assert await backend.get_schedule(uid("missing")) is None

    @aio
    async def test_schedule_existing_id_conflicts(self, backend: StorageBackend) -> None:
        stored = await backend.create_schedule(make_schedule())
        with pytest.raises(ConflictError):
            await backend.create_schedule(make_schedule(id=stored.id, workflow_name="other"))
        assert await backend.get_schedule(stored.id) == stored

    @aio
    async def test_schedule_update_is_compare_and_swap(self, backend: StorageBackend) -> None:
        stored = await backend.create_schedule(make_schedule())
        assert await backend.update_schedule(
            stored.id, {"status": ScheduleStatus.PAUSED}, expected_revision=1
        )
        assert not await backend.update_schedule(
            stored.id,
            {"status": ScheduleStatus.ACTIVE, "cron": "* * * * *"},
            expected_revision=1,
        )
        got = await backend.get_schedule(stored.id)
        assert got is not None
        assert (got.status, got.cron, got.revision) == (ScheduleStatus.PAUSED, None, 2)
        # Without expected_revision the update always applies (and still bumps revision).
        assert await backend.update_schedule(stored.id, {"jitter": 2.5})
        got = await backend.get_schedule(stored.id)
        assert got is not None
        assert (got.jitter, got.revision) == (2.5, 3)
        assert got.updated_at >= stored.updated_at
        assert got.created_at == stored.created_at

    @aio
    async def test_schedule_update_every_field(self, backend: StorageBackend) -> None:
        stored = await backend.create_schedule(make_schedule())
        changes = {
            "workflow_name": "renamed",
            "status": ScheduleStatus.PAUSED,
            "cron": "0 */2 * * 1-5",
            "interval": None,
            "calendar": [{"hour": 9, "minute": [0, 30]}, {"day_of_week": "mon"}],
            "jitter": 12.25,
            "timezone": "Europe/Paris",
            "input": {"args": [1, "two"], "kw": {"x": None}},
            "next_run_at": later(T0, 60),
            "last_run_at": later(T0, -60),
            "stats": {"fired": 3, "missed": 0, "last_error": None},
        }
        assert await backend.update_schedule(stored.id, changes, expected_revision=1)
        got = await backend.get_schedule(stored.id)
        assert got is not None
        for name, value in changes.items():
            assert getattr(got, name) == value, name
        assert got.revision == 2

    @aio
    async def test_schedule_update_missing_raises_not_found(self, backend: StorageBackend) -> None:
        with pytest.raises(NotFound):
            await backend.update_schedule(uid("missing"), {"jitter": 1.0})
        with pytest.raises(NotFound):
            await backend.update_schedule(uid("missing"), {"jitter": 1.0}, expected_revision=1)

    @aio
    async def test_schedule_concurrent_cas_one_wins(self, backend: StorageBackend) -> None:
        stored = await backend.create_schedule(make_schedule())
        outcomes = await gather(
            backend.update_schedule(stored.id, {"stats": {"by": i}}, expected_revision=1)
            for i in range(16)
        )
        assert outcomes.count(True) == 1
        got = await backend.get_schedule(stored.id)
        assert got is not None
        assert (got.revision, got.stats) == (2, {"by": outcomes.index(True)})

    @aio
    async def test_schedule_delete_is_permanent(self, backend: StorageBackend) -> None:
        # The predecessor's deleted schedules stayed behind ('DELETED' vs 'deleted').
        keep = await backend.create_schedule(make_schedule())
        gone = await backend.create_schedule(make_schedule(status=ScheduleStatus.PAUSED))
        assert await backend.delete_schedule(gone.id) is True
        assert await backend.get_schedule(gone.id) is None
        assert await backend.delete_schedule(gone.id) is False
        assert [s.id for s in await all_schedules(backend)] == [keep.id]
        for status in ScheduleStatus:
            page = await backend.list_schedules(status=status)
            assert gone.id not in [s.id for s in page.items]
        with pytest.raises(NotFound):
            await backend.update_schedule(gone.id, {"jitter": 1.0})
        assert await backend.delete_schedule(uid("never")) is False

    @aio
    async def test_schedule_list_order_status_and_paging(self, backend: StorageBackend) -> None:
        made = []
        for i in range(9):
            status = ScheduleStatus.PAUSED if i % 3 == 0 else ScheduleStatus.ACTIVE
            made.append(await backend.create_schedule(make_schedule(status=status)))
        ids = sorted(s.id for s in made)
        assert [s.id for s in await all_schedules(backend)] == ids
        assert [s.id for s in await all_schedules(backend, limit=2)] == ids
        paused = await backend.list_schedules(status=ScheduleStatus.PAUSED, limit=100)
        assert [s.id for s in paused.items] == sorted(
            s.id for s in made if s.status == ScheduleStatus.PAUSED
        )
        first = await backend.list_schedules(status=ScheduleStatus.ACTIVE, limit=2)
        rest = await backend.list_schedules(
            status=ScheduleStatus.ACTIVE, limit=100, cursor=first.next_cursor
        )
        active = [s.id for s in [*first.items, *rest.items]]
        assert active == sorted(s.id for s in made if s.status == ScheduleStatus.ACTIVE)
