"""pyworkflow-dynamodb (under construction)."""
