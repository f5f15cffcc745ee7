"""pyworkflow-mysql (under construction)."""
