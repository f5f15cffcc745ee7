"""Building :class:`~pyworkflow.models.Event` objects from stored rows, fast.

Replay reads thousands of events at once, and two costs dominate once the bytes are in
memory: one ``json.loads`` call per event (its fixed cost exceeds the parse of a 200-byte
object) and the frozen dataclass ``__init__`` (one ``object.__setattr__`` per field, through
the generated code). Here the data texts of a batch are decoded by one parse, and events are
built by setting their slots directly. The result is exactly what ``Event(...)`` builds,
including the engine's ``EventType`` member for an engine event type (what
``Event.__post_init__`` does).

Any backend may use it (memory and files do); a backend that does not keeps working as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .codec import loads
from .models import EVENT_TYPES, JSON, Event

__all__ = ["decode_many", "event", "events_from_rows"]

# The slot descriptors of Event, in the order event() takes its arguments.
_SET_RUN_ID = vars(Event)["run_id"].__set__
_SET_SEQUENCE = vars(Event)["sequence"].__set__
_SET_ID = vars(Event)["id"].__set__
_SET_TYPE = vars(Event)["type"].__set__
_SET_DATA = vars(Event)["data"].__set__
_SET_TIMESTAMP = vars(Event)["timestamp"].__set__
_new = object.__new__


def decode_many(texts: Sequence[str]) -> list[JSON]:
    """Decode each JSON text of ``texts`` (values in the same order) with one parse.

    Equivalent to ``[json.loads(t) for t in texts]`` for valid texts: each text is one
    element of the array parsed, decoded on its own. An invalid text raises
    ``json.JSONDecodeError`` (a ``ValueError``) for the whole batch, its position counted
    in the joined text.
    """
    if not texts:
        return []
    if len(texts) == 1:
        return [loads(texts[0])]
    return loads("[" + ",".join(texts) + "]")  # type: ignore[no-any-return]


def event(
    run_id: str, sequence: int, id: str, type: str, data: dict[str, Any], timestamp: datetime
) -> Event:
    """``Event(run_id=..., sequence=..., ...)`` without the dataclass ``__init__``'s cost.

    No checks, as ``Event(...)`` makes none: the values come from storage.
    """
    ev = _new(Event)
    _SET_RUN_ID(ev, run_id)
    _SET_SEQUENCE(ev, sequence)
    _SET_ID(ev, id)
    _SET_TYPE(ev, EVENT_TYPES.get(type, type))
    _SET_DATA(ev, data)
    _SET_TIMESTAMP(ev, timestamp)
    return ev


def events_from_rows(
    run_id: str, rows: Iterable[tuple[int, str, str, str, datetime]]
) -> list[Event]:
    """Events of ``run_id`` from ``(sequence, id, type, data text, timestamp)`` rows, their
    data decoded with one parse (:func:`decode_many`)."""
    rows = list(rows)
    datas = decode_many([r[3] for r in rows])
    return [
        event(run_id, seq, eid, etype, data, ts)
        for (seq, eid, etype, _, ts), data in zip(rows, datas, strict=True)
    ]
