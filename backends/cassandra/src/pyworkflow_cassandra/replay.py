"""Reading a whole bucket of events fast: tuple rows, concurrent ranges, one JSON parse.

Replay (``read`` without a limit) is bounded by three client costs the plain paged read
pays: one dict per row (``dict_factory``), one ``json.loads`` per event, and one round trip
after another (``paging_state`` is only known once the previous page arrived). Here:

* rows are tuples (the ``TUPLES`` execution profile), in the statements' column order;
* the first page of a bucket carries the bucket's static ``version``: every event of the
  bucket that exists at that moment has ``seq <= version`` (an append's batch writes its
  rows and the version together, atomically within the partition). The rest of the bucket,
  ``(last seq of the first page, version]``, is fetched as ranges of ``page_size``
  sequences, all at once;
* the data texts are decoded by :func:`pyworkflow._rows.decode_many` and the events built
  by :func:`pyworkflow._rows.event` (exactly what ``Event(...)`` builds).

The answer is the bucket as of its first page: events appended while the ranges are in
flight past that version are not included, which a read racing an append may do (it
returns a prefix of the log that includes every append completed before it started).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pyworkflow._rows import decode_many, event
from pyworkflow.codec import from_micros
from pyworkflow.models import Event

from .aio import TUPLES, Runner

__all__ = ["bucket_rows", "to_events"]

#: Column order of ``ev_read`` and ``ev_span`` rows (``ev_read`` adds ``version`` last).
SEQ, EID, TYPE, DATA, TS, VERSION = range(6)


async def bucket_rows(
    db: Runner, st: dict[str, Any], run_id: str, bucket: int, after: int
) -> tuple[list[Any], int | None]:
    """Every event row of ``bucket`` with ``seq > after`` (tuples, ascending ``seq``), and
    the bucket's version as of the first page (``None`` if no row was found).

    An empty first page returns ``([], None)`` even if the bucket exists: the caller only
    needs the version to decide whether to go on to the next bucket, and with no event
    past ``after`` that is decided by ``after`` alone (:func:`.buckets.continue_after_empty`).
    """
    first = await db.execute(st["ev_read"], (run_id, bucket, after), profile=TUPLES)
    rows = first.rows
    if not rows:
        return [], None
    version = rows[0][VERSION]
    if first.paging_state is None or version is None:
        return rows, version
    last, step = rows[-1][SEQ], db.page_size
    spans = await asyncio.gather(
        *(
            db.all(st["ev_span"], (run_id, bucket, lo, min(lo + step, version)), profile=TUPLES)
            for lo in range(last, version, step)
        )
    )
    out = list(rows)
    for span in spans:
        out.extend(span)
    return out, version


def to_events(run_id: str, rows: Sequence[Any]) -> list[Event]:
    """Events from ``(seq, eid, type, data, ts, ...)`` tuples, their data decoded at once."""
    datas = decode_many([r[DATA] for r in rows])
    return [
        event(run_id, int(r[SEQ]), r[EID], r[TYPE], data, from_micros(r[TS]))
        for r, data in zip(rows, datas, strict=True)
    ]
