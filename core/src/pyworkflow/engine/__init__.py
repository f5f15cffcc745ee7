"""The workflow engine: durable workflows by event sourcing on any StorageBackend.

See ``docs/engine.md`` for the events, the guarantees and the worker model.
"""

from __future__ import annotations

from .api import (
    PendingHook,
    cancel,
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
    ChildHandle,
    continue_as_new,
    get_step_context,
    has_step_context,
    set_step_context,
    sleep,
    start_child,
    wait_for_hook,
)
from .errors import (
    ChildWorkflowFailed,
    FatalError,
    HookTimeout,
    NonDeterminismError,
    RetryableError,
    StepFailed,
    StepTimeout,
    UnsafeSetup,
    WaitTimeout,
    WorkflowError,
    WorkflowFailed,
    WorkflowNotFound,
)
from .registry import step, workflow
from .retry import RetryPolicy
from .runtime import Engine
from .serializer import SerializationError
from .worker import Worker

__all__ = [
    "ChildHandle",
    "ChildWorkflowFailed",
    "Engine",
    "FatalError",
    "HookTimeout",
    "NonDeterminismError",
    "PendingHook",
    "RetryPolicy",
    "RetryableError",
    "SerializationError",
    "StepFailed",
    "StepTimeout",
    "UnsafeSetup",
    "WaitTimeout",
    "Worker",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
    "cancel",
    "configure",
    "configured",
    "continue_as_new",
    "default_engine",
    "get_events",
    "get_run",
    "get_step_context",
    "get_workflow_chain",
    "has_step_context",
    "pending_hooks",
    "resume_hook",
    "run_until_complete",
    "schedule",
    "set_step_context",
    "shutdown",
    "sleep",
    "start",
    "start_child",
    "step",
    "wait",
    "wait_for_hook",
    "workflow",
]
