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


def _as(kind: str, texts: list[str]) -> list[Any]:
    """The texts as ``str``, or as UTF-8 ``bytes`` or ``memoryview`` slices of one buffer (what
    the files backend passes); a text that is not UTF-8 encodable stays ``str``."""
    if kind == "str":
        return texts
    try:
        data = [t.encode() for t in texts]
    except UnicodeEncodeError:
        return texts
    if kind == "bytes":
        return data
    buf = memoryview(b"".join(data))
    out, at = [], 0
    for d in data:
        out.append(buf[at : at + len(d)])
        at += len(d)
    return out


_KINDS = ["str", "bytes", "memoryview"]


@settings(max_examples=100, deadline=None)
@given(st.lists(_values, max_size=6), st.booleans(), st.sampled_from(_KINDS))
def test_values_are_json_loads_of_each(values: list[Any], ascii_only: bool, kind: str) -> None:
    texts = [json.dumps(v, ensure_ascii=ascii_only, separators=(",", ":")) for v in values]
    got = decode_many(_as(kind, texts))
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
@pytest.mark.parametrize("kind", _KINDS)
def test_the_edges_where_orjson_differs(text: str, kind: str) -> None:
    texts = ['{"a":1}', text]
    assert _same(decode_many(_as(kind, texts)), [json.loads(t) for t in texts])


# "\ud800" is a lone surrogate in the text itself (not UTF-8 encodable): json's error too.
@pytest.mark.parametrize("bad", ['{"x":', "[1]]", "\ufeff{}", '"a\x01"', "", "1,2", "\ud800"])
@pytest.mark.parametrize("kind", _KINDS)
def test_a_bad_text_raises_json_s_own_error(bad: str, kind: str) -> None:
    # As bytes, json may read a text it refuses as str (a UTF-8 BOM): the verdict, value or
    # error, is always json.loads's of what was given.
    texts = _as(kind, ['{"x":1}', bad])
    try:
        want: Any = [json.loads(bytes(t) if type(t) is memoryview else t) for t in texts]
    except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes
        want = exc
    if not isinstance(want, Exception):
        assert _same(decode_many(texts), want)
        return
    with pytest.raises(ValueError) as got:
        decode_many(texts)
    assert type(got.value) is type(want)
    assert str(got.value) == str(want)


def test_not_str_is_json_s_verdict() -> None:
    with pytest.raises(TypeError):
        decode_many(['{"x":1}', None])  # type: ignore[list-item]
    # Mixed str and bytes: json reads each, so does decode_many.
    assert decode_many([b'{"x":1}', '{"y":2}']) == [{"x": 1}, {"y": 2}]  # type: ignore[list-item]
    assert decode_many([b'{"x":1}']) == [{"x": 1}]
    # UTF-16 bytes: orjson refuses them, json detects the encoding; the same value.
    assert decode_many(['{"x":1}'.encode("utf-16")]) == [{"x": 1}]


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
    for kind in _KINDS:
        calls.clear()
        given = _as(kind, texts)
        got = decode_many(given)
        decoded = [t if type(t) is str else bytes(t).decode() for t in calls]
        assert sorted(texts.index(t) for t in decoded) == [7, 20, 30, 31, 40], kind
        assert got[7] == {"n": 123456789012345678901234}
        assert got == [json.loads(t) for t in texts]
