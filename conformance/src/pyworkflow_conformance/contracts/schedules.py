"""Conformance area 'schedules' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["SchedulesContract"]


class SchedulesContract:
    """Tests of the 'schedules' area."""

    area = "schedules"

    @pytest.mark.xfail(reason="the 'schedules' conformance area is not written yet", strict=True)
    def test_schedules_area_written(self) -> None:
        raise AssertionError("placeholder")
