"""Conformance area 'migrations' (placeholder: not yet written; its test fails rather than pass)."""

from __future__ import annotations

import pytest

__all__ = ["MigrationsContract"]


class MigrationsContract:
    """Tests of the 'migrations' area."""

    area = "migrations"

    @pytest.mark.xfail(reason="the 'migrations' conformance area is not written yet", strict=True)
    def test_migrations_area_written(self) -> None:
        raise AssertionError("placeholder")
