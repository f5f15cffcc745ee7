"""Encode once: ``check_run_encoded`` hands the backend the JSON text of a run's fields, and
``run_record_json`` splices it into the record's text. Both must produce exactly what the
slow path (encode every field again, ``encode_valid(record(run))``) produces, and refuse
exactly what it refuses, with the same error."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyworkflow._encoded import RUN_JSON_FIELDS, EncodedRun, run_record_json
from pyworkflow._validate import check_json, check_run, check_run_encoded
from pyworkflow.codec import dumps, encode_valid, ensure_utc, record
from pyworkflow.errors import InvalidInput, PayloadTooLarge
from pyworkflow.features import Features
from pyworkflow.models import RunStatus, WorkflowRun

FEATURES = Features(max_event_bytes=400)  # small, so some generated values are too large

_text = st.text(max_size=12)  # includes lone surrogates and NUL: refused or stored alike
_leaf = st.none() | st.booleans() | st.integers() | st.floats() | _text
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_text, inner, max_size=4)
        | st.dictionaries(st.integers(), inner, min_size=1, max_size=2)
    ),  # non-str keys: refused
    max_leaves=12,
)
_ids = st.text("abcXYZ-_.09", min_size=1, max_size=8)
_zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
_times = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=_zones
)


@st.composite
def runs(draw: st.DrawFn) -> WorkflowRun:
    optional_id = st.none() | _ids
    return WorkflowRun(
        id=draw(_ids),
        workflow_name=draw(_ids),
        status=draw(
            st.sampled_from(list(RunStatus)) | st.sampled_from([s.value for s in RunStatus])
        ),
        input=draw(_json),
        result=draw(_json),
        error=draw(_json),
        context=draw(_json),
        metadata=draw(st.dictionaries(_text, _json, max_size=3) | st.just({}) | _json),
        idempotency_key=draw(optional_id),
        parent_id=draw(optional_id),
        continued_from=draw(optional_id),
        continued_to=draw(optional_id),
        created_at=draw(_times),
        updated_at=draw(_times),
        started_at=draw(st.none() | _times),
        completed_at=draw(st.none() | _times),
    )


def _slow_path(run: WorkflowRun) -> tuple[WorkflowRun, list[str]]:
    """What create_run did before encode-once: check (and encode) every JSON field in the
    same order, normalize, then encode each field again for storage."""
    for name in ("input", "result", "error", "context"):
        check_json(getattr(run, name), f"run {name}", FEATURES)
    if not isinstance(run.metadata, dict):
        raise InvalidInput("run metadata must be a dict")
    check_json(run.metadata, "run metadata", FEATURES)
    normal = dataclasses.replace(
        run,
        status=RunStatus(run.status),
        created_at=ensure_utc(run.created_at, "created_at"),
        updated_at=ensure_utc(run.updated_at, "updated_at"),
        started_at=None if run.started_at is None else ensure_utc(run.started_at, "s"),
        completed_at=None if run.completed_at is None else ensure_utc(run.completed_at, "c"),
    )
    return normal, [dumps(getattr(normal, name)) for name in RUN_JSON_FIELDS]


def _outcome(fn: Any, run: WorkflowRun) -> Any:
    try:
        return fn(run)
    except (InvalidInput, PayloadTooLarge) as exc:
        return type(exc), str(exc)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_encoded_run_equals_the_slow_path(run: WorkflowRun) -> None:
    fast = _outcome(lambda r: check_run_encoded(r, FEATURES), run)
    slow = _outcome(_slow_path, run)
    if isinstance(slow, tuple) and isinstance(slow[0], type):
        assert fast == slow  # refused: same error type, same message
        return
    assert isinstance(fast, EncodedRun)
    normal, texts = slow
    assert fast.run == normal
    assert list(fast[1:]) == texts
    assert check_run(run, FEATURES) == normal
    # The record a document store keeps, byte for byte.
    assert run_record_json(fast) == encode_valid(record(fast.run))


def test_nothing_to_normalize_keeps_the_run_itself() -> None:
    run = WorkflowRun(id="r1", workflow_name="w", input={"args": [1]})
    new = check_run_encoded(run, Features())
    assert new.run is run
    assert new == (run, '{"args":[1]}', "null", "null", "null", "{}")


def test_a_refused_field_is_named() -> None:
    bad = WorkflowRun(id="r1", workflow_name="w", result={"x": float("nan")})
    with pytest.raises(InvalidInput, match="run result"):
        check_run_encoded(bad, Features())
