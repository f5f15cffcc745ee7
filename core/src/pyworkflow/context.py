"""The predecessor's ``pyworkflow.context`` module: the context API
(:mod:`pyworkflow.engine.workflow_context`, :mod:`pyworkflow.engine.mock_context`) and the
step context (:mod:`pyworkflow.engine.calls`), importable from where its programs import
them (``from pyworkflow.context import get_context, LocalContext``)."""

from __future__ import annotations

from typing import Any

from .engine.calls import _context_class, get_step_context, has_step_context, set_step_context
from .engine.mock_context import MockContext
from .engine.running import _run_ctx
from .engine.workflow_context import (
    LocalContext,
    WorkflowContext,
    get_context,
    has_context,
    reset_context,
    set_context,
)

__all__ = [
    "LocalContext",
    "MockContext",
    "StepContext",  # noqa: F822 - built on first use (module __getattr__)
    "WorkflowContext",
    "get_context",
    "get_step_context",
    "get_step_context_class",
    "has_context",
    "has_step_context",
    "reset_context",
    "set_context",
    "set_step_context",
]


def get_step_context_class() -> type[Any] | None:
    """The ``context_class`` of the workflow running here (``None`` outside a run or when it
    declares none)."""
    ctx = _run_ctx.get()
    return None if ctx is None else _context_class(ctx)


def __getattr__(name: str) -> object:
    # StepContext is a pydantic model, built on first use (as at the top level)
    if name == "StepContext":
        from .engine.step_context import step_context_class

        return step_context_class()
    raise AttributeError(f"module 'pyworkflow.context' has no attribute {name!r}")
