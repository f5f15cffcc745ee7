"""pyworkflow-files (under construction)."""
