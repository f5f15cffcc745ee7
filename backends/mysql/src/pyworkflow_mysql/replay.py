"""Replay on MariaDB: a run's events as one aggregated text per chunk, not one row per event.

aiomysql parses the MySQL protocol in pure Python, about 5 us of client CPU per result row;
for a 10k-event replay that is more than the JSON decoding of every event's data. So an
unfiltered read asks the server for one row per chunk of sequences instead:
``GROUP_CONCAT`` of ``[seq, "id", "type", "data", ts]`` arrays, every text field passed
through ``JSON_QUOTE``, which one ``orjson.loads`` turns back into the same
``(seq, id, type, data text, ts)`` rows the row statement returns. From there the read is the
row path's: :func:`pyworkflow._rows.events_from_rows` decodes each data text exactly as
``json.loads`` would. The backend asks for the next chunk before it decodes the current one, so
the server builds one while the client decodes the other. Measured on a 10k-event run of
200-byte events (chunks of 2,000): client CPU per read ~65 -> ~30 ms, wall ~65 -> ~37 ms.

The aggregate is only a transport, so it is checked before it is trusted: the text must parse,
hold exactly ``COUNT(*)`` rows of five fields, and the sequences must be dense and ascending
from the chunk's start. Anything else (a result cut at ``group_concat_max_len``, an aggregate
the server refused, anything unexpected) reads the rest of the run with the row statement,
so a read returns what the row path returns or the row path's own error. Chunks are ranges
of sequences (``seq > a AND seq <= a + chunk``): a run's sequences are dense from 1 (the
append guard), which also answers ``limit`` without a subquery.

Only on MariaDB: ``SET STATEMENT group_concat_max_len = ... FOR`` raises the result limit for
this statement alone, and MySQL 8 has no such clause (it reads rows as before).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

__all__ = ["CHUNK", "aggregate_sql", "parse_chunk"]

#: Sequences per aggregated row: ~0.6 MB of text for 200-byte events, far under the 16 MiB
#: default ``max_allowed_packet``. Measured per 10k-event read (wall): 500 -> 45-49 ms,
#: 1,000 and 2,000 -> 37 ms, 5,000 -> 42-56 ms, 10,000 -> 58-67 ms (less overlap).
CHUNK = 2000


def aggregate_sql(max_len: int) -> str:
    """The chunk statement (``%s`` style: run id, exclusive start, inclusive end)."""
    return (
        f"SET STATEMENT group_concat_max_len = {int(max_len)} FOR "
        "SELECT COUNT(*), GROUP_CONCAT(CONCAT('[', seq, ',', JSON_QUOTE(id), ',', "
        "JSON_QUOTE(type), ',', JSON_QUOTE(data), ',', ts, ']') ORDER BY seq SEPARATOR ',') "
        "FROM pyworkflow_events WHERE run_id = %s AND seq > %s AND seq <= %s"
    )


def parse_chunk(count: int, text: str | bytes | None, first: int) -> list[Sequence[Any]] | None:
    """The chunk's ``(seq, id, type, data, ts)`` rows, or ``None`` when the aggregate cannot
    be trusted (cut short, refused, or not the rows ``count`` and ``first`` say)."""
    if count == 0:
        return []
    if text is None:  # too big for the packet: the server answered NULL with a warning
        return None
    try:
        rows = orjson.loads(b"[" + text + b"]" if isinstance(text, bytes) else f"[{text}]")
    except orjson.JSONDecodeError:  # cut at group_concat_max_len, mid-row
        return None
    if type(rows) is not list or len(rows) != count:  # cut exactly between two rows
        return None
    for seq, row in enumerate(rows, first):
        if type(row) is not list or len(row) != 5 or row[0] != seq:
            return None
    return rows
