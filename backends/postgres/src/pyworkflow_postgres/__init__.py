"""pyworkflow-postgres (under construction)."""
