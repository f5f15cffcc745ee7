"""pyworkflow: durable workflows on the database you already run.

The storage layer (:mod:`pyworkflow.storage`, :mod:`pyworkflow.models`,
:mod:`pyworkflow.errors`, :mod:`pyworkflow.registry`) is importable on its own; the engine's
public API is re-exported here.
"""

from __future__ import annotations

from .engine import (
    MAX_NESTING_DEPTH,
    CancellationError,
    ChildHandle,
    ChildWorkflowError,
    ChildWorkflowFailed,
    ChildWorkflowFailedError,
    ChildWorkflowHandle,
    Engine,
    HookAlreadyReceivedError,
    HookExpiredError,
    HookNotFoundError,
    HookTimeout,
    InvalidTokenError,
    MaxNestingDepthError,
    NonDeterminismError,
    OutsideWorkflow,
    PendingHook,
    ResumeResult,
    SerializationError,
    StepFailed,
    TypedHook,
    UnsafeSetup,
    WaitTimeout,
    Worker,
    WorkflowAlreadyRunningError,
    WorkflowError,
    WorkflowFailed,
    WorkflowNotFound,
    WorkflowNotFoundError,
    WorkflowTimeout,
    cancel,
    cancel_workflow,
    configure,
    configured,
    continue_as_new,
    define_hook,
    deliver_hook,
    get_children,
    get_events,
    get_run,
    get_step_context,
    get_workflow_chain,
    get_workflow_events,
    get_workflow_run,
    hook,
    pending_hooks,
    resume,
    resume_hook,
    run_until_complete,
    schedule,
    set_step_context,
    shield,
    shutdown,
    sleep,
    start,
    start_child,
    start_child_workflow,
    step,
    wait,
    wait_for_hook,
    workflow,
)
from .engine.calls import has_step_context

# The predecessor's configuration, discovery and storage names (docs/configuration.md).
from .engine.configuration import (
    PyWorkflowConfig,
    configure_from_yaml,
    get_config,
    get_storage,
    reset_config,
)
from .engine.discovery import DiscoveryError, discover_workflows
from .engine.errors import FatalError, RetryableError, StepTimeout
from .engine.listing import get_step, get_workflow, list_steps, list_workflows
from .engine.retry import RetryPolicy
from .engine.runtimes import LocalRuntime, Runtime, get_runtime, register_runtime

# schedules (the predecessor's management API over the one schedule row and firing path)
from .engine.schedule_admin import (
    backfill_schedule,
    delete_schedule,
    get_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    trigger_schedule,
)
from .engine.schedule_overlap import OverlapPolicy
from .engine.schedule_spec import ScheduleSpec, create_schedule, update_schedule
from .engine.schedule_specs import CalendarSpec
from .engine.scheduled import (
    LocalScheduler,
    ScheduledWorkflowMetadata,
    activate_scheduled_workflows,
    get_scheduled_workflow,
    list_scheduled_workflows,
    scheduled_workflow,
)
from .errors import (
    ConfigurationError,
    ConflictError,
    InvalidConfiguration,
    InvalidInput,
    LeaseLost,
    MissingDependency,
    NotFound,
    PayloadTooLarge,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)
from .features import Features
from .logs import bind_step_context, bind_workflow_context, configure_logging, get_logger
from .models import (
    Event,
    Hook,
    HookStatus,
    Lease,
    NewEvent,
    Page,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    Task,
    WorkflowRun,
)
from .registry import open_backend
from .storage import StorageBackend
from .storage.classes import FileStorageBackend, InMemoryStorageBackend
from .task_views import TaskInfo, TaskState
from .urls import StorageURL

__version__ = "0.1.0"

__all__ = [
    "MAX_NESTING_DEPTH",
    "CancellationError",
    "ChildHandle",
    "ChildWorkflowError",
    "ChildWorkflowFailed",
    "ChildWorkflowFailedError",
    "ChildWorkflowHandle",
    "ConfigurationError",
    "ConflictError",
    "Engine",
    "Event",
    "FatalError",
    "Features",
    "Hook",
    "HookAlreadyReceivedError",
    "HookExpiredError",
    "HookNotFoundError",
    "HookStatus",
    "HookTimeout",
    "InvalidInput",
    "InvalidTokenError",
    "Lease",
    "LeaseLost",
    "MaxNestingDepthError",
    "MissingDependency",
    "NewEvent",
    "NonDeterminismError",
    "NotFound",
    "OutsideWorkflow",
    "Page",
    "PayloadTooLarge",
    "PendingHook",
    "PyWorkflowError",
    "ResumeResult",
    "RetryPolicy",
    "RetryableError",
    "RunFilter",
    "RunStatus",
    "Schedule",
    "ScheduleStatus",
    "SchemaError",
    "SerializationError",
    "StepContext",
    "StepFailed",
    "StepTimeout",
    "StorageBackend",
    "StorageError",
    "StorageURL",
    "StorageUnavailable",
    "Task",
    "TaskInfo",
    "TaskState",
    "TypedHook",
    "UnsafeSetup",
    "WaitTimeout",
    "Worker",
    "WorkflowAlreadyRunningError",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowNotFound",
    "WorkflowNotFoundError",
    "WorkflowRun",
    "WorkflowTimeout",
    "cancel",
    "cancel_workflow",
    "configure",
    "configured",
    "continue_as_new",
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
    "open_backend",
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


def __getattr__(name: str) -> object:
    # StepContext is a pydantic model: built (and pydantic imported) only when first asked for
    if name == "StepContext":
        from .engine.step_context import step_context_class

        return step_context_class()
    raise AttributeError(f"module 'pyworkflow' has no attribute {name!r}")


__all__ += [
    "CalendarSpec",
    "DiscoveryError",
    "FileStorageBackend",
    "InMemoryStorageBackend",
    "InvalidConfiguration",
    "LocalRuntime",
    "LocalScheduler",
    "OverlapPolicy",
    "PyWorkflowConfig",
    "Runtime",
    "ScheduleSpec",
    "ScheduledWorkflowMetadata",
    "activate_scheduled_workflows",
    "backfill_schedule",
    "bind_step_context",
    "bind_workflow_context",
    "configure_from_yaml",
    "configure_logging",
    "create_schedule",
    "delete_schedule",
    "discover_workflows",
    "get_config",
    "get_logger",
    "get_runtime",
    "get_schedule",
    "get_scheduled_workflow",
    "get_step",
    "get_storage",
    "get_workflow",
    "list_scheduled_workflows",
    "list_schedules",
    "list_steps",
    "list_workflows",
    "pause_schedule",
    "register_runtime",
    "reset_config",
    "resume_schedule",
    "scheduled_workflow",
    "trigger_schedule",
    "update_schedule",
]

# the predecessor's context API (pyworkflow.engine.workflow_context)
from .engine import (  # noqa: E402
    LocalContext,
    MockContext,
    NoContextError,
    SuspensionSignal,
    WorkflowContext,
    get_context,
    has_context,
    reset_context,
    set_context,
)

__all__ += [
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
