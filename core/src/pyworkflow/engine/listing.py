"""The predecessor's registry listing: ``list_workflows``, ``get_workflow(name)``,
``list_steps``, ``get_step(name)``, with its ``WorkflowMetadata``/``StepMetadata`` fields.

Workflows come from the ``@workflow`` registry. Steps have no registry of their own (a step
is a plain wrapped function, found when a workflow calls it), so they are found among the
functions of the imported modules: a step defined but never imported is not listed.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .registry import _WORKFLOWS, StepOptions

__all__ = [
    "StepMetadata",
    "WorkflowMetadata",
    "get_step",
    "get_workflow",
    "list_steps",
    "list_workflows",
]


@dataclass(frozen=True)
class WorkflowMetadata:
    """A registered workflow: ``func`` is what ``@workflow`` returned, ``original_func``
    the function it decorated, ``description`` its docstring (stripped)."""

    name: str
    func: Callable[..., Any]
    original_func: Callable[..., Any]
    max_duration: Any = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    context_class: type | None = None


@dataclass(frozen=True)
class StepMetadata:
    """A step: ``max_retries`` more attempts after the first (our ``retries``);
    ``retry_delay`` is ``str`` of the backoff, as the predecessor stored it."""

    name: str
    func: Callable[..., Any]
    original_func: Callable[..., Any]
    max_retries: int = 3
    retry_delay: str = "exponential"
    timeout: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _workflow_metadata(definition: Any) -> WorkflowMetadata:
    fn = definition.fn
    doc = inspect.getdoc(fn)
    return WorkflowMetadata(
        name=definition.name,
        func=fn,
        original_func=inspect.unwrap(fn),
        max_duration=definition.options.max_duration,  # seconds, or None
        tags=list(definition.options.tags),
        description=doc.strip() if doc else None,
        context_class=getattr(definition, "context_class", None),
    )


def list_workflows() -> dict[str, WorkflowMetadata]:
    """Every workflow registered in this process, by name."""
    return {name: _workflow_metadata(d) for name, d in sorted(_WORKFLOWS.items())}


def get_workflow(name: str) -> WorkflowMetadata | None:
    """The workflow registered as ``name``, or ``None``."""
    definition = _WORKFLOWS.get(name)
    return None if definition is None else _workflow_metadata(definition)


def list_steps() -> dict[str, StepMetadata]:
    """Every ``@step`` function defined at module level in an imported module, by name."""
    found: dict[str, StepMetadata] = {}
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for obj in list(namespace.values()):
            if not inspect.isfunction(obj):
                continue
            options = obj.__dict__.get("__pyworkflow_step__")
            if isinstance(options, StepOptions) and options.name not in found:
                found[options.name] = StepMetadata(
                    name=options.name,
                    func=obj,
                    original_func=inspect.unwrap(obj),
                    max_retries=options.retries,
                    # as the predecessor stored it: str() of what @step was given (0 is "0")
                    retry_delay=_retry_delay_text(obj),
                    timeout=options.timeout,
                    metadata=dict(options.metadata or {}),
                )
    return dict(sorted(found.items()))


def _retry_delay_text(fn: Any) -> str:
    given = getattr(fn, "__step_retry_delay__", None)
    return "exponential" if given is None else str(given)


def get_step(name: str) -> StepMetadata | None:
    """The step named ``name`` (see :func:`list_steps`), or ``None``."""
    return list_steps().get(name)
