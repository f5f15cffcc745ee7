"""The shared conformance suite against the real PostgreSQL server (a fresh schema per test)."""

from pyworkflow_conformance import BackendContract


class TestPostgresConformance(BackendContract):
    backend_name = "postgres"
