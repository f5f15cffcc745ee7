"""``workflow_100_steps``: a workflow of 100 no-op steps end to end, on each backend.

Reports steps/s and storage round trips per step, counted by wrapping the backend's public
methods in a counting proxy (target: at most 2 round trips per step). Runs only once the
engine (``pyworkflow.engine``) provides workflows; until then the scenario is reported as
skipped with the reason.
"""

from __future__ import annotations

from .discover import Target
from .results import Result
from .runner import Settings, Tick

__all__ = ["NAME", "run"]

NAME = "workflow_100_steps"


async def run(target: Target, settings: Settings, tick: Tick) -> Result:
    """One result for ``target`` (skipped with the reason when the engine is missing)."""
    result = Result(target.name, NAME, "steps", raw_how="no raw equivalent (engine scenario)")
    result.skipped = "the engine (pyworkflow.engine workflows) is not available yet"
    return result
