"""``decode_many`` (orjson with the standard library as the reference) returns exactly what
``json.loads`` returns for each text, and raises exactly its error."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkflow._rows import decode_many

# Every JSON value json can write, with the edges where orjson differs from it: integers
# beyond 64 bits, floats (including nan/inf, which json writes as NaN/Infinity) and any
# string, lone surrogates included.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (1 is not 1.0, nan equals nan, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and repr(a) == repr(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@settings(max_examples=100, deadline=None)
@given(st.lists(_values, max_size=6), st.booleans())
def test_values_are_json_loads_of_each(values: list[Any], ascii_only: bool) -> None:
    texts = [json.dumps(v, ensure_ascii=ascii_only, separators=(",", ":")) for v in values]
    got = decode_many(texts)
    assert _same(got, [json.loads(t) for t in texts])


@pytest.mark.parametrize(
    "text",
    [
        "18446744073709551616",  # orjson alone would return a float for these three
        "-9223372036854775809",
        '{"n":[123456789012345678901234567890]}',
        "1e400",  # orjson refuses these: json decodes them
        "NaN",
        '"\\ud800"',
    ],
)
def test_the_edges_where_orjson_differs(text: str) -> None:
    texts = ['{"a":1}', text]
    assert _same(decode_many(texts), [json.loads(t) for t in texts])


# "\ud800" is a lone surrogate in the text itself (not UTF-8 encodable): json's error too.
@pytest.mark.parametrize("bad", ['{"x":', "[1]]", "\ufeff{}", '"a\x01"', "", "1,2", "\ud800"])
def test_a_bad_text_raises_json_s_own_error(bad: str) -> None:
    with pytest.raises(json.JSONDecodeError) as want:
        json.loads(bad)
    with pytest.raises(json.JSONDecodeError) as got:
        decode_many(['{"x":1}', bad])
    assert (got.value.msg, got.value.pos) == (want.value.msg, want.value.pos)


def test_not_str_is_json_s_verdict() -> None:
    with pytest.raises(TypeError):
        decode_many(['{"x":1}', None])  # type: ignore[list-item]
    assert decode_many([b'{"x":1}']) == [{"x": 1}]  # type: ignore[list-item]


def test_only_the_texts_with_long_digit_runs_go_to_json(monkeypatch: pytest.MonkeyPatch) -> None:
    # A replay of hex ids holds a few 19-digit runs: those texts (and a run across two texts
    # marks both) take the reference, the rest stay on orjson, and every value is json's.
    from pyworkflow import _rows

    texts = ['{"id":"a1"}'] * 50
    texts[7] = '{"n":123456789012345678901234}'  # beyond 64 bits: orjson would give a float
    texts[20] = '{"id":"f' + "9" * 25 + 'e"}'  # a long run inside a string
    texts[30] = "1" * 10
    texts[31] = "2" * 10  # a run across two texts (joined): a false alarm for both
    texts[40] = '{"é":"' + "2" * 19 + '"}'  # non-ASCII before the run: byte offsets
    calls: list[str] = []

    def counting(text: str) -> Any:
        calls.append(text)
        return json.loads(text)

    monkeypatch.setattr(_rows, "loads", counting)
    got = decode_many(texts)
    assert sorted(texts.index(t) if t in texts else -1 for t in calls) == [7, 20, 30, 31, 40]
    assert got[7] == {"n": 123456789012345678901234}
    assert got == [json.loads(t) for t in texts]
