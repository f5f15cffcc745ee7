"""``ScheduleSpec`` and ``create_schedule``/``update_schedule``: the predecessor's way in.

A :class:`ScheduleSpec` gives exactly one kind of timing; if several are set, ``cron`` wins,
then ``interval``, then ``calendar`` (the predecessor's precedence). It maps onto the one
schedule row and firing path of :mod:`.schedules`; ``schedule(fn, every=...)`` keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyworkflow.codec import to_micros
from pyworkflow.errors import InvalidInput
from pyworkflow.models import Schedule as ScheduleRow
from pyworkflow.models import utcnow
from pyworkflow.storage import StorageBackend

from .durations import to_seconds
from .schedule_admin import _cas, _store
from .schedule_catchup import CatchupPolicy
from .schedule_overlap import OverlapPolicy
from .schedule_overlap import overlap_policy as _policy
from .schedule_specs import CalendarSpec, next_fire_time, zone
from .schedules import create_schedule_row, schedule_task

__all__ = ["ScheduleSpec", "create_schedule", "update_schedule"]


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """When a schedule fires: one of ``cron`` / ``interval`` (``"30s"``, ``"1h"``, seconds or a
    ``timedelta``) / ``calendar``, in the IANA ``timezone``. Naive ``start_at``/``end_at`` are
    read in that zone. ``jitter`` delays each firing by a random 0..jitter (the slot, and so
    its run's idempotency key, stays the same)."""

    cron: str | None = None
    interval: str | float | timedelta | None = None
    calendar: list[CalendarSpec] | None = None
    timezone: str = "UTC"
    start_at: datetime | None = None
    end_at: datetime | None = None
    jitter: str | float | timedelta | None = None

    def timing(self) -> dict[str, Any]:
        """The keywords of :func:`~.schedules.create_schedule_row` this spec stands for."""
        tz = zone(self.timezone)

        def aware(t: datetime | None) -> datetime | None:
            return None if t is None or t.tzinfo else t.replace(tzinfo=tz)

        out: dict[str, Any] = {
            "timezone": self.timezone,
            "start_at": aware(self.start_at) or self.start_at,
            "end_at": aware(self.end_at) or self.end_at,
        }
        if self.cron:
            out["cron"] = self.cron
        elif self.interval is not None:
            out["every"] = self.interval
        elif self.calendar:
            out["calendar"] = list(self.calendar)
        else:
            raise InvalidInput("a ScheduleSpec needs cron, interval or calendar")
        return out


async def create_schedule(
    workflow_name: str,
    spec: ScheduleSpec,
    *args: Any,
    overlap_policy: OverlapPolicy | str = OverlapPolicy.SKIP,
    schedule_id: str | None = None,
    storage: StorageBackend | None = None,
    **kwargs: Any,
) -> ScheduleRow:
    """Store a schedule of the registered workflow ``workflow_name`` (``*args``/``**kwargs``
    are its arguments). An interval schedule fires first right away (as the predecessor's);
    cron and calendar ones at their first slot. After a downtime an interval schedule runs
    every missed interval (catch-up ``"all"``), a cron or calendar one runs once (``"one"``).
    An unknown workflow raises ``WorkflowNotFound``, a bad spec or policy
    :class:`InvalidInput`; nothing is stored."""
    store = await _store(storage)
    timing = spec.timing()
    now = utcnow()
    row = await create_schedule_row(
        store,
        workflow_name,
        args,
        kwargs,
        schedule_id=schedule_id,
        overlap=overlap_policy,
        # the predecessor's interval schedules catch up whole intervals after a downtime
        catchup=CatchupPolicy.ALL if "every" in timing else None,
        first_at=now if "every" in timing and timing["start_at"] is None else None,
        now=now,
        **timing,
    )
    if spec.jitter is not None:
        return await _cas(store, row.id, _set({"jitter": to_seconds(spec.jitter)}))
    return row


def _set(changes: dict[str, Any]) -> Any:
    async def change(row: ScheduleRow) -> dict[str, Any]:
        return changes

    return change


async def update_schedule(
    schedule_id: str,
    spec: ScheduleSpec | None = None,
    overlap_policy: OverlapPolicy | str | None = None,
    *,
    storage: StorageBackend | None = None,
) -> ScheduleRow:
    """Change the timing and/or the overlap policy. A new spec recomputes ``next_run_at``
    from now (the pending firing is superseded). Missing schedule -> ``NotFound``."""
    store = await _store(storage)
    policy = None if overlap_policy is None else _policy(overlap_policy)
    now = utcnow()

    async def change(row: ScheduleRow) -> dict[str, Any]:
        stored = dict(row.input) if isinstance(row.input, dict) else {}
        extras = dict(stored.get("schedule") or {})
        changes: dict[str, Any] = {}
        if policy is not None:
            extras["overlap"] = policy.value
        if spec is not None:
            timing = spec.timing()
            extras.pop("catchup", None)
            if "every" in timing:  # as create_schedule: intervals catch up whole intervals
                extras["catchup"] = CatchupPolicy.ALL.value
            for key in ("start_at", "end_at"):
                extras.pop(key, None)
                if timing[key] is not None:
                    extras[key] = to_micros(timing[key])
            changes |= {
                "cron": timing.get("cron"),
                "interval": None if "every" not in timing else to_seconds(timing["every"]),
                "calendar": [
                    c.to_dict() if isinstance(c, CalendarSpec) else c
                    for c in timing.get("calendar", [])
                ],
                "timezone": timing["timezone"],
                "jitter": 0.0 if spec.jitter is None else to_seconds(spec.jitter),
            }
            nxt = next_fire_time(
                after=now,
                cron=changes["cron"],
                calendar=changes["calendar"],
                interval=changes["interval"],
                timezone=changes["timezone"],
                start_at=timing["start_at"],
                end_at=timing["end_at"],
            )
            if nxt is not None:
                await store.enqueue(schedule_task(row.id, nxt, changes["jitter"]))
            changes["next_run_at"] = nxt
        stored["schedule"] = extras
        changes["input"] = stored
        return changes

    return await _cas(store, schedule_id, change)
