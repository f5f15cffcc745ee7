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
    deliver_hook,
    get_events,
    get_run,
    get_workflow_chain,
    pending_hooks,
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
from .deadline import WorkflowTimeout
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

# the predecessor's execution API (see execution.py)
from .execution import (
    WorkflowAlreadyRunningError,
    WorkflowNotFoundError,
    get_workflow_events,
    get_workflow_run,
    resume,
)
from .hooks import (
    HookAlreadyReceivedError,
    HookExpiredError,
    HookNotFoundError,
    InvalidTokenError,
    ResumeResult,
    TypedHook,
    define_hook,
    hook,
    resume_hook,
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
    "HookAlreadyReceivedError",
    "HookExpiredError",
    "HookNotFoundError",
    "HookTimeout",
    "InvalidTokenError",
    "NonDeterminismError",
    "PendingHook",
    "ResumeResult",
    "RetryPolicy",
    "RetryableError",
    "SerializationError",
    "StepFailed",
    "StepTimeout",
    "TypedHook",
    "UnsafeSetup",
    "WaitTimeout",
    "Worker",
    "WorkflowAlreadyRunningError",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
    "WorkflowNotFoundError",
    "WorkflowTimeout",
    "cancel",
    "configure",
    "configured",
    "continue_as_new",
    "default_engine",
    "define_hook",
    "deliver_hook",
    "get_events",
    "get_run",
    "get_step_context",
    "get_workflow_chain",
    "get_workflow_events",
    "get_workflow_run",
    "has_step_context",
    "hook",
    "pending_hooks",
    "resume",
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
