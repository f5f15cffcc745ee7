"""Conformance area 'roundtrip' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["RoundtripContract"]


class RoundtripContract:
    """Tests of the 'roundtrip' area."""

    area = "roundtrip"

    @pytest.mark.xfail(reason="the 'roundtrip' conformance area is not written yet", strict=True)
    def test_roundtrip_area_written(self) -> None:
        raise AssertionError("placeholder")
