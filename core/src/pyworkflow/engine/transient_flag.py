"""Whether the current task runs a transient (``durable=False``) workflow.

Its own module, with no imports of the engine, so that the ``@step`` wrapper
(:mod:`~pyworkflow.engine.registry`) can ask without importing the transient runner (which
imports the registry).
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["in_transient", "transient_flag"]

#: set by :func:`pyworkflow.engine.transient.run_transient` for the run's duration
transient_flag: ContextVar[bool] = ContextVar("pyworkflow_transient", default=False)


def in_transient() -> bool:
    """``True`` inside a transient run."""
    return transient_flag.get()
