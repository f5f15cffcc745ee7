"""When a schedule fires next: cron expressions, calendar specs and intervals, in a time zone.

Cron expressions (5 fields, or 6 with seconds last) are parsed and iterated by ``croniter``
in the schedule's IANA time zone (``zoneinfo``), so "every day at 09:00 Europe/Paris" stays
at 09:00 local time across daylight-saving changes. On a spring-forward day a wall-clock time
that does not exist (02:30 in America/New_York) is not invented: that day's slot is whatever
croniter yields for the next existing time; on a fall-back day an ambiguous time fires once.

A :class:`CalendarSpec` is a cron expression written field by field, with
``day_of_week`` 0 = Monday (the predecessor's numbering; cron's 0 is Sunday). Each field is
an ``int``, a cron fragment (``"*/15"``, ``"1-5"``, ``"1,15"``), or ``"*"``/``None`` (every).

All functions here are pure (no clock, no storage), so the engine and the tests pass the
time in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterError

from pyworkflow.errors import InvalidInput

__all__ = ["CalendarSpec", "calendar_to_cron", "check_cron", "next_fire_time", "zone"]

Field = int | str


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """One calendar entry. As the predecessor's: ``second``, ``minute`` and ``hour`` default
    to 0 (midnight), the day fields to ``None`` = every value (``"*"`` means the same)."""

    second: Field | None = 0
    minute: Field | None = 0
    hour: Field | None = 0
    day_of_month: Field | None = None
    month: Field | None = None
    day_of_week: Field | None = None

    def to_dict(self) -> dict[str, Field | None]:
        """The stored form (a JSON object)."""
        return asdict(self)


def _text(value: Field | None) -> str:
    return "*" if value is None else str(value).strip()


def _dow_to_cron(value: Field | None) -> str:
    """Monday=0 day-of-week fragment -> cron's Sunday=0 numbering (names pass through)."""
    text = _text(value)
    if text == "*" or text.startswith("*/"):
        return text
    out: list[str] = []
    for part in text.split(","):
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        bounds = part.split("-")
        try:
            mapped = [str((int(b) + 1) % 7) for b in bounds]
        except ValueError:
            mapped = bounds  # names like "mon" mean the same in both numberings
        if len(mapped) == 2 and mapped[1] == "0":
            mapped[1] = "7"  # Monday=0..Sunday=6 -> 1-7 (cron accepts 7 for Sunday)
        out.append("-".join(mapped) + step)
    return ",".join(out)


def calendar_to_cron(spec: CalendarSpec | Mapping[str, Any]) -> str:
    """The 6-field cron expression (seconds last, croniter's form) equal to ``spec``."""
    if isinstance(spec, Mapping):
        unknown = set(spec) - set(CalendarSpec.__dataclass_fields__)
        if unknown:
            raise InvalidInput(f"unknown calendar field(s): {sorted(unknown)}")
        spec = CalendarSpec(**spec)
    fields = [spec.minute, spec.hour, spec.day_of_month, spec.month]
    expr = " ".join(_text(f) for f in fields)
    expr += f" {_dow_to_cron(spec.day_of_week)} {_text(spec.second)}"
    check_cron(expr)
    return expr


def check_cron(expr: str) -> str:
    """Return ``expr`` if croniter accepts it (5 or 6 fields); else :class:`InvalidInput`."""
    if not isinstance(expr, str) or len(expr.split()) not in (5, 6):
        raise InvalidInput(f"a cron expression has 5 fields (or 6 with seconds): {expr!r}")
    try:
        croniter(expr, datetime(2000, 1, 1, tzinfo=UTC))
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidInput(f"invalid cron expression {expr!r}: {exc}") from exc
    return expr


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; :class:`InvalidInput` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}") from exc


def _cron_next(expr: str, after: datetime, tz: ZoneInfo) -> datetime:
    it = croniter(expr, after.astimezone(tz))
    nxt: datetime = it.get_next(datetime)
    return nxt.astimezone(UTC)


def next_fire_time(
    *,
    after: datetime,
    cron: str | None = None,
    calendar: Sequence[CalendarSpec | Mapping[str, Any]] = (),
    interval: float | None = None,
    timezone: str = "UTC",
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> datetime | None:
    """The earliest firing strictly after ``after`` (UTC), or ``None`` if there is none.

    Every given spec kind contributes a candidate (an interval counts from ``after``, or from
    ``start_at`` if that is later); the earliest wins. A time before ``start_at`` moves to
    the first slot at or after it; one after ``end_at`` means the schedule is over.
    """
    tz = zone(timezone)
    base = after
    if start_at is not None and start_at > after:
        base = start_at - timedelta(microseconds=1)  # so a slot exactly at start_at counts
    candidates: list[datetime] = []
    if cron:
        candidates.append(_cron_next(check_cron(cron), base, tz))
    for entry in calendar:
        candidates.append(_cron_next(calendar_to_cron(entry), base, tz))
    if interval is not None:
        if interval <= 0:
            raise InvalidInput("a schedule's interval must be positive")
        first = start_at if start_at is not None and start_at > after else None
        candidates.append(first or after + timedelta(seconds=interval))
    if not candidates:
        raise InvalidInput("a schedule needs a cron expression, a calendar entry or an interval")
    nxt = min(candidates)
    if end_at is not None and nxt > end_at:
        return None
    return nxt
