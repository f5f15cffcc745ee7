"""The engine serializer: tagged JSON round trips, clear errors, never pickle."""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pydantic
import pytest
from pyworkflow.engine.durations import to_seconds
from pyworkflow.engine.serializer import SerializationError, decode, encode
from pyworkflow.errors import InvalidInput


class Color(enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Point:
    x: int
    y: float
    tags: tuple[str, ...] = ()
    meta: dict[str, object] = field(default_factory=dict)


class Order(pydantic.BaseModel):
    id: int
    when: datetime
    amount: Decimal


VALUES = [
    None,
    True,
    0,
    -7,
    2**70,
    1.5,
    "ü",
    [],
    {},
    [1, [2, [3]]],
    {"a": {"b": [1]}},
    (1, "a"),
    {1, 2},
    frozenset({"x"}),
    {1: "int key", (1, 2): "tuple key"},
    {"$pw": "looks like a tag"},
    float("inf"),
    float("-inf"),
    datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2024, 1, 2, 3, 4, 5),
    date(1969, 12, 31),
    time(23, 59, 59, 1),
    timedelta(days=-1, seconds=5, microseconds=7),
    Decimal("1.10"),
    Decimal("-0E-7"),
    b"\x00\xff",
    bytearray(b"ab"),
    uuid.UUID(int=12345),
    Color.RED,
    Point(1, 2.5, ("a",), {"when": date(2020, 1, 1)}),
    Order(id=1, when=datetime(2024, 5, 1, tzinfo=UTC), amount=Decimal("9.99")),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_through_json_text(value: object) -> None:
    stored = json.loads(json.dumps(encode(value), allow_nan=False))
    back = decode(stored)
    assert back == value
    assert type(back) is type(value)


def test_nan_round_trips() -> None:
    back = decode(encode(float("nan")))
    assert back != back


def test_plain_json_is_stored_as_itself() -> None:
    value = {"a": [1, 2.5, "x", None, True], "b": {}}
    assert encode(value) == value


def test_unknown_type_raises_with_the_path() -> None:
    with pytest.raises(SerializationError, match=r"args\[0\]\['k'\].*object.*pickle is never"):
        encode([{"k": object()}], "args")


def test_decode_refuses_a_class_that_is_not_a_dataclass() -> None:
    forged = {"$pw": "dataclass", "cls": "os:system", "v": {}}
    with pytest.raises(SerializationError):
        decode(forged)
    with pytest.raises(SerializationError, match="unknown serializer tag"):
        decode({"$pw": "pickle", "v": ""})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("2d 4h", 187200),
        ("1.5s", 1.5),
        ("7", 7),
        (3, 3),
        (timedelta(minutes=2), 120),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert to_seconds(text) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "10 parsecs", "m", "-5", -1, True, None])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(InvalidInput):
        to_seconds(bad)  # type: ignore[arg-type]
