"""JSON with tagged types: how engine values cross the storage boundary.

Arguments, results, hook payloads and the step context are turned into plain JSON values
before storage sees them, and back again on replay. Never pickle: a value of a type listed
below round-trips; anything else raises :class:`SerializationError` at the point where it
would have been stored (``start()``, a step's return, ``resume_hook``...).

Plain JSON (``None``, ``bool``, ``int``, finite ``float``, ``str``, ``list``, ``dict`` with
``str`` keys) is stored as itself. Everything else becomes an object with the reserved key
``"$pw"`` naming the type::

    datetime, date, time, timedelta, Decimal, bytes/bytearray, UUID, tuple, set, frozenset,
    Enum members, dataclass instances, pydantic models (if pydantic is importable),
    non-finite floats, dicts with non-str keys or with a "$pw" key of their own.

Dataclasses, pydantic models and enums are stored with their import path
(``module:QualName``) and rebuilt by importing it; only classes that really are
dataclasses / pydantic models / enums are accepted on the way back.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import importlib
import math
import sys
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pyworkflow.errors import PyWorkflowError

__all__ = ["TAG", "SerializationError", "decode", "encode", "register_module_alias"]

TAG = "$pw"
_SUPPORTED = (
    "None, bool, int, float, str, list, dict, tuple, set, frozenset, datetime, date, time, "
    "timedelta, Decimal, bytes, UUID, Enum, dataclasses and pydantic models"
)
#: module name as stored -> module name to import instead (a script's ``__main__`` loaded by
#: a worker under its file name, see ``engine.registry``).
_ALIASES: dict[str, str] = {}


class SerializationError(PyWorkflowError, TypeError):
    """A value cannot be stored: its type is not one the engine serializer knows."""


def register_module_alias(stored: str, actual: str) -> None:
    """Decode classes recorded as living in module ``stored`` from module ``actual``."""
    _ALIASES[stored] = actual


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _pydantic_base() -> type | None:
    module = sys.modules.get("pydantic")
    if module is None:
        try:
            import pydantic as module
        except ImportError:
            return None
    base = getattr(module, "BaseModel", None)
    return base if isinstance(base, type) else None


def encode(value: Any, what: str = "value") -> Any:
    """``value`` as a JSON value; :class:`SerializationError` naming the path if impossible.

    Plain JSON made of exact builtin types (the usual step result) is copied by
    :func:`_plain`, which builds no error paths; anything else (a subclass, a tagged type, a
    value that cannot be stored) is encoded from the start by :func:`_enc`, so the result and
    the error are the same either way."""
    if type(value) not in _PLAIN_TYPES:  # a dataclass, a tuple...: no attempt to undo
        return _enc(value, what)
    try:
        return _plain(value)
    except _NotPlain:
        return _enc(value, what)


#: the exact types :func:`_plain` may copy (``None`` is its own type)
_PLAIN_TYPES = frozenset({str, int, bool, float, list, dict, type(None)})


class _NotPlain(Exception):
    """:func:`_plain` met something it leaves to :func:`_enc`."""


def _plain(value: Any) -> Any:
    """What :func:`_enc` returns for ``value`` when it is plain JSON of exact builtin types
    (``None``, ``bool``, ``int``, finite ``float``, ``str``, ``list``, and ``dict`` with
    ``str`` keys and no ``"$pw"`` key), else :class:`_NotPlain`."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        raise _NotPlain
    if kind is list:
        return [_plain(item) for item in value]
    if kind is dict:
        if TAG in value:
            raise _NotPlain
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            out[key] = _plain(item)
        return out
    raise _NotPlain


def _enc(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return int(value)
    if isinstance(value, float) and not isinstance(value, enum.Enum):
        if math.isfinite(value):
            return float(value)
        return {TAG: "float", "v": repr(value)}
    if isinstance(value, list):
        return [_enc(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: _enc(v, f"{path}[{k!r}]") for k, v in value.items()}
        return {
            TAG: "dict",
            "v": [[_enc(k, f"{path} key"), _enc(v, f"{path}[{k!r}]")] for k, v in value.items()],
        }
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {TAG: "tuple", "v": [_enc(x, f"{path}[{i}]") for i, x in enumerate(value)]}
    if isinstance(value, set | frozenset):
        kind = "frozenset" if isinstance(value, frozenset) else "set"
        return {TAG: kind, "v": [_enc(x, f"{path} item") for x in value]}
    if isinstance(value, datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, time):
        return {TAG: "time", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, bytes | bytearray):
        kind = "bytearray" if isinstance(value, bytearray) else "bytes"
        return {TAG: kind, "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {TAG: "uuid", "v": str(value)}
    if isinstance(value, enum.Enum):
        return {TAG: "enum", "cls": _class_path(type(value)), "v": _enc(value.value, path)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: _enc(getattr(value, f.name), f"{path}.{f.name}")
            for f in dataclasses.fields(value)
            if f.init
        }
        return {TAG: "dataclass", "cls": _class_path(type(value)), "v": fields}
    base = _pydantic_base()
    if base is not None and isinstance(value, base):
        dumped = value.model_dump(mode="json")  # type: ignore[attr-defined]
        return {TAG: "pydantic", "cls": _class_path(type(value)), "v": dumped}
    raise SerializationError(
        f"{path} has type {type(value).__module__}.{type(value).__qualname__}, which the "
        f"workflow serializer cannot store (JSON with tagged types; pickle is never used). "
        f"Supported: {_SUPPORTED}."
    )


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`. A malformed tag raises :class:`SerializationError`."""
    if isinstance(value, list):
        return [decode(x) for x in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {k: decode(v) for k, v in value.items()}
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise SerializationError(f"unknown serializer tag {tag!r}")
    try:
        return decoder(value)
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"cannot decode a stored {tag!r} value: {exc}") from exc


def _import_class(path: str, kind: str) -> type:
    module_name, _, qualname = path.partition(":")
    module_name = _ALIASES.get(module_name, module_name)
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise SerializationError(f"{path} is not a class")
    ok = {
        "dataclass": lambda c: dataclasses.is_dataclass(c),
        "enum": lambda c: issubclass(c, enum.Enum),
        "pydantic": lambda c: (b := _pydantic_base()) is not None and issubclass(c, b),
    }[kind](obj)
    if not ok:
        raise SerializationError(f"{path} is not a {kind} class; refusing to build it")
    return obj


def _dataclass(v: dict[str, Any]) -> Any:
    cls = _import_class(v["cls"], "dataclass")
    return cls(**{k: decode(x) for k, x in v["v"].items()})


def _pydantic(v: dict[str, Any]) -> Any:
    cls = _import_class(v["cls"], "pydantic")
    return cls.model_validate(v["v"])  # type: ignore[attr-defined]


def _enum_value(v: dict[str, Any]) -> Any:
    return _import_class(v["cls"], "enum")(decode(v["v"]))


_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "float": lambda v: float(v["v"]),
    "dict": lambda v: {decode(k): decode(x) for k, x in v["v"]},
    "tuple": lambda v: tuple(decode(x) for x in v["v"]),
    "set": lambda v: {decode(x) for x in v["v"]},
    "frozenset": lambda v: frozenset(decode(x) for x in v["v"]),
    "datetime": lambda v: datetime.fromisoformat(v["v"]),
    "date": lambda v: date.fromisoformat(v["v"]),
    "time": lambda v: time.fromisoformat(v["v"]),
    "timedelta": lambda v: timedelta(days=v["v"][0], seconds=v["v"][1], microseconds=v["v"][2]),
    "decimal": lambda v: Decimal(v["v"]),
    "bytes": lambda v: base64.b64decode(v["v"]),
    "bytearray": lambda v: bytearray(base64.b64decode(v["v"])),
    "uuid": lambda v: uuid.UUID(v["v"]),
    "enum": _enum_value,
    "dataclass": _dataclass,
    "pydantic": _pydantic,
}
