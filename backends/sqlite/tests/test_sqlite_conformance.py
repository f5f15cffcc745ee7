"""The shared conformance suite against SQLite on a temporary file."""

from pyworkflow_conformance import BackendContract


class TestSqliteConformance(BackendContract):
    backend_name = "sqlite"
