"""Item keys and model <-> DynamoDB item encoding for the single-table design.

Every key part that must sort numerically is a zero-padded 20-digit decimal string, so string
order equals numeric order for every value up to 10**20 - 1 (the predecessor's 5-digit
``EVENT#{seq:05d}`` broke at 100,000 events). Timestamps in sort keys are epoch microseconds
shifted by :data:`TIME_BIAS` so that dates before 1970 are non-negative and still sort.

Models are stored one attribute per field, named like the field, so a compare-and-swap update
touches single attributes in one ``UpdateItem``: JSON-valued fields as JSON text (``S``),
timestamps as epoch microseconds (``N``), counters as ``N``, ids and enums as plain ``S``. A
field whose value is ``None`` has no attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pyworkflow.codec import dumps, from_record, loads, record, to_micros
from pyworkflow.models import Hook, Schedule, Task, WorkflowRun

__all__ = [
    "GSI_CREATED",
    "GSI_DONE",
    "GSI_GROUP",
    "GSI_PARENT",
    "LSI_SEQ",
    "TIME_BIAS",
    "Item",
    "attr",
    "done_attrs",
    "from_item",
    "pad",
    "run_index_attrs",
    "time_key",
    "to_item",
    "update_parts",
]

M = TypeVar("M")
Item = dict[str, dict[str, Any]]

#: Microseconds from 0001-01-01 to 1970-01-01: the smallest datetime maps to 0.
TIME_BIAS = 62_135_596_800_000_000
WIDTH = 20

LSI_SEQ = "lsi_seq"  # events of a run by sequence (strongly consistent reads)
GSI_CREATED = "gsi_created"  # runs newest first; due tasks; schedules by id; purge queue
GSI_GROUP = "gsi_group"  # runs by workflow; tasks/hooks by run; schedules by status
GSI_PARENT = "gsi_parent"  # children by parent
GSI_DONE = "gsi_done"  # completed runs by completed_at (retention)

# Fields stored as JSON text, per model; counters stored as N; the rest by codec kind.
_JSON_FIELDS: dict[type, frozenset[str]] = {
    WorkflowRun: frozenset({"input", "result", "error", "context", "metadata"}),
    Task: frozenset({"payload"}),
    Hook: frozenset({"payload", "schema", "metadata"}),
    Schedule: frozenset({"calendar", "input", "stats", "interval", "jitter"}),
}
_INT_FIELDS = frozenset({"attempts", "revision"})
_TIME_FIELDS: dict[type, frozenset[str]] = {
    WorkflowRun: frozenset({"created_at", "updated_at", "started_at", "completed_at"}),
    Task: frozenset({"due_at", "created_at"}),
    Hook: frozenset({"created_at", "expires_at", "received_at"}),
    Schedule: frozenset({"next_run_at", "last_run_at", "created_at", "updated_at"}),
}


def _s(value: str) -> dict[str, str]:
    """A string AttributeValue."""
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    """A number AttributeValue."""
    return {"N": str(value)}


def pad(number: int) -> str:
    """``number`` (0 <= n < 10**20) as a 20-digit string whose string order is numeric order."""
    return f"{number:0{WIDTH}d}"


def time_key(value: datetime) -> str:
    """A sort-key string for an aware datetime (microsecond exact, order preserving)."""
    return pad(to_micros(value) + TIME_BIAS)


def attr(value: Any, cls: type, name: str) -> dict[str, Any]:
    """The AttributeValue of one recorded (codec.record) field value that is not ``None``."""
    if name in _JSON_FIELDS[cls]:
        return {"S": dumps(value)}
    if name in _INT_FIELDS or name in _TIME_FIELDS[cls]:
        return {"N": str(int(value))}
    return {"S": str(value)}


def to_item(obj: Any, texts: Mapping[str, str] | None = None, **keys: str) -> Item:
    """``obj`` (a model) as an item with the given string key attributes.

    ``texts``, when given, holds the JSON text of every JSON field (what validation encoded,
    e.g. from an ``EncodedRun``): those are stored as they are instead of encoded again.
    """
    cls = type(obj)
    item: Item = {k: {"S": v} for k, v in keys.items()}
    json_fields = _JSON_FIELDS[cls]
    for name, value in record(obj).items():
        if texts is not None and name in json_fields:
            item[name] = {"S": texts[name]}
        elif value is not None or name in json_fields:
            item[name] = attr(value, cls, name)
    return item


def from_item(cls: type[M], item: Mapping[str, Mapping[str, Any]]) -> M:
    """Inverse of :func:`to_item` (key and index attributes are ignored)."""
    data: dict[str, Any] = {}
    json_fields = _JSON_FIELDS[cls]
    for name in _fields(cls):
        value = item.get(name)
        if value is None:
            continue
        if name in json_fields:
            data[name] = loads(value["S"])
        elif "N" in value:
            data[name] = int(value["N"])
        else:
            data[name] = value["S"]
    return from_record(cls, data)


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(cls.__dataclass_fields__)  # type: ignore[attr-defined]


def update_parts(
    cls: type,
    changes: Mapping[str, Any],
    extra: Mapping[str, dict[str, Any] | None] | None = None,
    increment: str | None = None,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(UpdateExpression, names, values) setting recorded ``changes`` plus ``extra`` attributes.

    A ``None`` value removes the attribute (``None`` is stored as absence), except for JSON
    fields, where ``null`` is stored as the JSON text ``null``. ``increment`` names a
    numeric attribute to add one to.
    """
    sets: list[str] = []
    removes: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    items: list[tuple[str, dict[str, Any] | None]] = [
        (name, None if value is None and name not in _JSON_FIELDS[cls] else attr(value, cls, name))
        for name, value in changes.items()
    ]
    items.extend((extra or {}).items())
    for i, (name, value) in enumerate(items):
        names[f"#u{i}"] = name
        if value is None:
            removes.append(f"#u{i}")
        else:
            values[f":u{i}"] = value
            sets.append(f"#u{i} = :u{i}")
    if increment is not None:
        names["#inc"] = increment
        values[":one"] = {"N": "1"}
        sets.append("#inc = #inc + :one")
    expr = ("SET " + ", ".join(sets)) if sets else ""
    if removes:
        expr += " REMOVE " + ", ".join(removes)
    return expr.strip(), names, values


def run_index_attrs(
    run_id: str,
    created_at: datetime,
    workflow_name: str,
    parent_id: str | None,
    completed_at: datetime | None,
) -> dict[str, str]:
    """The GSI key attributes of a run item (``completed`` ones change with completed_at)."""
    position = f"{time_key(created_at)}#{run_id}"
    attrs = {"g1pk": "RUN", "g1sk": position, "g2pk": f"W#{workflow_name}", "g2sk": position}
    if parent_id is not None:
        attrs |= {"g3pk": f"P#{parent_id}", "g3sk": position}
    if completed_at is not None:
        attrs |= done_attrs(run_id, completed_at)
    return attrs


def done_attrs(run_id: str, completed_at: datetime) -> dict[str, str]:
    return {"g4pk": "DONE", "g4sk": f"{time_key(completed_at)}#{run_id}"}
