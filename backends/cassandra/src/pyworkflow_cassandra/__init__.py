"""pyworkflow-cassandra: pyworkflow storage on Apache Cassandra (``cassandra://``)."""

from .backend import CassandraBackend

__all__ = ["CassandraBackend"]
