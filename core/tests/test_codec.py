"""pyworkflow.codec: strict JSON, exact timestamps, model records."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pyworkflow import (
    Event,
    Hook,
    HookStatus,
    InvalidInput,
    RunStatus,
    Schedule,
    ScheduleStatus,
    Task,
    WorkflowRun,
)
from pyworkflow.codec import (
    dumps,
    ensure_utc,
    from_micros,
    from_record,
    loads,
    record,
    record_changes,
    to_micros,
)

T = datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=UTC)


def test_dumps_is_compact_utf8_and_keeps_types() -> None:
    value = {"b": [1, 2.0, True, None, "ü✓"], "a": {}, "n": 2**53}
    text = dumps(value)
    assert text == '{"b":[1,2.0,true,null,"ü✓"],"a":{},"n":9007199254740992}'
    assert loads(text) == value
    assert type(loads(text)["b"][1]) is float
    assert dumps((1, [2, (3,)])) == "[1,[2,[3]]]"


@pytest.mark.parametrize(
    "bad",
    [
        math.nan,
        {"x": math.inf},
        [-math.inf],
        {1: "int key"},
        {"a": [{"b": {None: 1}}]},
        [({2: 3},)],
        {1, 2},
        {"b": b"bytes"},
        object(),
        {"d": datetime(2024, 1, 1, tzinfo=UTC)},
    ],
)
def test_dumps_refuses_non_json(bad: Any) -> None:
    with pytest.raises(InvalidInput, match="thing"):
        dumps(bad, "thing")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1900, 2, 28, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        T,
    ],
)
def test_micros_round_trip_exactly(moment: datetime) -> None:
    micros = to_micros(moment)
    assert isinstance(micros, int)
    back = from_micros(micros)
    assert back == moment
    assert back.tzinfo is UTC
    assert back.microsecond == moment.microsecond


def test_micros_values() -> None:
    assert to_micros(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert to_micros(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == -1
    assert to_micros(T) == 1715949045123456
    plus2 = datetime(2024, 5, 17, 14, 30, 45, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert to_micros(plus2) == to_micros(T)
    assert from_micros(-1) == datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_ensure_utc() -> None:
    assert ensure_utc(T, "t") is T
    minus5 = T.astimezone(timezone(timedelta(hours=-5)))
    converted = ensure_utc(minus5, "t")
    assert converted == T
    assert converted.tzinfo is UTC
    with pytest.raises(InvalidInput, match="naive"):
        ensure_utc(T.replace(tzinfo=None), "t")
    with pytest.raises(InvalidInput, match="datetime"):
        ensure_utc("2024-01-01", "t")  # type: ignore[arg-type]


MODELS: list[Any] = [
    Event(run_id="r", sequence=3, id="e", type="t", data={"a": [1]}, timestamp=T),
    WorkflowRun(
        id="r",
        workflow_name="w",
        status=RunStatus.FAILED,
        input=[1],
        result={"x": 1},
        error={"m": "e"},
        context={"c": 1},
        metadata={"k": "v"},
        idempotency_key="k",
        parent_id="p",
        continued_from="a",
        continued_to="b",
        created_at=T,
        updated_at=T,
        started_at=T,
        completed_at=T,
    ),
    Task(id="t", run_id="r", kind="k", due_at=T, payload={"p": 1}, attempts=4, created_at=T),
    Hook(
        token="x" * 20,
        run_id="r",
        name="n",
        status=HookStatus.RECEIVED,
        payload=[1],
        url="https://x",
        schema={"type": "object"},
        metadata={"m": 1},
        created_at=T,
        expires_at=T,
        received_at=T,
    ),
    Schedule(
        id="s",
        workflow_name="w",
        status=ScheduleStatus.PAUSED,
        cron="* * * * *",
        interval=1.5,
        calendar=[{"h": 1}],
        jitter=0.5,
        timezone="Europe/Oslo",
        input=[1],
        next_run_at=T,
        last_run_at=T,
        stats={"n": 1},
        revision=3,
        created_at=T,
        updated_at=T,
    ),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_record_round_trips_every_field(model: Any) -> None:
    data = record(model)
    assert loads(dumps(data)) == data  # JSON-ready
    assert from_record(type(model), loads(dumps(data))) == model


def test_record_encodes_datetimes_and_enums() -> None:
    run = MODELS[1]
    data = record(run)
    assert data["created_at"] == to_micros(T)
    assert data["status"] == "failed"
    assert data["completed_at"] == to_micros(T)
    defaults = record(WorkflowRun(id="r", workflow_name="w"))
    assert defaults["started_at"] is None


def test_record_changes_and_missing_keys() -> None:
    changes = record_changes(
        WorkflowRun,
        {"status": RunStatus.RUNNING, "started_at": T, "completed_at": None, "result": {"a": 1}},
    )
    assert changes == {
        "status": "running",
        "started_at": to_micros(T),
        "completed_at": None,
        "result": {"a": 1},
    }
    partial = from_record(WorkflowRun, {"id": "r", "workflow_name": "w"})
    assert partial.status is RunStatus.PENDING
