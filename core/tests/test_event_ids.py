"""check_id's ASCII fast path and the event ids it does not cache."""

from __future__ import annotations

import pytest
from pyworkflow import _ids
from pyworkflow._ids import check_id
from pyworkflow._validate import check_events
from pyworkflow.errors import InvalidInput
from pyworkflow.features import Features
from pyworkflow.models import NewEvent, utcnow


@pytest.mark.parametrize("code", range(128))
def test_every_ascii_character_is_judged_as_the_control_character_rule_says(code: int) -> None:
    # isprintable() replaced the regex on ASCII ids: both must refuse exactly 0x00-0x1f, 0x7f.
    value = f"id{chr(code)}x"
    if _ids._FORBIDDEN.search(value):
        with pytest.raises(InvalidInput, match="control characters"):
            check_id(value, "id", remember=False)
    else:
        assert check_id(value, "id", remember=False) == value


def test_event_ids_are_not_cached_but_run_ids_and_types_are() -> None:
    _ids._VALID.clear()
    batch = check_events([NewEvent(id="evt-fresh-1", type="kind.cached")], Features(), utcnow())
    assert batch[0].id == "evt-fresh-1"
    assert "evt-fresh-1" not in _ids._VALID
    assert "kind.cached" in _ids._VALID
    with pytest.raises(InvalidInput, match="control characters"):
        check_events([NewEvent(id="evt\x7f", type="kind.cached")], Features(), utcnow())
