"""MariaDB's aggregated replay (``replay.py``) on the real server: an unfiltered read fetched
as one ``GROUP_CONCAT`` row per chunk must return exactly what the row-by-row read returns,
for any ids, types and data, any ``after`` and ``limit``, and fall back to rows whenever the
aggregate cannot be trusted."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyworkflow import NewEvent, StorageBackend
from pyworkflow._ids import new_id
from pyworkflow.errors import InvalidInput
from pyworkflow_mysql import MySQLBackend
from pyworkflow_mysql.replay import aggregate_sql, parse_chunk

_STATEMENT = "SET STATEMENT group_concat_max_len"

# Text that JSON_QUOTE must escape and orjson must read back exactly: quotes, backslashes,
# a slash, non-ASCII, astral characters, and (in data only) control characters.
_id_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=20
) | st.sampled_from(['"', "\\", "a/b", "é", "\U0001f600", "\\u0041", "'; --", "x" * 200])
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # beyond 64 bits: json.loads's ints
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
_events = st.lists(
    st.tuples(_id_text, _id_text, st.dictionaries(st.text(max_size=5), _json, max_size=3)),
    min_size=0,
    max_size=12,
    unique_by=lambda e: e[0],
)


def _spy(b: MySQLBackend) -> list[str]:
    """The statements ``b`` sends through ``_query`` from now on."""
    sent: list[str] = []
    original = b._query

    async def query(sql: str, args: Sequence[Any]) -> Any:
        sent.append(sql)
        return await original(sql, args)

    b._query = query  # type: ignore[method-assign]
    return sent


def _as_tuples(events: list[Any]) -> list[tuple[Any, ...]]:
    return [(e.run_id, e.sequence, e.id, e.type, e.data, e.timestamp) for e in events]


class TestAggregatedReplay:
    backend_name = "mysql"

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(events=_events, after=st.integers(0, 14), limit=st.none() | st.integers(1, 14))
    def test_any_read_equals_the_row_read(
        self,
        backend_url: str,
        events: list[tuple[str, str, dict[str, Any]]],
        after: int,
        limit: int | None,
    ) -> None:
        async def check() -> None:
            sep = "&" if "?" in backend_url else "?"
            agg = StorageBackend.from_url(backend_url)
            rows = StorageBackend.from_url(backend_url + sep + "aggregate_reads=false")
            async with agg, rows:
                assert isinstance(agg, MySQLBackend)
                assert isinstance(rows, MySQLBackend)
                assert agg._aggregate_sql is not None
                assert rows._aggregate_sql is None
                agg._chunk = 3  # several chunks, and boundaries everywhere
                run = new_id()
                batch = [NewEvent(id=i, type=t, data=d) for i, t, d in events]
                if batch:
                    await agg.append(run, batch, expected_version=0)
                sent = _spy(agg)
                got = await agg.read(run, after=after, limit=limit)
                want = await rows.read(run, after=after, limit=limit)
                assert _as_tuples(got) == _as_tuples(want)
                assert [type(e.data) for e in got] == [type(e.data) for e in want]
                assert sent
                assert all(s.startswith(_STATEMENT) for s in sent)

        asyncio.run(check())

    async def test_a_read_longer_than_a_chunk_and_the_engine_pages(self, backend_url: str) -> None:
        async with StorageBackend.from_url(backend_url) as b:
            assert isinstance(b, MySQLBackend)
            b._chunk = 7
            run = new_id()
            await b.append(
                run, [NewEvent(type="t", data={"i": i}) for i in range(30)], expected_version=0
            )
            sent = _spy(b)
            events = await b.read(run)
            assert [e.sequence for e in events] == list(range(1, 31))
            assert [e.data["i"] for e in events] == list(range(30))
            # 30 events in chunks of 7: five chunks, the last one short (the run ends there).
            assert len(sent) == 5
            assert [e.sequence for e in await b.read(run, after=7, limit=7)] == list(range(8, 15))
            assert [e.sequence for e in await b.read(run, after=28)] == [29, 30]
            assert await b.read(run, after=30) == []
            assert await b.read("no such run") == []
            # A type filter reads rows.
            sent.clear()
            assert len(await b.read(run, types=["t"])) == 30
            assert not any(s.startswith(_STATEMENT) for s in sent)

    async def test_a_cut_aggregate_falls_back_to_rows(self, backend_url: str) -> None:
        # group_concat_max_len far below a chunk: the server cuts the text, the check sees it
        # and the rest of the read is row by row, still the whole log in order.
        async with StorageBackend.from_url(backend_url) as b:
            assert isinstance(b, MySQLBackend)
            run = new_id()
            await b.append(
                run,
                [NewEvent(type="t", data={"pad": "x" * 100}) for _ in range(50)],
                expected_version=0,
            )
            b._chunk = 10
            assert b._aggregate_sql is not None
            b._aggregate_sql = aggregate_sql(1500)
            sent = _spy(b)
            with pytest.warns(Warning, match="cut by GROUP_CONCAT"):  # the server says so
                events = await b.read(run)
            assert [e.sequence for e in events] == list(range(1, 51))
            assert sent[0].startswith(_STATEMENT)
            assert sent[-1].startswith("SELECT seq, id, type, data, ts")

    async def test_an_undecodable_data_text_fails_as_on_the_row_path(
        self, backend_url: str
    ) -> None:
        async with StorageBackend.from_url(backend_url, retries=0) as b:
            assert isinstance(b, MySQLBackend)
            run = new_id()
            await b.append(run, [NewEvent(type="t", data={"a": 1})], expected_version=0)
            await b._execute("UPDATE pyworkflow_events SET data = %s WHERE run_id = %s", ("{", run))
            with pytest.raises(Exception) as agg_err:
                await b.read(run)
            b._aggregate_sql = None
            with pytest.raises(Exception) as row_err:
                await b.read(run)
            assert type(agg_err.value) is type(row_err.value)
            assert str(agg_err.value) == str(row_err.value)

    def test_the_option_is_parsed(self) -> None:
        assert MySQLBackend("mysql://u@h/db?aggregate_reads=false").aggregate_reads is False
        assert MySQLBackend("mysql://u@h/db").aggregate_reads is True
        with pytest.raises(InvalidInput):
            MySQLBackend("mysql://u@h/db?aggregate_reads=maybe")


@pytest.mark.parametrize(
    ("count", "text", "first"),
    [
        (2, '[1,"a","t","{}",5]', 1),  # one row where the count says two (cut between rows)
        (1, '[1,"a","t","{}",5', 1),  # cut inside a row
        (1, '[2,"a","t","{}",5]', 1),  # not the chunk's first sequence
        (2, '[1,"a","t","{}",5],[3,"b","t","{}",5]', 1),  # a gap
        (1, '[1,"a","t","{}"]', 1),  # four fields
        (1, '{"a":1}', 1),  # not an array
        (1, None, 1),  # NULL: too big for the packet
    ],
)
def test_an_untrustworthy_chunk_is_refused(count: int, text: str | None, first: int) -> None:
    assert parse_chunk(count, text, first) is None


def test_a_good_chunk_is_its_rows() -> None:
    assert parse_chunk(0, None, 1) == []
    text = '[4,"a\\"b","t","{\\"x\\":1}",5],[5,"c","t","[]",6]'
    assert parse_chunk(2, text, 4) == [[4, 'a"b', "t", '{"x":1}', 5], [5, "c", "t", "[]", 6]]
    assert parse_chunk(2, text.encode(), 4) == [
        [4, 'a"b', "t", '{"x":1}', 5],
        [5, "c", "t", "[]", 6],
    ]
