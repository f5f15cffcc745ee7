"""Encoding helpers shared by backends: JSON text, UTC timestamps, model <-> record.

Storage sees JSON values only (the engine has already encoded richer Python values), so one
strict JSON dialect is used everywhere: UTF-8, no NaN/infinity, ``str`` keys only.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
from datetime import UTC, datetime
from typing import Any, TypeVar

from .errors import InvalidInput

__all__ = [
    "dumps",
    "ensure_utc",
    "from_micros",
    "from_record",
    "loads",
    "record",
    "record_changes",
    "to_micros",
]

M = TypeVar("M")
_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dumps(value: Any, what: str = "value") -> str:
    """Encode a JSON value to compact text; raise :class:`InvalidInput` if it is not JSON.

    Dict keys must be ``str`` (``json`` would silently turn ``1`` into ``"1"``, which would not
    round-trip). Tuples are encoded as lists.
    """
    _check_keys(value, what)
    try:
        return _encoder.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not JSON-serializable: {exc}") from None


def _check_keys(value: Any, what: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{what} has a non-str key {key!r}; JSON keys are strings")
            if isinstance(item, dict | list | tuple):
                _check_keys(item, what)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict | list | tuple):
                _check_keys(item, what)


loads = json.loads
"""Decode JSON text (or UTF-8 bytes)."""


def ensure_utc(value: datetime, what: str) -> datetime:
    """Return ``value`` in UTC; raise :class:`InvalidInput` if it is naive or not a datetime."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be timezone-aware (got a naive datetime)")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float rounding)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """Inverse of :func:`to_micros`: an aware UTC datetime."""
    seconds, micros = divmod(int(value), 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


_FIELDS: dict[type, tuple[tuple[str, str, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, str, Any], ...]:
    """(name, kind, enum class) per field: kind is "datetime", "enum" or "plain"."""
    cached = _FIELDS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    out: list[tuple[str, str, Any]] = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint)
        base = next((a for a in args if a is not type(None)), hint) if args else hint
        if base is datetime:
            out.append((f.name, "datetime", None))
        elif isinstance(base, type) and issubclass(base, enum.Enum):
            out.append((f.name, "enum", base))
        else:
            out.append((f.name, "plain", None))
    _FIELDS[cls] = result = tuple(out)
    return result


def record(obj: Any) -> dict[str, Any]:
    """A model as a JSON-ready dict: datetimes as epoch microseconds, enums as their value.

    JSON-valued fields are shared, not copied: encode the result before storing it.
    """
    out: dict[str, Any] = {}
    for name, kind, _ in _fields(type(obj)):
        value = getattr(obj, name)
        if value is not None and kind == "datetime":
            value = to_micros(value)
        elif value is not None and kind == "enum":
            value = value.value
        out[name] = value
    return out


def from_record(cls: type[M], data: dict[str, Any]) -> M:
    """Inverse of :func:`record`. Missing keys take the model's default."""
    kwargs: dict[str, Any] = {}
    for name, kind, enum_cls in _fields(cls):
        if name not in data:
            continue
        value = data[name]
        if value is not None and kind == "datetime":
            value = from_micros(value)
        elif value is not None and kind == "enum":
            value = enum_cls(value)
        kwargs[name] = value
    return cls(**kwargs)


def record_changes(cls: type, changes: dict[str, Any]) -> dict[str, Any]:
    """A partial update of ``cls`` encoded the way :func:`record` encodes its fields."""
    kinds = {name: kind for name, kind, _ in _fields(cls)}
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if value is not None and kinds[name] == "datetime":
            value = to_micros(value)
        elif value is not None and kinds[name] == "enum":
            value = value.value
        out[name] = value
    return out
