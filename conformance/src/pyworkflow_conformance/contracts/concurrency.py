"""Conformance area 'concurrency' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["ConcurrencyContract"]


class ConcurrencyContract:
    """Tests of the 'concurrency' area."""

    area = "concurrency"

    @pytest.mark.xfail(reason="the 'concurrency' conformance area is not written yet", strict=True)
    def test_concurrency_area_written(self) -> None:
        raise AssertionError("placeholder")
