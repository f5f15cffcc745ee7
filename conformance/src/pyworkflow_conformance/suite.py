"""The whole suite as one class a backend subclasses."""

from __future__ import annotations

from .contracts.concurrency import ConcurrencyContract
from .contracts.crash import CrashContract
from .contracts.engine import EngineContract
from .contracts.engine_cancel import EngineCancelContract
from .contracts.engine_flow import EngineFlowContract
from .contracts.engine_retry import EngineRetryContract
from .contracts.engine_schedules import EngineSchedulesContract
from .contracts.engine_schedules_overlap import EngineOverlapContract
from .contracts.engine_steps import StepsContract
from .contracts.errors import ErrorsContract
from .contracts.events import EventsContract
from .contracts.faults import FaultsContract
from .contracts.hooks import HooksContract
from .contracts.migrations import MigrationsContract
from .contracts.properties_log import LogPropertiesContract
from .contracts.properties_work import WorkPropertiesContract
from .contracts.retention import RetentionContract
from .contracts.roundtrip import RoundtripContract
from .contracts.runs import RunsContract
from .contracts.schedules import SchedulesContract
from .contracts.task_listing import TaskListingContract
from .contracts.tasks import TasksContract
from .contracts.values import ValuesContract

__all__ = ["AREAS", "BackendContract"]


class BackendContract(
    EventsContract,
    ConcurrencyContract,
    RunsContract,
    TasksContract,
    TaskListingContract,
    HooksContract,
    SchedulesContract,
    RetentionContract,
    RoundtripContract,
    ErrorsContract,
    ValuesContract,
    LogPropertiesContract,
    WorkPropertiesContract,
    MigrationsContract,
    CrashContract,
    EngineContract,
    StepsContract,
    EngineFlowContract,
    EngineRetryContract,
    EngineCancelContract,
    EngineSchedulesContract,
    EngineOverlapContract,
    FaultsContract,
):
    """Every area. Subclass it as ``Test<Name>Conformance`` and set ``backend_name`` (a service
    known to :mod:`pyworkflow_conformance.services`) or override the ``backend_url`` fixture."""

    backend_name: str | None = None


AREAS = [
    "events",
    "concurrency",
    "runs",
    "tasks",
    "task_listing",
    "hooks",
    "schedules",
    "retention",
    "roundtrip",
    "errors",
    "values",
    "properties",
    "migrations",
    "crash",
    "engine",
    "faults",
]
