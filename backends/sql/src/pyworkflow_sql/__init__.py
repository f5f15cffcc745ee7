"""pyworkflow-sql (under construction)."""
