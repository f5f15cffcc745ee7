"""The shared conformance suite on a real Cassandra (skipped, with the reason, without one).

Point it at a server with ``PYWORKFLOW_TEST_CASSANDRA_URL=cassandra://127.0.0.1:19042/pwt``
(see compose/README.md) or let testcontainers start ``cassandra:4.1`` where Docker answers.
"""

from pyworkflow_conformance import BackendContract


class TestCassandraConformance(BackendContract):
    backend_name = "cassandra"
