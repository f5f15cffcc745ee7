"""The append and create_run fast paths accept and refuse exactly what the slow paths do."""

from __future__ import annotations

from collections import UserDict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pyworkflow import _ids
from pyworkflow._ids import MAX_ID_BYTES, check_id
from pyworkflow._validate import EncodedEvent, check_events, check_run, check_version
from pyworkflow.codec import dumps
from pyworkflow.errors import InvalidInput
from pyworkflow.features import Features
from pyworkflow.models import NewEvent, RunStatus, WorkflowRun


class Text(str):
    """A str subclass: valid as an id, never remembered by the id cache."""


@pytest.mark.parametrize(
    "bad", ["", "a\x00b", "tab\there", "x" * (MAX_ID_BYTES + 1), "é" * 128, "\ud800", 7, None]
)
def test_check_id_refuses_bad_ids_before_and_after_good_ones(bad: Any) -> None:
    for _ in range(2):  # the second round runs with the cache warm
        for good in ("run-1", "step.completed", "é" * 127, Text("sub"), "x" * MAX_ID_BYTES):
            assert check_id(good, "id") == good
        with pytest.raises(InvalidInput):
            check_id(bad, "id")


def test_the_id_cache_is_bounded_and_holds_exact_str_only() -> None:
    for i in range(_ids._VALID_MAX + 10):
        check_id(f"id-{i}", "id")
    assert len(_ids._VALID) <= _ids._VALID_MAX
    check_id(Text("subclass-value"), "id")
    assert "subclass-value" not in _ids._VALID
    with pytest.raises(InvalidInput):
        check_id(["run-1"], "id")  # unhashable: refused, not a TypeError from the cache


def test_check_version_fast_path_keeps_the_range_and_refuses_bool() -> None:
    assert check_version(0) == 0
    assert check_version(2**63 - 1) == 2**63 - 1
    for bad in (-1, 2**63, True, 1.0, "1"):
        with pytest.raises(InvalidInput):
            check_version(bad)


@pytest.mark.parametrize(
    "bad",
    [
        {"a": [{"b": {1: "x"}}]},
        {"a": UserDict({1: 2})},  # not a dict: the encoder refuses it
        {"a": [[{"k": float("nan")}]]},
        ({"ok": 1}, {2: "key"}),
    ],
)
def test_dumps_still_refuses_nested_non_json(bad: Any) -> None:
    with pytest.raises(InvalidInput):
        dumps(bad)


def test_dumps_checks_keys_inside_dict_and_list_subclasses() -> None:
    class D(dict):  # type: ignore[type-arg]
        pass

    class L(list):  # type: ignore[type-arg]
        pass

    with pytest.raises(InvalidInput, match="non-str key"):
        dumps({"a": L([D({1: "x"})])})


def test_check_run_returns_the_run_itself_only_when_nothing_changes() -> None:
    features = Features()
    run = WorkflowRun(id="r1", workflow_name="w", input={"args": [1]})
    assert check_run(run, features) is run
    plus_one = timezone(timedelta(hours=1))
    local = WorkflowRun(
        id="r2",
        workflow_name="w",
        status="running",  # type: ignore[arg-type]
        created_at=datetime(2026, 1, 1, 1, tzinfo=plus_one),
    )
    checked = check_run(local, features)
    assert checked is not local
    assert checked.status is RunStatus.RUNNING
    assert checked.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert checked.created_at.tzinfo is UTC
    with pytest.raises(InvalidInput):
        check_run(WorkflowRun(id="r3", workflow_name="w", metadata={1: 2}), features)  # type: ignore[dict-item]
    with pytest.raises(InvalidInput):
        check_run(WorkflowRun(id="r4", workflow_name="w", error={"x": float("inf")}), features)


def test_check_events_builds_the_same_encoded_events_as_the_constructor() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    events = [NewEvent(type="t", data={"a": 1}, id="e1"), NewEvent(type="u", id="e2")]
    got = check_events(events, Features(), now)
    assert got == [EncodedEvent("e1", "t", '{"a":1}', now), EncodedEvent("e2", "u", "{}", now)]
    assert all(type(e) is EncodedEvent for e in got)
    with pytest.raises(AttributeError):
        got[0].data = "{}"  # type: ignore[misc]
