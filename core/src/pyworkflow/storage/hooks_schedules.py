"""The storage contract's hooks and schedules: public methods of
:class:`~pyworkflow.storage.StorageBackend` (see :mod:`.base` for the contract as a whole).

Like every public method, each validates its arguments, then calls the primitive of the same
name (``_create_hook``, ...) that a backend implements, and translates driver errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyworkflow import _validate as v
from pyworkflow._cursors import decode_id_cursor
from pyworkflow._ids import check_id
from pyworkflow.errors import NotFound
from pyworkflow.models import JSON, Hook, Page, Schedule, ScheduleStatus, utcnow

from ._machinery import MAX_PAGE, ContractBase, keyset_page

__all__ = ["HooksAndSchedules"]


class HooksAndSchedules(ContractBase):
    """Hooks (a run waiting for a payload) and schedules (runs started by a calendar)."""

    # -- hooks ---------------------------------------------------------------------------------

    async def create_hook(self, hook: Hook) -> Hook:
        """Store a hook; return it. A token that exists -> :class:`ConflictError`.

        Tokens must be at least 16 characters; the default is 256 random bits.
        """
        self._require_open()
        checked = v.check_hook(hook, self.features)
        await self._call(self._create_hook(checked))
        return checked

    async def get_hook(self, token: str) -> Hook | None:
        """The hook with ``token``, or ``None``."""
        self._require_open()
        check_id(token, "hook token")
        return await self._call(self._get_hook(token))

    async def resolve_hook(self, token: str, payload: JSON) -> bool:
        """Move a pending hook to received with ``payload``, exactly once.

        ``True`` for the one call that did it; ``False`` if the hook was already received,
        cancelled, or has expired (``expires_at <= now``). :class:`NotFound` if no hook has
        this token.
        """
        self._require_open()
        check_id(token, "hook token")
        v.check_json(payload, "hook payload", self.features)
        done = await self._call(self._resolve_hook(token, payload, utcnow()))
        if done is None:
            raise NotFound(f"no hook with this token ({token[:6]}...)")
        return done

    # -- schedules -----------------------------------------------------------------------------

    async def create_schedule(self, schedule: Schedule) -> Schedule:
        """Store a schedule with ``revision`` 1; return it. An id that exists ->
        :class:`ConflictError`."""
        self._require_open()
        checked = v.check_schedule(schedule, self.features, utcnow())
        await self._call(self._create_schedule(checked))
        return checked

    async def get_schedule(self, schedule_id: str) -> Schedule | None:
        """The schedule, or ``None``."""
        self._require_open()
        check_id(schedule_id, "schedule id")
        return await self._call(self._get_schedule(schedule_id))

    async def update_schedule(
        self, schedule_id: str, changes: Mapping[str, Any], *, expected_revision: int | None = None
    ) -> bool:
        """Apply ``changes`` and increment ``revision`` if it equals ``expected_revision``.

        Updatable: every field but id, revision, created_at, updated_at. ``False`` (writing
        nothing) on a revision mismatch; :class:`NotFound` if the schedule does not exist.
        ``expected_revision`` is ``None`` or an int in ``0..2**63 - 1``.
        """
        self._require_open()
        check_id(schedule_id, "schedule id")
        if expected_revision is not None:
            v.check_version(expected_revision, "expected_revision")
        checked = v.check_schedule_changes(changes, self.features, utcnow())
        return await self._call(self._update_schedule(schedule_id, checked, expected_revision))

    async def delete_schedule(self, schedule_id: str) -> bool:
        """Remove the schedule for good; ``False`` if it did not exist."""
        self._require_open()
        check_id(schedule_id, "schedule id")
        return await self._call(self._delete_schedule(schedule_id))

    async def list_schedules(
        self, *, status: ScheduleStatus | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[Schedule]:
        """Schedules (optionally of one status) in ascending id order, keyset-paged."""
        self._require_open()
        wanted = None if status is None else v._enum(ScheduleStatus, status, "status")
        lim = v.check_limit(limit, MAX_PAGE)
        assert lim is not None
        after = decode_id_cursor(cursor)
        rows = await self._call(self._list_schedules(wanted, lim + 1, after))
        return keyset_page(rows, lim, lambda schedule: (schedule.id,))
