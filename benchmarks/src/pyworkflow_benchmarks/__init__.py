"""pyworkflow-benchmarks."""
