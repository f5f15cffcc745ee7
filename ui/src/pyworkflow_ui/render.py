"""Templates and the filters that turn stored values into safe, bounded text.

Autoescaping is on for every template: a stored ``<script>`` or ``</textarea>`` is shown as
text. Nothing here marks a value safe. Long values are cut at :data:`PREVIEW_CHARS` and the
page links to the whole value as JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["PREVIEW_CHARS", "compact", "environment", "pretty", "preview"]

#: how many characters of a stored value a page shows before linking to the whole value
PREVIEW_CHARS = 4000


def pretty(value: Any) -> str:
    """A JSON value as indented text (strings too, so quotes show what is stored)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def preview(value: Any, limit: int = PREVIEW_CHARS) -> tuple[str, bool]:
    """``(text, truncated)``: the value's JSON text, cut to ``limit`` characters."""
    text = pretty(value)
    if len(text) <= limit:
        return text, False
    return text[:limit] + "…", True


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _seconds(value: float | None) -> str:
    if value is None:
        return "open"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def compact(value: Any, limit: int) -> tuple[str, bool]:
    """``(text, truncated)``: the value as one line of JSON, cut to ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    if len(text) <= limit:
        return text, False
    return text[:limit] + "…", True


def _relative(value: datetime, now: datetime) -> str:
    """``value`` as seen from ``now``: "in 4.00 s", "12.0 min ago", "now"."""
    delta = (value - now).total_seconds()
    if abs(delta) < 0.0005:
        return "now"
    size = abs(delta)
    if size >= 2 * 86400:
        text = f"{size / 86400:.1f} days"
    elif size >= 2 * 3600:
        text = f"{size / 3600:.1f} h"
    else:
        text = _seconds(size)
    return f"in {text}" if delta > 0 else f"{text} ago"


def _query(base: dict[str, Any], **changes: Any) -> str:
    """The query string of ``base`` with ``changes`` applied (``None`` removes a key)."""
    merged = {**base, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            pairs.extend((key, str(v)) for v in sorted(value))
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["seconds"] = _seconds
    env.filters["relative"] = _relative
    env.globals["preview"] = preview
    env.globals["query"] = _query
    return env
