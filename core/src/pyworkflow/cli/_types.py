"""Argument types for the CLI: a bad value is argparse's one-line usage error (exit 2).

Each type raises ``argparse.ArgumentTypeError``, which argparse reports as
``pyworkflow <command>: error: argument --name: <message>`` after the usage line, never a
traceback. The ranges are the ones the engine itself accepts.
"""

from __future__ import annotations

import argparse
import math
from datetime import UTC, datetime

__all__ = ["page_size", "positive_int", "positive_seconds", "when_arg"]

_MAX_SECONDS = 10**9  # ~31 years: any longer lease or poll interval is a typo


def positive_int(text: str) -> int:
    """An integer >= 1 (``--concurrency``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def page_size(text: str) -> int:
    """An integer in 1..1000 (``--limit`` of a listing)."""
    value = positive_int(text)
    if value > 1000:
        raise argparse.ArgumentTypeError(f"must be at most 1000, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds > 0 and at most 10**9 (``--lease``, ``--poll``,
    ``--timeout``); ``nan``, ``inf`` and negatives are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= _MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds in (0, {_MAX_SECONDS}], got {text!r}"
        )
    return value


def when_arg(text: str) -> datetime:
    """An ISO 8601 date or date-time (``--start-time``); a naive one is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO 8601 date or date-time such as 2026-01-31T09:00, got {text!r}"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
