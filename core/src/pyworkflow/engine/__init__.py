"""The workflow engine: durable workflows by event sourcing on any StorageBackend.

See ``docs/engine.md`` for the events, the guarantees and the worker model.
"""

from __future__ import annotations

from .api import (
    PendingHook,
    cancel,
    cancel_workflow,
    configure,
    configured,
    default_engine,
    get_events,
    get_run,
    get_workflow_chain,
    pending_hooks,
    resume_hook,
    run_until_complete,
    schedule,
    shutdown,
    start,
    wait,
)
from .calls import (
    PARENT_CLOSE_POLICIES,
    ChildHandle,
    continue_as_new,
    get_step_context,
    set_step_context,
    sleep,
    start_child,
    wait_for_hook,
)
from .cancellation import shield
from .children import ChildWorkflowHandle, get_children, start_child_workflow
from .errors import (
    MAX_NESTING_DEPTH,
    CancellationError,
    ChildWorkflowError,
    ChildWorkflowFailed,
    ChildWorkflowFailedError,
    HookTimeout,
    MaxNestingDepthError,
    NonDeterminismError,
    StepFailed,
    UnsafeSetup,
    WaitTimeout,
    WorkflowError,
    WorkflowFailed,
    WorkflowNotFound,
    WorkflowNotFoundError,
)
from .registry import step, workflow
from .runtime import Engine
from .serializer import SerializationError
from .worker import Worker

__all__ = [
    "MAX_NESTING_DEPTH",
    "PARENT_CLOSE_POLICIES",
    "CancellationError",
    "ChildHandle",
    "ChildWorkflowError",
    "ChildWorkflowFailed",
    "ChildWorkflowFailedError",
    "ChildWorkflowHandle",
    "Engine",
    "HookTimeout",
    "MaxNestingDepthError",
    "NonDeterminismError",
    "PendingHook",
    "SerializationError",
    "StepFailed",
    "UnsafeSetup",
    "WaitTimeout",
    "Worker",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
    "WorkflowNotFoundError",
    "cancel",
    "cancel_workflow",
    "configure",
    "configured",
    "continue_as_new",
    "default_engine",
    "get_children",
    "get_events",
    "get_run",
    "get_step_context",
    "get_workflow_chain",
    "pending_hooks",
    "resume_hook",
    "run_until_complete",
    "schedule",
    "set_step_context",
    "shield",
    "shutdown",
    "sleep",
    "start",
    "start_child",
    "start_child_workflow",
    "step",
    "wait",
    "wait_for_hook",
    "workflow",
]
