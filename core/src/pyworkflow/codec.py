"""Encoding helpers shared by backends: JSON text, UTC timestamps, model <-> record.

Storage sees JSON values only (the engine has already encoded richer Python values), so one
strict JSON dialect is used everywhere: UTF-8 (no lone surrogates), no NaN/infinity, ``str``
keys only, nested at most :data:`MAX_JSON_DEPTH` deep.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import reprlib
import typing
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import orjson

from .errors import InvalidInput

__all__ = [
    "MAX_JSON_DEPTH",
    "dumps",
    "encode_valid",
    "ensure_utc",
    "from_micros",
    "from_record",
    "loads",
    "record",
    "record_changes",
    "show",
    "to_micros",
    "utf8",
]

M = TypeVar("M")
_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

#: Deepest nesting of lists and objects accepted in a JSON value. Far deeper than any real
#: document, and far enough below the interpreter's recursion limit that encoding and decoding
#: (both recursive in C) never raise RecursionError, whatever the caller's stack depth.
MAX_JSON_DEPTH = 256
#: Levels a backend may wrap around a valid value when it stores it inside a document of its
#: own (a record holding the run's fields, a row holding the record...).
_ENVELOPE = 8


def dumps(value: Any, what: str = "value", *, max_depth: int = MAX_JSON_DEPTH + _ENVELOPE) -> str:
    """Encode a JSON value to compact text; raise :class:`InvalidInput` if it is not JSON.

    Dict keys must be ``str`` (``json`` would silently turn ``1`` into ``"1"``, which would not
    round-trip). Tuples are encoded as lists. Nesting deeper than ``max_depth``, NaN, infinity
    and integers beyond the interpreter's digit limit are refused. The validation layer passes
    :data:`MAX_JSON_DEPTH`; the default leaves backends room for their own envelope. The text
    may still hold lone surrogates: :func:`utf8` is the check that it can be stored.
    """
    if _plain(value, max_depth, 0):
        try:
            return _orjson_dumps(value).decode()
        except TypeError:
            pass  # an int beyond 64 bits, a lone surrogate, orjson's own depth limit
    # The reference path: every refusal and every other value (floats, subclasses) is its.
    _check_keys(value, what, max_depth, 0)
    try:
        return _encoder.encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"{what} is not JSON-serializable: {exc}") from None


#: Types that are JSON leaves: ``_check_keys`` skips them without an ``isinstance`` chain.
_LEAVES = frozenset({str, int, float, bool, type(None)})
#: Leaves whose orjson text is the reference encoder's, byte for byte, or which orjson
#: refuses (an int beyond 64 bits, a str with a lone surrogate). Not ``float``: orjson writes
#: NaN and infinity as ``null`` and some finite floats unlike ``repr`` (``1e16``, ``1e-07``).
_PLAIN_LEAVES = frozenset({str, int, bool, type(None)})
_orjson_dumps = orjson.dumps


def _plain(value: Any, limit: int, depth: int) -> bool:
    """Whether ``value`` holds only exact ``dict`` (``str`` keys), ``list``, ``tuple`` and
    :data:`_PLAIN_LEAVES` values, nested less than ``limit`` deep: then orjson's text is the
    reference encoder's (or orjson refuses it). Anything else (a float, a subclass, a bad key,
    too deep) is ``False``, and the reference path decides, with its own errors."""
    if depth >= limit:
        return False
    leaves = _PLAIN_LEAVES
    t = type(value)
    if t is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            t = type(item)
            if t in leaves:
                continue
            if (t is dict or t is list or t is tuple) and _plain(item, limit, depth + 1):
                continue
            return False
        return True
    if t is list or t is tuple:
        for item in value:
            t = type(item)
            if t in leaves:
                continue
            if (t is dict or t is list or t is tuple) and _plain(item, limit, depth + 1):
                continue
            return False
        return True
    return t in leaves


def encode_valid(value: Any) -> str:
    """:func:`dumps` without its checks, for a value built only from values that already
    passed them (a backend's record of a validated model: its JSON fields, ids, enum values
    and epoch microseconds). Never use it on a caller's value."""
    if _plain(value, MAX_JSON_DEPTH + _ENVELOPE, 0):
        try:
            return _orjson_dumps(value).decode()
        except TypeError:
            pass  # see dumps
    return _encoder.encode(value)


def _check_keys(value: Any, what: str, limit: int, depth: int) -> None:
    # Recursive, but bounded by ``limit`` well before the interpreter's own limit. On every
    # append's hot path: exact-type tests first, ``isinstance`` only for unusual types
    # (subclasses of dict/list/tuple/str are still checked as before).
    if depth >= limit:
        raise InvalidInput(f"{what} is nested deeper than {limit} levels")
    leaves = _LEAVES
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise InvalidInput(f"{what} has a non-str key {show(key)}; JSON keys are strings")
            if type(item) not in leaves and isinstance(item, dict | list | tuple):
                _check_keys(item, what, limit, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            if type(item) not in leaves and isinstance(item, dict | list | tuple):
                _check_keys(item, what, limit, depth + 1)


def show(value: Any) -> str:
    """A short repr of any caller's value for an error message. Never raises: plain ``repr``
    can recurse without bound on deep nesting, fail on an int of more than 4300 digits, or
    run a broken ``__repr__``."""
    try:
        return reprlib.repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


def utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8; :class:`InvalidInput` if it holds a lone surrogate (which no
    database can store: it is not a Unicode scalar value)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} contains a lone surrogate and is not valid UTF-8") from None


loads = json.loads
"""Decode JSON text (or UTF-8 bytes)."""


def ensure_utc(value: datetime, what: str) -> datetime:
    """Return ``value`` in UTC; raise :class:`InvalidInput` if it is naive, not a datetime,
    or outside ``datetime``'s range once in UTC (``0001-01-01 00:00+01:00``)."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be timezone-aware (got a naive datetime)")
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{what} {value.isoformat()} is out of range in UTC") from None


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float rounding)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """Inverse of :func:`to_micros`: an aware UTC datetime.

    Raises ``OverflowError`` when ``value`` is outside years 1..9999 (pure arithmetic: unlike
    ``datetime.fromtimestamp`` it never depends on the platform's ``time_t``).
    """
    return _EPOCH + int(value) * _MICRO


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
