"""The event every scenario writes, built the same way for our backend and for the raw driver.

One payload (about 200 bytes of JSON, like a step's recorded result) so that "ours" and "raw"
move exactly the same bytes. Both sides pay for an id (:func:`pyworkflow._ids.new_id`), a
timestamp and JSON encoding of the data, because a raw client has to do that too.

The raw side encodes with the standard library's ``json``, as it decodes with ``json.loads``
in replay: that is what a plain client does. Which codec pyworkflow uses (orjson behind the
canonical encoding, see :mod:`pyworkflow.codec`) is part of what is measured, so the raw
ceiling must not inherit it. The bytes are the same on both sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pyworkflow._ids import new_id
from pyworkflow.codec import dumps, to_micros
from pyworkflow.models import NewEvent, utcnow

__all__ = ["EVENT_TYPE", "PAYLOAD", "RawRow", "new_event", "raw_row"]

EVENT_TYPE = "step.completed"


def _payload(size: int = 200) -> dict[str, object]:
    base: dict[str, object] = {
        "step": "charge_card",
        "attempt": 1,
        "result": {"ok": True, "amount": 1234, "currency": "EUR"},
        "ref": "",
    }
    pad = size - len(dumps(base))
    base["ref"] = "r" * max(pad, 0)
    return base


#: The event data: exactly 200 bytes once encoded.
PAYLOAD = _payload()


def new_event() -> NewEvent:
    """An event for our backend (it encodes the data itself)."""
    return NewEvent(type=EVENT_TYPE, data=PAYLOAD)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One event row as a raw client would write it: run_id, seq, id, type, data, timestamp."""

    id: str
    type: str
    data: str
    timestamp: datetime

    @property
    def micros(self) -> int:
        return to_micros(self.timestamp)


#: What a plain client calls: the standard library, compact, UTF-8 as is (the same bytes as
#: our canonical encoding of :data:`PAYLOAD`, which the unit tests check).
_plain_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def raw_row() -> RawRow:
    """A row for the raw driver: fresh id, now, data encoded by the standard library."""
    return RawRow(new_id(), EVENT_TYPE, _plain_dumps(PAYLOAD), utcnow())
