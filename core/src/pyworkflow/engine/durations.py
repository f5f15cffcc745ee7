"""Durations as users write them: ``"10m"``, ``"1h30m"``, ``"250ms"``, ``5``, ``timedelta``,
and the wake-up times they lead to."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pyworkflow.codec import show
from pyworkflow.errors import InvalidInput

__all__ = [
    "LATEST_WAKE",
    "MAX_DURATION",
    "NaiveDatetime",
    "instant",
    "seconds_until",
    "to_seconds",
    "wake_time",
]

#: Longest duration accepted (1000 years): any sleep, timeout, backoff or schedule interval
#: beyond it is a typo, and "now + duration" then always stays within datetime's range.
MAX_DURATION = 1000 * 365.25 * 86400

#: The latest time the engine schedules anything for: every backend of the conformance suite
#: proves it stores timestamps up to here. A longer wait (up to MAX_DURATION) is clamped to it
#: (see wake_time).
LATEST_WAKE = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class NaiveDatetime(InvalidInput, TypeError):
    """A datetime without a timezone where an instant is needed (``sleep(datetime)``): it
    names no instant, so it is refused (a ``TypeError``, as the predecessor raised, and an
    :class:`InvalidInput`)."""


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")


def to_seconds(value: str | float | int | timedelta) -> float:
    """Seconds in ``value``. Strings are unit-suffixed parts (ms, s, m, h, d, w) summed in
    any order: ``"1h30m"``, ``"2d 4h"``, ``"1.5s"``; a bare number string is seconds.
    Negative, non-finite, longer than :data:`MAX_DURATION` or malformed values raise
    :class:`InvalidInput`."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise InvalidInput("a duration must be a number, a string like '10m', or a timedelta")
    elif isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float
            seconds = float("inf")
    elif isinstance(value, str):
        text = value.strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            parts = _PART.findall(text)
            if not parts or _PART.sub("", text).strip():
                raise InvalidInput(
                    f"cannot parse duration {show(value)}: use e.g. '30s', '10m', '1h30m', '250ms'"
                ) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise InvalidInput(f"a duration cannot be a {type(value).__name__}")
    if seconds != seconds or not 0 <= seconds <= MAX_DURATION:
        raise InvalidInput(
            f"duration {show(value)} must be a finite number of seconds in 0..{MAX_DURATION:.0f} "
            "(1000 years)"
        )
    return seconds


def wake_time(now: datetime, seconds: float) -> datetime:
    """``now + seconds``, clamped to :data:`LATEST_WAKE`.

    A wait that long (a sleep or a hook timeout of centuries) means "practically
    forever": it is kept as a wake-up at ``LATEST_WAKE`` rather than failing the run with an
    overflow, and the run can still be cancelled or, for a hook, resumed. ``seconds`` is a
    finite number in 0..MAX_DURATION (see :func:`to_seconds`).
    """
    if seconds >= (LATEST_WAKE - now).total_seconds():
        return max(now, LATEST_WAKE)
    return now + timedelta(seconds=seconds)


def instant(value: object) -> datetime | None:
    """``value`` if it is a timezone-aware datetime, None if it is not a datetime at all;
    a naive datetime raises :class:`NaiveDatetime`."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(
            f"{value.isoformat()} has no timezone: pass an aware datetime, e.g. "
            "datetime(2030, 1, 1, 9, tzinfo=UTC) or ZoneInfo('Europe/Paris')"
        )
    return value


def seconds_until(until: datetime, now: datetime) -> float:
    """Seconds from ``now`` to the aware datetime ``until``; :class:`InvalidInput` (a
    ``ValueError``) if it is not in the future, or beyond :data:`MAX_DURATION`."""
    seconds = (until - now).total_seconds()
    if seconds <= 0:
        raise InvalidInput(f"cannot sleep until past time {until.isoformat()} (now {now})")
    return to_seconds(seconds)
