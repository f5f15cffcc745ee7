"""pytest plugin (under construction)."""
