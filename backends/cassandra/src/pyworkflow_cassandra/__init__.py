"""pyworkflow-cassandra (under construction)."""
