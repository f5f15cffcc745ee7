"""DynamoDB's size limits applied to our items, computed here before anything is sent.

AWS's documented limits (all its units are binary: 1 KB = 1024 bytes, 1 MB = 1024 KB):

- An item is at most 400 KB, counting the UTF-8 length of every attribute name and value.
  A string value counts its UTF-8 bytes; a number about one byte per two significant digits
  plus one byte.
- In a table with a local secondary index, for each LSI, the item's size plus the size of its
  entries in *all* LSIs (their key values and projected attributes) is at most 400 KB.
- ``TransactWriteItems`` takes at most 100 actions whose items total at most 4 MB.

Our event item (``backend._append``) is ``pk="E#<run>"``, ``sk="I#<event id>"``, ``q`` (the
20-digit sequence), ``t`` (type), ``d`` (the JSON data) and ``ts`` (epoch microseconds), and it
is the only kind of item with a ``q``, so the only one in the LSI ``lsi_seq`` (projection ALL).
Its LSI entry therefore repeats the whole item, so an event's data gets about half of 400 KB.

Where AWS's wording leaves room, the estimate here is the larger one: a number is counted with
all its digits (not only the significant ones) plus a byte for a sign; an LSI entry counts its
key values (``pk``, ``sk``, ``q``) on top of the projected attributes (which already hold
them), plus the 100 bytes of per-index-item overhead DynamoDB documents for storage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil
from typing import Any

from pyworkflow._ids import MAX_ID_BYTES
from pyworkflow.codec import to_micros

from ._items import WIDTH

__all__ = [
    "INDEX_ENTRY_OVERHEAD",
    "ITEM_LIMIT",
    "MAX_BATCH",
    "MAX_EVENT_BYTES",
    "TRANSACTION_ACTIONS",
    "TRANSACTION_LIMIT",
    "event_footprint",
    "item_size",
]

ITEM_LIMIT = 400 * 1024  # 409,600 bytes
TRANSACTION_LIMIT = 4 * 1024 * 1024  # 4,194,304 bytes
TRANSACTION_ACTIONS = 100
INDEX_ENTRY_OVERHEAD = 100
#: The key attributes an entry of ``lsi_seq`` holds: the table's key and the index's sort key.
_LSI_KEYS = ("pk", "sk", "q")


def _number_size(text: str) -> int:
    digits = sum(ch.isdigit() for ch in text)
    return ceil(digits / 2) + 1 + (1 if text.startswith("-") else 0)


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """The size DynamoDB counts for ``item`` (string and number attributes only)."""
    total = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        total += len(name.encode("utf-8"))
        if kind == "S":
            total += len(raw.encode("utf-8"))
        elif kind == "N":
            total += _number_size(raw)
        else:  # not used in our items; refuse rather than guess
            raise ValueError(f"no size rule for attribute type {kind!r}")
    return total


def event_footprint(item: dict[str, dict[str, Any]], size: int | None = None) -> int:
    """What counts against 400 KB for an event item: the item plus its ``lsi_seq`` entry.

    ``size`` is ``item_size(item)`` when the caller has it already.
    """
    own = item_size(item) if size is None else size
    keys = {name: item[name] for name in _LSI_KEYS}
    return own + (own + item_size(keys) + INDEX_ENTRY_OVERHEAD)


def _worst_event(data_bytes: int) -> dict[str, dict[str, Any]]:
    """The largest event item for ``data_bytes`` of data: every id and the type at their
    longest, the sequence at its 20 digits, the timestamp with the most digits and a sign."""
    longest = "x" * MAX_ID_BYTES
    extremes = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    micros = max((str(to_micros(t)) for t in extremes), key=_number_size)
    return {
        "pk": {"S": "E#" + longest},
        "sk": {"S": "I#" + longest},
        "q": {"S": "9" * WIDTH},
        "t": {"S": longest},
        "d": {"S": "x" * data_bytes},
        "ts": {"N": micros},
    }


def _largest_data() -> int:
    # The footprint grows by exactly 2 bytes per data byte (the data is in the item and in its
    # LSI entry): solve footprint(0) + 2 * D <= ITEM_LIMIT for the largest D.
    fixed = event_footprint(_worst_event(0))
    return (ITEM_LIMIT - fixed) // 2


#: Largest event data, in UTF-8 bytes of its JSON text, that fits the worst-case event item:
#: 203,671 (the worst-case item is 809 bytes + data, its LSI entry 1,448 bytes + data, so
#: 2,257 + 2 x 203,671 = 409,599 <= 409,600; see the README for the arithmetic).
MAX_EVENT_BYTES = _largest_data()

#: The version item an append updates beside its events (run id at its longest, 20 digits).
_VERSION_ITEM = {"pk": {"S": "E#" + "x" * MAX_ID_BYTES}, "sk": {"S": "V"}, "v": {"N": "9" * WIDTH}}

#: Events per append: one transaction holds the version update and the events, so at most 99
#: actions are left, and their items must total at most 4 MB even when every event is at
#: MAX_EVENT_BYTES: (4,194,304 - 274) // 204,480 = 20.
MAX_BATCH = min(
    TRANSACTION_ACTIONS - 1,
    (TRANSACTION_LIMIT - item_size(_VERSION_ITEM)) // item_size(_worst_event(MAX_EVENT_BYTES)),
)
