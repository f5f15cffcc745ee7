"""Which run, if any, the current task is executing, and whether it is inside a step.

Two context variables, in a module of their own so that the step decorator (``registry``) can
ask for the running workflow without importing the execution machinery (``context``), which
itself looks workflows up in the registry.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import RunContext

__all__ = ["current_step_runner"]

_run_ctx: ContextVar[RunContext | None] = ContextVar("pyworkflow_run", default=None)
_in_step: ContextVar[bool] = ContextVar("pyworkflow_in_step", default=False)


def current_step_runner() -> RunContext | None:
    """The running workflow's context when a step is called from workflow code, else None
    (outside any run, and inside a step: a step called from a step runs as a plain call)."""
    if _in_step.get():
        return None
    return _run_ctx.get()
