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
    PARENT_CLOSE_POLICIES,
    ChildHandle,
    continue_as_new,
    get_step_context,
    has_step_context,
    set_step_context,
    sleep,
    start_child,
    wait_for_hook,
)
from .cancellation import shield
from .children import ChildWorkflowHandle, get_children, start_child_workflow
from .deadline import WorkflowTimeout
from .errors import (
    MAX_NESTING_DEPTH,
    CancellationError,
    ChildWorkflowError,
    ChildWorkflowFailed,
    ChildWorkflowFailedError,
    FatalError,
    HookTimeout,
    MaxNestingDepthError,
    NonDeterminismError,
    OutsideWorkflow,
    RetryableError,
    StepFailed,
    StepTimeout,
    UnsafeSetup,
    WaitTimeout,
    WorkflowError,
    WorkflowFailed,
    WorkflowNotFound,
    WorkflowNotFoundError,
)

# the predecessor's execution API (see execution.py)
from .execution import (
    WorkflowAlreadyRunningError,
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
    "MAX_NESTING_DEPTH",
    "PARENT_CLOSE_POLICIES",
    "CancellationError",
    "ChildHandle",
    "ChildWorkflowError",
    "ChildWorkflowFailed",
    "ChildWorkflowFailedError",
    "ChildWorkflowHandle",
    "Engine",
    "FatalError",
    "HookAlreadyReceivedError",
    "HookExpiredError",
    "HookNotFoundError",
    "HookTimeout",
    "InvalidTokenError",
    "MaxNestingDepthError",
    "NonDeterminismError",
    "OutsideWorkflow",
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
    "cancel_workflow",
    "configure",
    "configured",
    "continue_as_new",
    "default_engine",
    "define_hook",
    "deliver_hook",
    "get_children",
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

# the predecessor's context API and event-count limit (workflow_context.py, limits.py)
from .errors import SuspensionSignal
from .limits import EventLimitExceededError
from .mock_context import MockContext
from .workflow_context import (
    LocalContext,
    NoContextError,
    WorkflowContext,
    get_context,
    has_context,
    reset_context,
    set_context,
)

__all__ += [
    "EventLimitExceededError",
    "LocalContext",
    "MockContext",
    "NoContextError",
    "SuspensionSignal",
    "WorkflowContext",
    "get_context",
    "has_context",
    "reset_context",
    "set_context",
]
