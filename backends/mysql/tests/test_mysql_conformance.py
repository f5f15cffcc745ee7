"""The shared conformance suite against the real MySQL/MariaDB server (a database per test)."""

from pyworkflow_conformance import BackendContract


class TestMySQLConformance(BackendContract):
    backend_name = "mysql"
