"""Printing in the three output formats: ``table`` (Rich), ``json`` and ``plain``.

Stored text is always printed literally: a cell is a :class:`rich.text.Text`, never markup.
An empty listing prints an info line on stderr in table/plain form and ``[]`` in JSON (a
program reading JSON gets JSON).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["duration", "emit_json", "err", "jsonable", "out", "show_list", "show_record", "when"]

out = Console(soft_wrap=True)
err = Console(stderr=True)


def jsonable(value: Any) -> Any:
    """Models and their fields as JSON (datetimes ISO 8601, enums by value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def duration(start: datetime | None, end: datetime | None, now: datetime) -> str:
    """The predecessor's duration text: ``"1.2s"``, ``"3.0s (ongoing)"`` or ``"-"``."""
    if start is None:
        return "-"
    if end is None:
        return f"{(now - start).total_seconds():.1f}s (ongoing)"
    return f"{(end - start).total_seconds():.1f}s"


def _cell(value: Any) -> Text:
    if value is None:
        return Text("")
    if isinstance(value, datetime):
        return Text(when(value))
    if isinstance(value, str):
        return Text(value)
    return Text(json.dumps(jsonable(value), ensure_ascii=False))


def show_list(
    fmt: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    plain: str,
    title: str | None = None,
    empty: str = "nothing found",
) -> None:
    """Print ``rows``: JSON list, one ``rows[i][plain]`` per line, or a table of ``columns``
    (``(header, key)`` pairs)."""
    if fmt == "json":
        emit_json(list(rows))
        return
    if not rows:
        err.print(Text(empty))
        return
    if fmt == "plain":
        for row in rows:
            print(row[plain])
        return
    table = Table(title=None if title is None else Text(title))
    for header, _ in columns:
        table.add_column(header, no_wrap=header.lower() in ("run id", "token", "id"))
    for row in rows:
        table.add_row(*(_cell(row.get(key)) for _, key in columns))
    out.print(table)


def show_record(
    fmt: str, record: dict[str, Any], fields: Sequence[tuple[str, str]], *, title: str
) -> None:
    """Print one record: JSON object, or ``Label: value`` lines (empty values left out)."""
    if fmt == "json":
        emit_json(record)
        return
    table = Table(show_header=False, title=Text(title), box=None)
    for label, key in fields:
        value = record.get(key)
        if value in (None, "", {}, []):
            continue
        table.add_row(Text(label), _cell(value))
    out.print(table)
