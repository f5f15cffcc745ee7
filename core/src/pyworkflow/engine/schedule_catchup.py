"""What a schedule's missed slots do when workers come back after a downtime.

A slot is *missed* when its firing is handled after a later slot was already due (no worker
ran in between). The policy is kept in the schedule row's stored input
(``input["schedule"]["catchup"]`` and ``["catchup_window"]`` in seconds), so no storage field
is added:

- ``one`` (the default): the oldest overdue firing starts its run; the other missed slots
  are counted in ``stats["skipped"]`` and the next firing is the first slot after now.
- ``all``: every missed slot starts its own run, oldest first (each firing enqueues the next
  missed slot, due at once), like Temporal's catch-up; the predecessor's interval schedules
  catch up whole intervals this way.
- ``skip``: a firing handled more than ``catchup_window`` (default :data:`SKIP_GRACE`) after
  its slot starts nothing; the schedule resumes at the first slot after now.

``catchup_window`` (Temporal's *catchup window*) also bounds ``one`` and ``all``: a slot older
than ``now - catchup_window`` never starts a run (counted in ``stats["skipped"]``). Every slot
that runs is still claimed exactly once across workers: its firing task id and its run's
idempotency key both name the slot, and ``next_run_at`` only moves by compare-and-swap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pyworkflow.errors import InvalidInput
from pyworkflow.models import Schedule as ScheduleRow

from .durations import to_seconds

__all__ = [
    "SKIP_GRACE",
    "CatchupPolicy",
    "catchup_extras",
    "catchup_policy",
    "plan_catchup",
    "stored_catchup",
]

SKIP_GRACE = timedelta(seconds=60)
# Counting missed slots one by one stops here and jumps to the first slot after now (so a
# per-second cron down for a month does not iterate millions of times).
MAX_COUNTED_SKIPS = 1000


class CatchupPolicy(StrEnum):
    """See the module docstring."""

    SKIP = "skip"
    ONE = "one"
    ALL = "all"


def catchup_policy(value: Any) -> CatchupPolicy:
    """``value`` as a policy; :class:`InvalidInput` if it is none of them."""
    try:
        return CatchupPolicy(value)
    except ValueError as exc:
        names = ", ".join(p.value for p in CatchupPolicy)
        raise InvalidInput(f"unknown catch-up policy {value!r} (one of {names})") from exc


def catchup_extras(
    catchup: CatchupPolicy | str | None, window: str | float | timedelta | None
) -> dict[str, Any]:
    """The entries stored under ``input["schedule"]``; validated (a non-positive window is
    :class:`InvalidInput`)."""
    out: dict[str, Any] = {}
    if catchup is not None:
        out["catchup"] = catchup_policy(catchup).value
    if window is not None:
        seconds = to_seconds(window)
        if seconds <= 0:
            raise InvalidInput(f"catchup_window must be positive, got {window!r}")
        out["catchup_window"] = seconds
    return out


def stored_catchup(row: ScheduleRow) -> tuple[CatchupPolicy, timedelta | None]:
    """The row's policy and window (``None``: unlimited)."""
    extras = row.input.get("schedule") if isinstance(row.input, dict) else None
    bag = extras if isinstance(extras, dict) else {}
    policy = catchup_policy(bag.get("catchup", CatchupPolicy.ONE.value))
    raw = bag.get("catchup_window")
    window = timedelta(seconds=float(raw)) if isinstance(raw, int | float) else None
    if window is None and policy is CatchupPolicy.SKIP:
        window = SKIP_GRACE
    return policy, window


def plan_catchup(
    row: ScheduleRow,
    at: datetime,
    now: datetime,
    next_after: Callable[[datetime], datetime | None],
) -> tuple[bool, datetime | None, int]:
    """For the firing of slot ``at`` handled at ``now``: whether its run may start (the catch-up
    rules only; the status and overlap policy decide further), the next slot to enqueue
    (``None``: the schedule is over) and how many slots are skipped on the way."""
    policy, window = stored_catchup(row)
    oldest = None if window is None else now - window
    runs = oldest is None or at >= oldest
    nxt = next_after(at)
    skipped = 0
    if policy is CatchupPolicy.ALL:
        # only slots that fell out of the window are passed over; the rest fire one by one
        while nxt is not None and oldest is not None and nxt < oldest:
            skipped += 1
            if skipped >= MAX_COUNTED_SKIPS:
                return runs, next_after(oldest), skipped
            nxt = next_after(nxt)
        return runs, nxt, skipped
    while nxt is not None and nxt <= now:
        skipped += 1
        if skipped >= MAX_COUNTED_SKIPS:
            return runs, next_after(now), skipped
        nxt = next_after(nxt)
    return runs, nxt, skipped
