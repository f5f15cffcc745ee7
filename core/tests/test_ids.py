"""Generated ids and tokens."""

from __future__ import annotations

import secrets

import pytest
from pyworkflow._ids import new_token


def test_a_token_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # A token starting with "-" is read as an option by `pyworkflow hooks resume TOKEN`.
    drawn = iter(["-starts-like-an-option", "Plain-token_1"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes: next(drawn))
    assert new_token() == "Plain-token_1"


def test_tokens_are_long_and_distinct() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(len(t) >= 43 and not t.startswith("-") for t in tokens)
