"""Transient runs (``durable=False``): the workflow runs in this process and stores nothing.

The workflow function is awaited directly, as plain code: steps run directly (no record;
retried inline, see :mod:`~pyworkflow.engine.transient_steps`), ``sleep`` is
``asyncio.sleep``, ``continue_as_new`` just ends the run; waiting for a hook raises
``NotImplementedError`` and starting a child ``RuntimeError`` (nothing could ever deliver to,
or be joined by, a run that does not exist). There is no run to read or cancel afterwards:
``get_workflow_run`` returns ``None`` for its id.
"""

from __future__ import annotations

from typing import Any

from pyworkflow._ids import new_id

from .context import ContinueAsNew
from .registry import WorkflowDef
from .transient_flag import in_transient, transient_flag
from .workflow_context import enter_run, leave_run

__all__ = ["in_transient", "run_transient"]


async def run_transient(
    definition: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> str:
    """Run ``definition`` to its end in this process; return the id it ran under (known to
    no store). An exception from the workflow propagates to the caller, as in the
    predecessor's local runtime."""
    run_id = new_id()
    token = transient_flag.set(True)
    wctx, wtoken = enter_run(run_id, definition.name, None)  # get_context(): not durable
    try:
        await definition.fn(*args, **kwargs)
    except ContinueAsNew:
        pass  # a transient run just ends: there is nowhere to record a successor
    finally:
        leave_run(wctx, wtoken)
        transient_flag.reset(token)
    return run_id
