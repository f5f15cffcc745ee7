"""The records a :class:`~pyworkflow.storage.StorageBackend` stores and returns.

All are frozen dataclasses. Every timestamp is a timezone-aware UTC ``datetime`` with
microsecond precision. Fields typed ``JSON`` hold a JSON value (``dict``/``list``/``str``/
``int``/``float``/``bool``/``None``); engine values inside them are already encoded by the
engine's serializer, so storage never sees anything else. Backends return fresh objects:
mutating a returned ``dict`` never changes what is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeAlias, TypeVar

from ._ids import new_id, new_token

__all__ = [
    "JSON",
    "TERMINAL_STATUSES",
    "Event",
    "Hook",
    "HookStatus",
    "Lease",
    "NewEvent",
    "Page",
    "RunFilter",
    "RunStatus",
    "Schedule",
    "ScheduleStatus",
    "Task",
    "WorkflowRun",
    "utcnow",
]

JSON: TypeAlias = Any
"""A JSON value: dict, list, str, int, float, bool or None (no NaN or infinity)."""

T = TypeVar("T")

#: engine event type value -> its ``pyworkflow.engine.events.EventType`` member, filled in by
#: that module when it is imported (the storage layer does not import the engine)
EVENT_TYPES: dict[str, Any] = {}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class RunStatus(StrEnum):
    """Lifecycle of a workflow run. The last four are terminal."""

    PENDING = "pending"
    RUNNING = "running"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CONTINUED_AS_NEW = "continued_as_new"  # ended by continue_as_new; successor: ``continued_to``
    CONTINUED = "continued_as_new"  # alias of CONTINUED_AS_NEW

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES: frozenset[RunStatus] = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.CONTINUED_AS_NEW}
)


class HookStatus(StrEnum):
    PENDING = "pending"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event to append. ``timestamp`` defaults to the time of the append."""

    type: str
    data: dict[str, JSON] = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A stored event. ``sequence`` is 1-based, dense per run, assigned at append, never reused."""

    run_id: str
    sequence: int
    id: str
    type: str
    data: dict[str, JSON]
    timestamp: datetime

    def __post_init__(self) -> None:
        # An engine event type becomes its EventType member (a StrEnum: still equal to the
        # string), so ``event.type.value`` works as in the predecessor. One dict lookup: this
        # is on the read hot path. Other types (a user's own) stay plain strings.
        member = EVENT_TYPES.get(self.type)
        if member is not None:
            object.__setattr__(self, "type", member)

    @property
    def event_id(self) -> str:
        """The predecessor's name of :attr:`id`."""
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowRun:
    """One execution of a workflow.

    ``idempotency_key`` is unique across runs. ``continued_from``/``continued_to`` link a
    continue-as-new chain both ways; ``parent_id`` names the run that started this one as a
    child. ``context`` is the user's step context, stored durably with the run.
    """

    id: str
    workflow_name: str
    status: RunStatus = RunStatus.PENDING
    input: JSON = None
    result: JSON = None
    error: JSON = None
    context: JSON = None
    metadata: dict[str, JSON] = field(default_factory=dict)
    idempotency_key: str | None = None
    parent_id: str | None = None
    continued_from: str | None = None
    continued_to: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None

    # The predecessor's field names, as read-only aliases (nothing extra is stored).

    @property
    def run_id(self) -> str:
        """Alias of :attr:`id`."""
        return self.id

    @property
    def parent_run_id(self) -> str | None:
        """Alias of :attr:`parent_id`."""
        return self.parent_id

    @property
    def continued_from_run_id(self) -> str | None:
        """Alias of :attr:`continued_from`."""
        return self.continued_from

    @property
    def continued_to_run_id(self) -> str | None:
        """Alias of :attr:`continued_to`."""
        return self.continued_to

    @property
    def input_args(self) -> JSON:
        """The positional arguments (``input["args"]``; ``[]`` if none). Unlike the
        predecessor's JSON text, these are values: decoded on a run from ``get_run``/
        ``get_workflow_run``, in their stored form on a run read from a backend directly."""
        return self.input.get("args", []) if isinstance(self.input, dict) else []

    @property
    def input_kwargs(self) -> JSON:
        """The keyword arguments (``input["kwargs"]``; ``{}`` if none); see :attr:`input_args`."""
        return self.input.get("kwargs", {}) if isinstance(self.input, dict) else {}

    @property
    def nesting_depth(self) -> int:
        """0 for a root run, 1 for its child, 2 for a grandchild... Read from the metadata
        key ``nesting_depth`` where the engine recorded it, else 0 for a root and 1 for a
        child."""
        depth = self.metadata.get("nesting_depth") if isinstance(self.metadata, dict) else None
        if isinstance(depth, int) and not isinstance(depth, bool):
            return depth
        return 0 if self.parent_id is None else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFilter:
    """Which runs :meth:`StorageBackend.list_runs` returns. ``None`` means "any".

    ``workflow_name`` and ``parent_id`` match exactly (no wildcards: ``%`` and ``_`` are
    ordinary characters). ``created_after`` is inclusive, ``created_before`` exclusive; both
    compare ``created_at``.
    """

    workflow_name: str | None = None
    statuses: frozenset[RunStatus] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """Durable work: a timer, a resumption, a step retry, a schedule firing.

    ``attempts`` counts claims so far (0 until first claimed).
    """

    id: str = field(default_factory=new_id)
    run_id: str
    kind: str
    due_at: datetime
    payload: dict[str, JSON] = field(default_factory=dict)
    attempts: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """A claimed task. Held by ``worker`` until ``expires_at`` unless extended.

    ``token`` identifies this claim: a later claim of the same task gets another token, and
    operations with the old lease then raise :class:`~pyworkflow.errors.LeaseLost`.
    """

    task: Task
    worker: str
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Hook:
    """A point where a run waits for an outside payload, addressed by an unguessable token."""

    token: str = field(default_factory=new_token)
    run_id: str
    name: str
    status: HookStatus = HookStatus.PENDING
    payload: JSON = None
    url: str | None = None
    schema: JSON = None
    metadata: dict[str, JSON] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    expires_at: datetime | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A recurring start of a workflow.

    Exactly the fields given are stored: ``cron`` and/or ``interval`` (seconds), ``calendar``
    entries, ``jitter`` (seconds), ``timezone``, and free ``stats``. ``revision`` starts at 1
    and grows by one per update; it is the compare-and-swap token of ``update_schedule``.
    """

    id: str = field(default_factory=new_id)
    workflow_name: str
    status: ScheduleStatus = ScheduleStatus.ACTIVE
    cron: str | None = None
    interval: float | None = None
    calendar: list[dict[str, JSON]] = field(default_factory=list)
    jitter: float = 0.0
    timezone: str = "UTC"
    input: JSON = None
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    stats: dict[str, JSON] = field(default_factory=dict)
    revision: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    # The predecessor's field names, read from ours (docs/migrating.md).
    @property
    def schedule_id(self) -> str:
        """Alias of :attr:`id`."""
        return self.id

    @property
    def next_run_time(self) -> datetime | None:
        """Alias of :attr:`next_run_at`."""
        return self.next_run_at

    @property
    def total_runs(self) -> int:
        """Runs this schedule started (``stats["runs"]``)."""
        return int(self.stats.get("runs", 0) or 0)

    @property
    def successful_runs(self) -> int:
        """Runs of this schedule that completed (``stats["succeeded"]``)."""
        return int(self.stats.get("succeeded", 0) or 0)

    @property
    def failed_runs(self) -> int:
        """Runs of this schedule that failed or were cancelled (``stats["failed"]``)."""
        return int(self.stats.get("failed", 0) or 0)

    @property
    def skipped_runs(self) -> int:
        """Firings skipped: missed while no worker ran, or refused by the overlap policy."""
        return int(self.stats.get("skipped", 0) or 0) + int(
            self.stats.get("overlap_skipped", 0) or 0
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing. Pass ``next_cursor`` back to get the next; ``None`` at the end."""

    items: Sequence[T]
    next_cursor: str | None = None


def as_seconds(value: timedelta | float | int) -> float:
    """A duration given as ``timedelta`` or seconds, in seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
