"""pyworkflow: durable workflows on the database you already run.

The storage layer (:mod:`pyworkflow.storage`, :mod:`pyworkflow.models`,
:mod:`pyworkflow.errors`, :mod:`pyworkflow.registry`) is importable on its own; the engine's
public API is re-exported here.
"""

from __future__ import annotations

from .errors import (
    ConflictError,
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
from .urls import StorageURL

__version__ = "0.1.0"

__all__ = [
    "ConflictError",
    "Event",
    "Features",
    "Hook",
    "HookStatus",
    "InvalidInput",
    "Lease",
    "LeaseLost",
    "MissingDependency",
    "NewEvent",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "PyWorkflowError",
    "RunFilter",
    "RunStatus",
    "Schedule",
    "ScheduleStatus",
    "SchemaError",
    "StorageBackend",
    "StorageError",
    "StorageURL",
    "StorageUnavailable",
    "Task",
    "WorkflowRun",
    "open_backend",
]
