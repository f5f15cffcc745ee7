"""The in-memory reference backend passes the whole conformance suite."""

from __future__ import annotations

from pyworkflow_conformance import BackendContract


class TestMemoryConformance(BackendContract):
    backend_name = "memory"
