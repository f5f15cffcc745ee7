"""SQLite's own append statement (cached per batch size; one event without a VALUES subquery)
must accept, refuse and store exactly what the shared guarded statement does."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyworkflow import NewEvent
from pyworkflow.errors import ConflictError
from pyworkflow_sql.backend import SqlBackend
from pyworkflow_sqlite import SqliteBackend

# One append: (batch of event ids, offset of expected_version from the true version).
# Ids come from a small alphabet so repeats (an id conflict) happen; offsets off 0 conflict.
_op = st.tuples(
    st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=3, unique=True),
    st.sampled_from([0, 0, 0, -1, 1, -5]),
)


async def _outcomes(b: SqliteBackend, ops: list[tuple[list[str], int]]) -> list[Any]:
    out: list[Any] = []
    version = 0
    for ids, offset in ops:
        expected = max(0, version + offset)
        try:
            batch = [NewEvent(type="t", id=i, data={"i": i}) for i in ids]
            version = await b.append("r", batch, expected_version=expected)
            out.append(version)
        except ConflictError:
            out.append("conflict")
    out.append([(e.sequence, e.id, e.type, e.data) for e in await b.read("r")])
    return out


async def _both(ops: list[tuple[list[str], int]]) -> tuple[list[Any], list[Any]]:
    ours = SqliteBackend("sqlite:///:memory:", retries=0)
    shared = SqliteBackend("sqlite:///:memory:", retries=0)
    shared._append_statement = SqlBackend._append_statement.__get__(shared)  # type: ignore[method-assign]
    async with ours, shared:
        return await _outcomes(ours, ops), await _outcomes(shared, ops)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_op, min_size=1, max_size=12))
def test_sqlite_append_statement_matches_the_shared_one(ops: list[tuple[list[str], int]]) -> None:
    ours, shared = asyncio.run(_both(ops))
    assert ours == shared


def test_statement_text_is_cached_per_batch_size() -> None:
    b = SqliteBackend("sqlite:///:memory:")
    one, _ = b._append_statement("r", [_encoded("a")], 0)
    again, _ = b._append_statement("r", [_encoded("b")], 5)
    two, args = b._append_statement("r", [_encoded("a"), _encoded("b")], 5)
    assert one is again
    assert "VALUES" not in one
    assert "VALUES" in two
    assert list(args[:2]) == ["r", 6]
    assert list(args[6:8]) == ["r", 7]
    assert list(args[-3:]) == [5, "r", 5]


def _encoded(event_id: str) -> Any:
    from datetime import UTC, datetime

    from pyworkflow._validate import EncodedEvent

    return EncodedEvent(id=event_id, type="t", data="{}", timestamp=datetime.now(UTC))
