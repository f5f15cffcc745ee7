"""pyworkflow-conformance."""
