"""Conformance area 'retention' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["RetentionContract"]


class RetentionContract:
    """Tests of the 'retention' area."""

    area = "retention"

    @pytest.mark.xfail(reason="the 'retention' conformance area is not written yet", strict=True)
    def test_retention_area_written(self) -> None:
        raise AssertionError("placeholder")
