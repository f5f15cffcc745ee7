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

    @property
    def max_duration(self) -> float | None:
        """The workflow's ``max_duration`` in seconds (metadata ``max_duration``), or None."""
        value = self.metadata.get("max_duration") if isinstance(self.metadata, dict) else None
        return float(value) if isinstance(value, int | float) else None

    def to_dict(self) -> dict[str, JSON]:
        """The run as JSON-ready values, under our field names and the predecessor's
        (``run_id``, ``input_args``/``input_kwargs``, ``parent_run_id``, ``nesting_depth``,
        ``continued_*_run_id``, ``max_duration``); datetimes ISO 8601, the status its value."""
        out: dict[str, JSON] = {}
        for name in _RUN_FIELDS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        out["status"] = self.status.value
        for alias in _RUN_ALIASES:
            out[alias] = getattr(self, alias)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, JSON]) -> WorkflowRun:
        """A run from :meth:`to_dict`'s output, or from a dict with the predecessor's names
        (``run_id``, ``parent_run_id``, ``continued_from_run_id``, ``continued_to_run_id``,
        ``input_args``/``input_kwargs`` as values or JSON text; a legacy ``metadata`` without
        ``context`` is the step context, as its ``from_dict`` read it). Derived keys
        (``nesting_depth``, ``max_duration``) are ignored. ISO strings become datetimes."""
        import json

        def pick(ours: str, theirs: str) -> JSON:
            return data[ours] if ours in data else data.get(theirs)

        def decoded(value: JSON, empty: JSON) -> JSON:
            if isinstance(value, str):
                return json.loads(value) if value else empty
            return empty if value is None else value

        run_input = data.get("input")
        if run_input is None and ("input_args" in data or "input_kwargs" in data):
            run_input = {
                "args": decoded(data.get("input_args"), []),
                "kwargs": decoded(data.get("input_kwargs"), {}),
            }
        metadata = data.get("metadata")
        context = data.get("context")
        if "context" not in data and isinstance(metadata, dict):
            context, metadata = metadata, {}  # the predecessor's legacy key
        times: dict[str, datetime | None] = {}
        for name in ("created_at", "updated_at", "started_at", "completed_at"):
            value = data.get(name)
            times[name] = datetime.fromisoformat(value) if isinstance(value, str) else value
        return cls(
            id=str(pick("id", "run_id")),
            workflow_name=str(data["workflow_name"]),
            status=RunStatus(data.get("status", RunStatus.PENDING)),
            input=run_input,
            result=data.get("result"),
            error=data.get("error"),
            context=context,
            metadata=dict(metadata or {}),
            idempotency_key=data.get("idempotency_key"),
            parent_id=pick("parent_id", "parent_run_id"),
            continued_from=pick("continued_from", "continued_from_run_id"),
            continued_to=pick("continued_to", "continued_to_run_id"),
            created_at=times["created_at"] or utcnow(),
            updated_at=times["updated_at"] or utcnow(),
            started_at=times["started_at"],
            completed_at=times["completed_at"],
        )


_RUN_FIELDS = (
    "id", "workflow_name", "status", "input", "result", "error", "context", "metadata",
    "idempotency_key", "parent_id", "continued_from", "continued_to", "created_at",
    "updated_at", "started_at", "completed_at",
)  # fmt: skip
_RUN_ALIASES = (
    "run_id", "input_args", "input_kwargs", "parent_run_id", "nesting_depth",
    "continued_from_run_id", "continued_to_run_id", "max_duration",
)  # fmt: skip


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

    @property
    def payload_schema(self) -> JSON:
        """The predecessor's name for :attr:`schema` (the payload's JSON schema)."""
        return self.schema


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
