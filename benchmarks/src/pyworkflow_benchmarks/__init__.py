"""pyworkflow-benchmarks: event-append throughput and replay against the raw driver.

Run ``pyworkflow bench`` (or ``python -m pyworkflow_benchmarks``); see docs/benchmarks.md.
"""

from .cli import main

__all__ = ["main"]
