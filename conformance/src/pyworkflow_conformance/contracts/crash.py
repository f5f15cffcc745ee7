"""Conformance area 'crash' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["CrashContract"]


class CrashContract:
    """Tests of the 'crash' area."""

    area = "crash"

    @pytest.mark.xfail(reason="the 'crash' conformance area is not written yet", strict=True)
    def test_crash_area_written(self) -> None:
        raise AssertionError("placeholder")
