"""pyworkflow-sqlite (under construction)."""
