"""Conformance area 'runs' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["RunsContract"]


class RunsContract:
    """Tests of the 'runs' area."""

    area = "runs"

    @pytest.mark.xfail(reason="the 'runs' conformance area is not written yet", strict=True)
    def test_runs_area_written(self) -> None:
        raise AssertionError("placeholder")
