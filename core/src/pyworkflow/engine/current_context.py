"""The context variable behind ``get_context()`` (see :mod:`.workflow_context`), in a module
of its own that imports nothing of the engine, so the calls that consult it (``@step``,
``sleep``, ``hook``, ``shield``) can import it without an import cycle."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

__all__ = ["current", "user_context"]

#: the current WorkflowContext (or None); the engine sets its own for each execution
current: ContextVar[Any] = ContextVar("pyworkflow_workflow_context", default=None)


def user_context() -> Any:
    """The context a user set (``set_context(MockContext())``, ``with LocalContext():``),
    else ``None``: the engine's own contexts (``_engine``) are never returned. The callers
    ask only where no engine run handles the call, so the engine's always wins."""
    ctx = current.get()
    if ctx is None or getattr(ctx, "_engine", False):
        return None
    return ctx
