"""The shared fast row-to-Event builder builds exactly what ``Event(...)`` builds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyworkflow._rows import decode_many, event, events_from_rows
from pyworkflow.codec import to_micros
from pyworkflow.engine.events import EventType
from pyworkflow.models import Event

TS = datetime(2026, 11, 28, 8, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("etype", ["step.completed", "my.own.type"])
def test_event_equals_the_dataclass_constructor(etype: str) -> None:
    built = event("run-1", 7, "id-7", etype, {"a": [1, {"b": None}]}, TS)
    plain = Event(
        run_id="run-1",
        sequence=7,
        id="id-7",
        type=etype,
        data={"a": [1, {"b": None}]},
        timestamp=TS,
    )
    assert built == plain
    assert type(built.type) is type(plain.type)
    assert repr(built) == repr(plain)
    with pytest.raises(AttributeError):
        built.sequence = 8  # type: ignore[misc]


def test_engine_types_become_their_event_type_member() -> None:
    assert event("r", 1, "i", "step.completed", {}, TS).type is EventType.STEP_COMPLETED


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ['{"x":1}'],
        ['{"x":1}', "[]", '"s"', "null", '{"k":{"n":[1.5,-2,true]}}', '{"é":"\\u00e9"}'],
    ],
)
def test_decode_many_is_loads_of_each(texts: list[str]) -> None:
    assert decode_many(texts) == [json.loads(t) for t in texts]


def test_decode_many_refuses_a_bad_text() -> None:
    with pytest.raises(ValueError):
        decode_many(['{"x":1}', '{"x":'])


def test_events_from_rows_keeps_order_and_fresh_data() -> None:
    rows = [(1, "a", "t", '{"n":1}', to_micros(TS)), (2, "b", "t", '{"n":2}', to_micros(TS))]
    got = events_from_rows("r", rows)
    assert [(e.sequence, e.id, e.data) for e in got] == [(1, "a", {"n": 1}), (2, "b", {"n": 2})]
    assert [e.timestamp for e in got] == [TS, TS]
    # memory keeps datetimes, not microseconds: they are used as they are
    (kept,) = events_from_rows("r", [(3, "c", "t", "{}", TS)])
    assert kept.timestamp is TS
    assert got[0].data is not events_from_rows("r", rows)[0].data


def test_events_from_rows_equal_events_built_normally() -> None:
    t1 = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    t2 = datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=UTC)
    rows = [
        (1, "a", "x", '{"k":[1]}', to_micros(t1)),
        (2, "b", "y", "{}", to_micros(t2)),
        (3, "c", "y", '{"z":null}', to_micros(t2)),
    ]
    built = events_from_rows("run", rows)
    assert built == [
        Event(run_id="run", sequence=1, id="a", type="x", data={"k": [1]}, timestamp=t1),
        Event(run_id="run", sequence=2, id="b", type="y", data={}, timestamp=t2),
        Event(run_id="run", sequence=3, id="c", type="y", data={"z": None}, timestamp=t2),
    ]
    assert built[0].timestamp.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        '{"k":[1,2.5,-0.0,1e400,12345678901234567890123],"s":"\\u00e9\\ud83d\\ude00\\n"}',
        ' {"padded": true} ',  # not what we write, but must decode as json.loads does
        '{"dup":1,"dup":2}',
        b'{"bytes":1}',
    ],
)
def test_events_from_rows_decode_data_exactly_as_json_loads(text: str | bytes) -> None:
    (built,) = events_from_rows("run", [(1, "a", "x", text, 0)])
    assert built.data == json.loads(text)
    assert type(built.data) is dict


@pytest.mark.parametrize("text", ['{"a":1} trailing', "nope", '{"a":', ""])
def test_events_from_rows_refuse_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        events_from_rows("run", [(1, "a", "x", text, 0)])
