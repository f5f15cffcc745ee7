"""Keyset cursors: what ``list_runs`` and ``list_schedules`` hand out and take back.

A cursor is URL-safe base64 of a compact JSON list: ``[created_at_micros, run_id]`` for runs,
``[schedule_id]`` for schedules. Anything else a caller passes (garbage, a forged list with a
time outside years 1..9999, deep nesting, a very long string) is :class:`InvalidInput`.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from ._ids import check_id
from .codec import dumps, from_micros, loads, to_micros
from .errors import InvalidInput

__all__ = ["MAX_CURSOR", "decode_id_cursor", "decode_run_cursor", "encode_cursor"]

#: Longest cursor accepted (ours are under 800 characters).
MAX_CURSOR = 2048


def encode_cursor(*parts: Any) -> str:
    raw = dumps([to_micros(p) if isinstance(p, datetime) else p for p in parts])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_run_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        created, run_id = _decode(cursor)
        if isinstance(created, bool) or not isinstance(created, int):
            raise TypeError("the cursor's time is not an int")
        return from_micros(created), check_id(run_id, "cursor")
    except (ValueError, TypeError, OverflowError, InvalidInput):
        raise InvalidInput(f"malformed cursor {_shown(cursor)}") from None


def decode_id_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        (last_id,) = _decode(cursor)
        return check_id(last_id, "cursor")
    except (ValueError, TypeError, InvalidInput):
        raise InvalidInput(f"malformed cursor {_shown(cursor)}") from None


def _shown(cursor: Any) -> str:
    text = repr(cursor)
    return text if len(text) <= 80 else text[:77] + "..."


def _decode(cursor: str) -> list[Any]:
    if not isinstance(cursor, str):
        raise TypeError("cursor must be a str")
    if len(cursor) > MAX_CURSOR:
        raise ValueError("cursor too long")
    try:
        value = loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(value, list):
        raise ValueError("cursor is not a list")
    return value
