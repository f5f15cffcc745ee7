"""Hypothesis strategies for the contract's arguments, valid and invalid mixed.

Each strategy draws mostly values a caller might really pass, plus the edges of every valid
range and values just outside them: unicode including lone surrogates and NUL, ids at and
over 255 UTF-8 bytes, JSON nested to and past the depth limit, huge and negative integers,
non-finite floats, datetimes from year 1 to 9999 in several offsets (and naive), durations of
every type, forged cursors. Sizes stay small so that a database backend runs an example in
milliseconds; a few large values come from fixed samples.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from pyworkflow.codec import MAX_JSON_DEPTH

__all__ = [
    "cursors",
    "datetimes",
    "durations",
    "ids",
    "json_objects",
    "json_values",
    "limits",
    "nest",
    "sequence_numbers",
    "texts",
]

_SURROGATES = st.characters(categories=["Cs"])
_ANY_CHAR = st.one_of(st.characters(), _SURROGATES, st.sampled_from("\x00\x7f\n\"'\\[]/%_é𝄞"))

#: Text as a caller may pass it: plain, any code point (surrogates included), markup-like.
texts: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=12),
    st.text(_ANY_CHAR, max_size=12),
    st.sampled_from(["", " ", "[/b]", "[bold]x[/bold]", "a\x00b", "\ud800", "\udfff x", "𝄞"]),
)

#: Ids: mostly short and valid, plus every kind of invalid one.
ids: st.SearchStrategy[Any] = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), min_size=1, max_size=10),
    texts,
    st.sampled_from(
        ["a" * 255, "a" * 256, "é" * 127 + "a", "é" * 128, "𝄞" * 63 + "abc", "𝄞" * 64, "x y"]
    ),
    st.sampled_from([None, 0, 1.5, b"id", ("t",)]),
)


def nest(depth: int, leaf: Any = 0) -> Any:
    """``depth`` nested containers (lists and objects alternating) around ``leaf``."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


_ints: st.SearchStrategy[Any] = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), 2**64, 10**30, -(10**30)]),
)
_floats: st.SearchStrategy[Any] = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308, math.nan, math.inf, -math.inf]),
)
_leaves: st.SearchStrategy[Any] = st.one_of(st.none(), st.booleans(), _ints, _floats, texts)


def _tree(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4))


def _rarely(rare: st.SearchStrategy[Any], usual: st.SearchStrategy[Any]) -> Any:
    """``rare`` about one draw in 20, else ``usual`` (large values make every later dump of
    the store slower, so they must stay rare)."""
    return st.integers(0, 19).flatmap(lambda n: rare if n == 0 else usual)


_large: st.SearchStrategy[Any] = st.sampled_from(
    [nest(100_000), {"big": "x" * 300_000}, {"big": "x" * 300_000 + "\ud800"}]
)

#: JSON-ish values: mostly JSON, sometimes not (NaN, infinity, surrogates, too deep, non-str
#: keys, sets, bytes), rarely large.
json_values: st.SearchStrategy[Any] = _rarely(
    _large,
    st.one_of(
        st.recursive(_leaves, _tree, max_leaves=12),
        st.integers(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH + 2).map(nest),
        st.sampled_from([{1: "int key"}, {"set": {1}}, {"bytes": b"x"}, {"k\x00": "v\x00"}]),
    ),
)
#: JSON-ish values that are dicts (event data, payloads, metadata), sometimes not dicts.
json_objects: st.SearchStrategy[Any] = st.one_of(
    st.dictionaries(texts, json_values, max_size=4),
    json_values,
)

_OFFSETS = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))]

#: Datetimes over the whole range, in UTC, extreme offsets (which can leave the range once
#: converted to UTC), or naive.
datetimes: st.SearchStrategy[Any] = st.one_of(
    st.datetimes(timezones=st.sampled_from(_OFFSETS)),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(
        [
            datetime.min.replace(tzinfo=UTC),
            datetime.max.replace(tzinfo=UTC),
            datetime.min.replace(tzinfo=_OFFSETS[1]),
            datetime.max.replace(tzinfo=_OFFSETS[2]),
        ]
    ),
    st.datetimes(),  # naive
)

#: Lease durations: seconds of any number type, timedeltas, and things that are neither.
durations: st.SearchStrategy[Any] = st.one_of(
    st.floats(min_value=1e-3, max_value=1e6),
    st.floats(),
    st.integers(-(2**70), 2**70),
    st.timedeltas(),
    st.sampled_from([1e-7, 1e20, math.nan, math.inf, -math.inf, "abc", "10", True, None]),
)

#: Sequence numbers (versions, ``after``): around 0, around 2**63, huge, negative, not ints.
sequence_numbers: st.SearchStrategy[Any] = st.one_of(
    st.integers(-2, 6),
    st.integers(2**63 - 3, 2**63 + 2),
    st.integers(-(2**80), 2**80),
    st.sampled_from([True, False, 1.0, "1", None]),
)

#: Page sizes: valid, at the bounds, beyond them, not ints.
limits: st.SearchStrategy[Any] = st.one_of(
    st.integers(-2, 1002),
    st.sampled_from([2**63 - 1, 2**63, 2**70, -(2**70), True, 2.0, "5"]),
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_cursor_times: st.SearchStrategy[Any] = st.one_of(
    st.integers(-(2**64), 2**64),
    st.sampled_from([10**23, 10**26, -(10**23), 2**63, 1.5, True, None, "0"]),
)

#: Cursors: forged ones holding any time and id, garbage, deep nesting, not strings.
cursors: st.SearchStrategy[Any] = st.one_of(
    st.builds(
        lambda t, i: _b64(json.dumps([t, i], ensure_ascii=False).encode("utf-8", "replace")),
        _cursor_times,
        st.text(max_size=8),
    ),
    st.builds(lambda i: _b64(json.dumps([i]).encode()), st.text(max_size=8)),
    st.text(max_size=20),
    st.sampled_from([_b64(b"[" * 5000), "A" * 5000, "", b"bytes", 5]),
)
