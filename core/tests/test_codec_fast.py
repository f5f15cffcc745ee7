"""The orjson fast path of ``codec.dumps``/``encode_valid`` against the reference encoder.

The reference is the standard library's ``json`` (compact, ``ensure_ascii=False``, no NaN)
after the ``str``-key and depth walk. The fast path must give the same text for every value
and the same :class:`InvalidInput` (message included) for every refused one.
"""

from __future__ import annotations

import enum
import math
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkflow import InvalidInput, codec
from pyworkflow.codec import MAX_JSON_DEPTH, dumps, encode_valid


class _Str(str):
    pass


class _Int(int):
    pass


class _Dict(dict):  # type: ignore[type-arg]
    pass


class _List(list):  # type: ignore[type-arg]
    pass


class _Color(enum.IntEnum):
    RED = 1


class _Name(enum.StrEnum):
    A = "a"


def _reference(value: Any, what: str, max_depth: int) -> str:
    """``dumps`` as it was before the fast path: the contract's canonical encoding."""
    codec._check_keys(value, what, max_depth, 0)
    try:
        return codec._encoder.encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"{what} is not JSON-serializable: {exc}") from None


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    try:
        return "ok", fn(*args, **kwargs)
    except InvalidInput as exc:
        return "InvalidInput", str(exc)


_texts = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF),  # control chars, non-BMP,
    max_size=12,  # and lone surrogates (categories include Cs)
) | st.sampled_from(["", '"', "\\", "\x00\x1f\x7f", "\u2028\u2029", "\ud800", "😀", "é"])
_ints = (
    st.integers()
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40])
    | st.integers(min_value=-(2**70), max_value=2**70)
)
_floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1e16, 1e-7, 1e22, 0.1, -0.0, 1.0, 123456789012345.6, 5e-324, 1.7976931348623157e308]
)
_leaves = (
    st.none()
    | st.booleans()
    | _ints
    | _floats
    | _texts
    | _texts.map(_Str)
    | _ints.map(_Int)
    | st.sampled_from([_Color.RED, _Name.A, b"x", object()])
)
_keys = _texts | _texts.map(_Str) | st.sampled_from([1, None, 2.5, True])


def _containers(children: Any) -> Any:
    return (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.lists(children, max_size=3).map(_List)
        | st.dictionaries(_texts, children, max_size=4)
        | st.dictionaries(_keys, children, max_size=3)
        | st.dictionaries(_texts, children, max_size=3).map(_Dict)
        | st.dictionaries(_texts, children, max_size=3).map(OrderedDict)
    )


_values = st.recursive(_leaves, _containers, max_leaves=25)
# Plain JSON only (the common case): the fast path must be taken and agree.
_json = st.recursive(
    st.none() | st.booleans() | _ints | _texts,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(_texts, c, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_dumps_matches_the_reference_on_any_value(value: Any) -> None:
    assert _outcome(dumps, value, "v") == _outcome(_reference, value, "v", codec.MAX_JSON_DEPTH + 8)
    assert _outcome(dumps, value, "v", max_depth=3) == _outcome(_reference, value, "v", 3)


@settings(max_examples=100, deadline=None)
@given(_json)
def test_encode_valid_matches_the_reference_on_json(value: Any) -> None:
    assert _outcome(encode_valid, value) == _outcome(codec._encoder.encode, value)


@pytest.mark.parametrize("depth", [1, 250, 253, 254, 255, 256, 257, 263, 264, 265])
@pytest.mark.parametrize("max_depth", [MAX_JSON_DEPTH, MAX_JSON_DEPTH + 8])
def test_depth_limits_match_the_reference(depth: int, max_depth: int) -> None:
    value: Any = {"leaf": 1}
    for i in range(depth - 1):
        value = [value] if i % 2 else {"k": value}
    got = _outcome(dumps, value, "v", max_depth=max_depth)
    assert got == _outcome(_reference, value, "v", max_depth)


def test_floats_take_the_reference_path() -> None:
    # orjson would write 1e16, 1e-7 and null; the canonical text is repr's, or an error.
    assert dumps({"a": [1e16, 1e-7, 0.5]}) == '{"a":[1e+16,1e-07,0.5]}'
    with pytest.raises(InvalidInput, match="not JSON-serializable"):
        dumps({"a": math.nan})


def test_the_fast_path_covers_plain_json() -> None:
    # The property tests above compare outputs; this one shows the fast path is the one taken
    # for plain values (so they do test it) and not for floats or subclasses.
    assert codec._plain({"a": [1, "x", None, True, (2,)], "b": {}}, 10, 0)
    assert not codec._plain({"a": 1.0}, 10, 0)
    assert not codec._plain({"a": _Str("x")}, 10, 0)
    assert not codec._plain({_Str("a"): 1}, 10, 0)
    assert not codec._plain([[[]]], 2, 0)
