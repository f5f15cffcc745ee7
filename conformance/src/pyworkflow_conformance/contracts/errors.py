"""Conformance area 'errors' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["ErrorsContract"]


class ErrorsContract:
    """Tests of the 'errors' area."""

    area = "errors"

    @pytest.mark.xfail(reason="the 'errors' conformance area is not written yet", strict=True)
    def test_errors_area_written(self) -> None:
        raise AssertionError("placeholder")
