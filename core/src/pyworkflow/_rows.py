"""Building :class:`~pyworkflow.models.Event` objects from stored rows, fast.

Replay reads thousands of events at once, and two costs dominate once the bytes are in
memory: one ``json.loads`` call per event (its fixed cost exceeds the parse of a 200-byte
object) and the frozen dataclass ``__init__`` (one ``object.__setattr__`` per field, through
the generated code). Here the data texts of a batch are decoded by one parse, and events are
built by setting their slots directly. The result is exactly what ``Event(...)`` builds,
including the engine's ``EventType`` member for an engine event type (what
``Event.__post_init__`` does).

Every backend uses it: memory, SQL and Cassandra through :func:`events_from_rows`, files and
DynamoDB through :func:`decode_many` and :func:`event`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

import orjson

from .codec import loads
from .models import EVENT_TYPES, JSON, Event

__all__ = ["decode_checked", "decode_many", "decode_plain", "event", "events_from_rows"]

# orjson and json.loads agree on every JSON text except three kinds: orjson refuses NaN and
# Infinity, lone surrogate escapes and out-of-range floats (1e400) - it raises, and we decode
# with the standard library instead - and it silently turns an integer beyond 64 bits into a
# float. Such an integer has at least 19 digits, so a text holding a run of 19 digits (in a
# number or a string: a false alarm only costs speed) is decoded by the standard library, the
# others by orjson. The scan is a C byte translation plus one find over the whole batch:
# ~2 ms per 2 MB, against the ~17 ms orjson saves on the same batch. Only when it finds a run
# are the texts holding one located (ids of 32 hex digits hold such a run about once in 500,
# so a 10k-event replay usually has a few: they must not send the whole batch to json).
_DIGIT_MAP = bytes(1 if 0x30 <= b <= 0x39 else 0 for b in range(256))
_LONG_DIGITS = b"\x01" * 19
_oloads = orjson.loads

# The slot descriptors of Event, in the order event() takes its arguments.
_SET_RUN_ID = vars(Event)["run_id"].__set__
_SET_SEQUENCE = vars(Event)["sequence"].__set__
_SET_ID = vars(Event)["id"].__set__
_SET_TYPE = vars(Event)["type"].__set__
_SET_DATA = vars(Event)["data"].__set__
_SET_TIMESTAMP = vars(Event)["timestamp"].__set__
_new = object.__new__
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def decode_many(texts: Sequence[str] | Sequence[bytes | memoryview]) -> list[JSON]:
    """``[json.loads(t) for t in texts]``: the same values, or the same error.

    ``texts`` are all ``str``, or all UTF-8 bytes (``bytes`` or ``memoryview``, as a file
    backend reads them). A text with a run of 19 digits is decoded by ``json.loads``, every
    other by orjson (see above); if orjson refuses any text, or the batch is of mixed or
    other types, the whole batch is decoded by ``json.loads``, which returns its values or
    raises its own error.
    """
    return decode_checked(texts)[0]


def decode_checked(
    texts: Sequence[str] | Sequence[bytes | memoryview],
) -> tuple[list[JSON], bool]:
    """:func:`decode_many`, and whether every text was *plain*: free of 19-digit runs and
    decoded by orjson. A plain text stays plain (its value depends on the text alone), so a
    caller that keeps texts may decode them again with :func:`decode_plain`."""
    try:
        # TypeError when the types are mixed (a str among bytes, or bytes among str).
        if texts and type(texts[0]) is not str:
            joined = b"".join(texts)  # type: ignore[arg-type]
            char_offsets = True  # a text's len() is its byte length
        else:
            text = "".join(texts)  # type: ignore[arg-type]
            joined = text.encode()
            char_offsets = len(joined) == len(text)  # all ASCII
        flags = joined.translate(_DIGIT_MAP)
    except (TypeError, UnicodeEncodeError):  # mixed types, or lone surrogates: the reference
        return [_loads_any(t) for t in texts], False
    try:
        if flags.find(_LONG_DIGITS) < 0:
            return [_oloads(t) for t in texts], True
        suspects = _with_long_digits(texts, flags, char_offsets)
        values = [_loads_any(t) if i in suspects else _oloads(t) for i, t in enumerate(texts)]
        return values, False
    except orjson.JSONDecodeError:  # orjson's only (json's own error is its base class)
        return [_loads_any(t) for t in texts], False


def decode_plain(texts: Sequence[str]) -> list[JSON]:
    """:func:`decode_many` of texts that :func:`decode_checked` found plain before: orjson
    alone, with no scan (what made them plain cannot have changed)."""
    try:
        return [_oloads(t) for t in texts]
    except orjson.JSONDecodeError:  # cannot happen for plain texts; the reference decides
        return decode_many(texts)


def _loads_any(text: Any) -> JSON:
    """``json.loads`` of a text, or of UTF-8 bytes (a memoryview made bytes first)."""
    return loads(bytes(text) if type(text) is memoryview else text)


def _with_long_digits(texts: Sequence[Any], flags: bytes, char_offsets: bool) -> set[int]:
    """Indexes of the texts that a run of 19 digits in ``flags`` (the batch's UTF-8 bytes
    mapped to 1 for a digit) touches; a run across two texts marks both. ``char_offsets``:
    each text's ``len`` is its UTF-8 length (bytes, or ASCII text), so no text is encoded
    again to find where it ends (ids of 32 hex digits make this path common)."""
    if char_offsets:
        ends = list(accumulate(map(len, texts)))
    else:
        ends = list(accumulate(len(t.encode()) for t in texts))
    found: set[int] = set()
    at = flags.find(_LONG_DIGITS)
    while at >= 0:
        end = flags.find(b"\x00", at)  # past the run, however long
        last = (len(flags) if end < 0 else end) - 1
        found.update(range(bisect_right(ends, at), bisect_right(ends, last) + 1))
        at = -1 if end < 0 else flags.find(_LONG_DIGITS, end)
    return found


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


def events_from_rows(run_id: str, rows: Iterable[Sequence[Any]]) -> list[Event]:
    """Events of ``run_id`` from ``(sequence, id, type, data text, timestamp)`` rows; the
    timestamp is an ``int`` of epoch microseconds (the SQL and Cassandra columns) or an aware
    ``datetime`` (memory).

    The data texts are decoded together by :func:`decode_many` (values and errors are
    ``json.loads``'s). The events of one append share a timestamp, so each distinct one is
    converted once.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    datas = decode_many([row[3] for row in rows])
    kind = EVENT_TYPES.get  # engine types become EventType members, as Event.__post_init__ does
    new, epoch, micro = _new, _EPOCH, _MICRO
    s_run, s_seq, s_id, s_type = _SET_RUN_ID, _SET_SEQUENCE, _SET_ID, _SET_TYPE
    s_data, s_ts = _SET_DATA, _SET_TIMESTAMP
    out: list[Event] = []
    append = out.append
    last_ts: int | None = None
    when = epoch
    for (seq, eid, etype, _, ts), value in zip(rows, datas, strict=True):
        ev = new(Event)
        s_run(ev, run_id)
        s_seq(ev, seq)
        s_id(ev, eid)
        s_type(ev, kind(etype, etype))
        s_data(ev, value)
        if ts != last_ts:
            when, last_ts = (epoch + ts * micro if type(ts) is int else ts), ts
        s_ts(ev, when)
        append(ev)
    return out
