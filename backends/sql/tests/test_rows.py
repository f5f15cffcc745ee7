"""``run_row`` (create_run's row, built from the texts validation encoded) is exactly the row
``RUNS.to_row`` builds from the run: same values, same column order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkflow._validate import check_run_encoded
from pyworkflow.features import Features
from pyworkflow.models import RunStatus, WorkflowRun
from pyworkflow_sql.rows import RUNS, run_row

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_ids = st.none() | st.text("abc-_.09", min_size=1, max_size=6)
_times = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=3))]),
)


@settings(max_examples=40)
@given(
    st.builds(
        WorkflowRun,
        id=st.just("run-1"),
        workflow_name=st.just("wf"),
        status=st.sampled_from(list(RunStatus)),
        input=_json,
        result=_json,
        error=_json,
        context=_json,
        metadata=st.dictionaries(_text, _json, max_size=3),
        idempotency_key=_ids,
        parent_id=_ids,
        continued_from=_ids,
        continued_to=_ids,
        created_at=_times,
        updated_at=_times,
        started_at=st.none() | _times,
        completed_at=st.none() | _times,
    )
)
def test_run_row_equals_to_row(run: WorkflowRun) -> None:
    new = check_run_encoded(run, Features())
    assert run_row(new) == RUNS.to_row(new.run)
