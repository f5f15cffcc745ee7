"""Input validation for the public methods of StorageBackend (the template's first half).

Each function returns the normalized value (UTC timestamps, encoded JSON) or raises
InvalidInput / PayloadTooLarge before anything reaches a backend, so a backend's primitives
only ever see values every backend can store. The valid ranges are defined here, once:

* sequences, versions, ``after`` and ``read`` limits: ``0..MAX_SEQUENCE`` (a signed 64-bit
  column); task ``attempts``: ``0..MAX_ATTEMPTS``; schedule revisions: ``0..MAX_SEQUENCE``;
* durations (leases): a finite number of seconds or a ``timedelta``, at least a microsecond,
  whose end stays within ``datetime``'s range;
* ids: see :func:`pyworkflow._ids.check_id`; free text (hook url, cron, timezone): a ``str``
  with no NUL and no lone surrogate;
* JSON: see :func:`pyworkflow.codec.dumps` plus valid UTF-8, at most
  ``features.max_event_bytes`` encoded.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ._encoded import EncodedRun
from ._ids import check_id
from .codec import MAX_JSON_DEPTH, dumps, ensure_utc, show, utf8
from .errors import InvalidInput, PayloadTooLarge
from .features import Features
from .models import (
    Hook,
    HookStatus,
    Lease,
    NewEvent,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    Task,
    WorkflowRun,
)

M = TypeVar("M")

RUN_CHANGES = frozenset(
    {
        "status",
        "result",
        "error",
        "context",
        "metadata",
        "started_at",
        "completed_at",
        "continued_to",
    }
)
SCHEDULE_CHANGES = frozenset(
    {
        "workflow_name",
        "status",
        "cron",
        "interval",
        "calendar",
        "jitter",
        "timezone",
        "input",
        "next_run_at",
        "last_run_at",
        "stats",
    }
)
MIN_HOOK_TOKEN = 16
#: Largest sequence (and so version, ``after``, ``read`` limit, schedule revision): the
#: largest signed 64-bit integer, the widest column type every backend has.
MAX_SEQUENCE = 2**63 - 1
#: Largest ``Task.attempts`` an enqueue accepts: a claim count no task reaches, leaving the
#: SQL backends' 32-bit column room for two billion more claims.
MAX_ATTEMPTS = 10**9
_MIDPOINT = datetime(5000, 1, 1, tzinfo=UTC)
#: Most distinct event types one ``read`` may filter on.
MAX_TYPES = 1000
#: Longest schedule interval or jitter, in seconds (the longest ``timedelta``, ~2.7 million
#: years; a float beyond it could not be added to a date).
MAX_SECONDS = timedelta.max.total_seconds() // 1


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """An event ready to store: validated id and type, ``data`` as compact JSON text."""

    id: str
    type: str
    data: str
    timestamp: datetime


_ENCODED_SETTERS = tuple(vars(EncodedEvent)[f].__set__ for f in ("id", "type", "data", "timestamp"))


def _encoded(eid: str, etype: str, data: str, timestamp: datetime) -> EncodedEvent:
    """``EncodedEvent(eid, etype, data, timestamp)`` without the frozen dataclass
    ``__init__`` (one ``object.__setattr__`` per field): one per appended event."""
    ev = object.__new__(EncodedEvent)
    set_id, set_type, set_data, set_timestamp = _ENCODED_SETTERS
    set_id(ev, eid)
    set_type(ev, etype)
    set_data(ev, data)
    set_timestamp(ev, timestamp)
    return ev


def check_json(value: Any, what: str, features: Features) -> str:
    """Encode ``value``; raise if it is not JSON, not valid UTF-8 (a lone surrogate in a
    string or key) or larger than ``features.max_event_bytes``."""
    text = dumps(value, what, max_depth=MAX_JSON_DEPTH)
    _check_size(text, what, features)
    return text


def _check_size(text: str, what: str, features: Features) -> None:
    limit = features.max_event_bytes
    # An ASCII str is its own UTF-8 (isascii() is O(1)), so only other text is encoded, once,
    # which also proves it has no lone surrogate.
    size = len(text) if text.isascii() else len(utf8(text, what))
    if size > limit:
        raise PayloadTooLarge(f"{what} is {size} bytes; the limit is {limit}")


def check_text(value: Any, what: str, features: Features) -> str:
    """Free text stored as is (hook url, cron, timezone): a ``str`` with no NUL (PostgreSQL
    text cannot hold one) and no lone surrogate, at most ``features.max_event_bytes``."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a str, got {type(value).__name__}")
    if "\x00" in value:
        raise InvalidInput(f"{what} must not contain NUL characters")
    _check_size(value, what, features)
    return value


def check_events(
    events: Sequence[NewEvent], features: Features, now: datetime
) -> list[EncodedEvent]:
    # ``type(...) is list`` first: the ABC check below is the slow part of the common case.
    if type(events) is not list and (
        isinstance(events, NewEvent | str | bytes) or not isinstance(events, Sequence)
    ):
        raise InvalidInput("events must be a list of NewEvent")
    if not events:
        raise InvalidInput("append needs at least one event")
    if len(events) > features.max_batch:
        raise InvalidInput(
            f"{len(events)} events in one append; this backend's max_batch is {features.max_batch}"
        )
    out: list[EncodedEvent] = []
    seen: set[str] = set()
    for event in events:
        if type(event) is not NewEvent and not isinstance(event, NewEvent):
            raise InvalidInput(f"events must be NewEvent, got {type(event).__name__}")
        eid = check_id(event.id, "event id", remember=False)  # unique: not worth caching
        if seen and eid in seen:
            raise InvalidInput(f"event id {eid!r} appears twice in one append")
        seen.add(eid)
        if type(event.data) is not dict and not isinstance(event.data, dict):
            raise InvalidInput("event data must be a JSON object (dict)")
        ts = now if event.timestamp is None else ensure_utc(event.timestamp, "event timestamp")
        out.append(
            _encoded(
                eid,
                check_id(event.type, "event type"),
                check_json(event.data, "event data", features),
                ts,
            )
        )
    return out


def check_int(value: Any, what: str, minimum: int, maximum: int) -> int:
    """An ``int`` (not a ``bool``) in ``minimum..maximum``, else :class:`InvalidInput`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be an int, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{what} must be in {minimum}..{maximum}, got {show(value)}")
    return value


def check_version(value: Any, what: str = "expected_version") -> int:
    """A sequence number: ``0..MAX_SEQUENCE``."""
    if type(value) is int and 0 <= value <= MAX_SEQUENCE:  # every append: the common case
        return value
    return check_int(value, what, 0, MAX_SEQUENCE)


def check_limit(value: Any, maximum: int = MAX_SEQUENCE, *, allow_none: bool = False) -> int | None:
    """A page size: ``1..maximum`` (or ``None`` when ``allow_none``)."""
    if value is None and allow_none:
        return None
    result: int = check_int(value, "limit", 1, maximum)
    return result


def check_duration(value: Any, what: str, at: datetime) -> datetime:
    """``at`` + ``value`` (a ``timedelta`` or a finite number of seconds, ``bool`` excluded);
    :class:`InvalidInput` unless it is at least one microsecond and the sum is a datetime."""
    if isinstance(value, timedelta):
        delta = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(f"{what} must be a finite number of seconds, got {show(value)}")
        try:
            delta = timedelta(seconds=value)
        except OverflowError:  # beyond timedelta's range (or an int beyond float's)
            raise InvalidInput(f"{what} is out of range (at most {timedelta.max})") from None
    else:
        raise InvalidInput(f"{what} must be a timedelta or seconds, got {type(value).__name__}")
    if delta <= timedelta(0):
        raise InvalidInput(f"{what} must be positive (at least 1 microsecond), got {show(value)}")
    try:
        return at + delta
    except OverflowError:
        raise InvalidInput(f"{what} of {show(value)} ends after the year 9999") from None


def check_seconds(value: Any, what: str) -> float:
    """A positive, finite number of seconds (``int`` or ``float``, not ``bool``) that a
    ``timedelta`` can hold; :class:`InvalidInput` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{what} must be a number of seconds, got {type(value).__name__}")
    check_duration(value, what, _MIDPOINT)
    return float(value)


def check_lease(lease: Any) -> Lease:
    """A :class:`Lease` whose task id and token are ids."""
    if not isinstance(lease, Lease) or not hasattr(lease.task, "id"):
        raise InvalidInput(f"expected a Lease (from claim), got {type(lease).__name__}")
    check_id(lease.task.id, "task id")
    check_id(lease.token, "lease token")
    return lease


def _collection(value: Any, what: str) -> Iterable[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(f"{what} must be a collection, got {type(value).__name__}")
    return value


def check_types(types: Iterable[str] | None) -> frozenset[str] | None:
    if types is None:
        return None
    if isinstance(types, str):
        raise InvalidInput("types must be a collection of str, not a str")
    wanted = frozenset(check_id(t, "event type") for t in _collection(types, "types"))
    if len(wanted) > MAX_TYPES:
        # Each type is a bound parameter on the SQL backends (SQLite allows 32766 per
        # statement, PostgreSQL 32767): a bound far below either, and far above real use.
        raise InvalidInput(f"types names {len(wanted)} event types; at most {MAX_TYPES}")
    return wanted


def _opt_id(value: Any, what: str) -> str | None:
    return None if value is None else check_id(value, what)


def _opt_time(value: Any, what: str) -> datetime | None:
    return None if value is None else ensure_utc(value, what)


def _enum(cls: type[M], value: Any, what: str) -> M:
    if not isinstance(value, str):  # every enum here is a StrEnum (members are str)
        raise InvalidInput(f"{what} must be a {cls.__name__} or str, got {type(value).__name__}")
    try:
        return cls(value)  # type: ignore[call-arg]
    except (ValueError, TypeError):
        raise InvalidInput(f"{what} {show(value)} is not a {cls.__name__}") from None


def check_enum(cls: type[M], value: Any, what: str) -> M:
    """``cls(value)``, or :class:`InvalidInput` naming ``what``."""
    return _enum(cls, value, what)


def check_run(run: WorkflowRun, features: Features) -> WorkflowRun:
    """The validated, normalized run (see :func:`check_run_encoded`)."""
    return check_run_encoded(run, features).run


def check_run_encoded(run: WorkflowRun, features: Features) -> EncodedRun:
    """Validate ``run``; return it normalized (UTC times, enum status) with the JSON text of
    each JSON field, the text the check produced, so the backend does not encode it again.

    ``None`` fields are ``"null"`` and empty metadata ``"{}"`` without encoding. When nothing
    needed normalizing (the usual case) the returned run is ``run`` itself.
    """
    if not isinstance(run, WorkflowRun):
        raise InvalidInput(f"expected a WorkflowRun, got {type(run).__name__}")
    check_id(run.id, "run id")
    check_id(run.workflow_name, "workflow_name")
    texts = [
        "null" if value is None else check_json(value, f"run {name}", features)
        for name, value in (
            ("input", run.input),
            ("result", run.result),
            ("error", run.error),
            ("context", run.context),
        )
    ]
    metadata = run.metadata
    if not isinstance(metadata, dict):
        raise InvalidInput("run metadata must be a dict")
    texts.append(check_json(metadata, "run metadata", features) if metadata else "{}")
    normal: dict[str, Any] = {
        "status": _enum(RunStatus, run.status, "status"),
        "idempotency_key": _opt_id(run.idempotency_key, "idempotency_key"),
        "parent_id": _opt_id(run.parent_id, "parent_id"),
        "continued_from": _opt_id(run.continued_from, "continued_from"),
        "continued_to": _opt_id(run.continued_to, "continued_to"),
        "created_at": ensure_utc(run.created_at, "created_at"),
        "updated_at": ensure_utc(run.updated_at, "updated_at"),
        "started_at": _opt_time(run.started_at, "started_at"),
        "completed_at": _opt_time(run.completed_at, "completed_at"),
    }
    # The run is frozen: when nothing was normalized (the usual case) it is its own result,
    # which saves a ``dataclasses.replace`` on every create_run.
    if not all(value is getattr(run, name) for name, value in normal.items()):
        run = dataclasses.replace(run, **normal)
    return EncodedRun(run, *texts)


def check_run_changes(
    changes: Mapping[str, Any], features: Features, now: datetime
) -> dict[str, Any]:
    """Validated changes plus ``updated_at``; a terminal status also sets ``completed_at``."""
    if not isinstance(changes, Mapping):
        raise InvalidInput("changes must be a mapping of field name to value")
    unknown = set(changes) - RUN_CHANGES
    if unknown:
        raise InvalidInput(
            f"cannot update run field(s) {sorted(map(show, unknown))}; allowed: "
            f"{sorted(RUN_CHANGES)}"
        )
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "status":
            value = _enum(RunStatus, value, "status")
        elif name in ("started_at", "completed_at"):
            value = _opt_time(value, name)
        elif name == "continued_to":
            value = _opt_id(value, name)
        elif name == "metadata":
            if not isinstance(value, dict):
                raise InvalidInput("run metadata must be a dict")
            check_json(value, "run metadata", features)
        else:
            check_json(value, f"run {name}", features)
        out[name] = value
    out["updated_at"] = now
    if "status" in out and out["status"].terminal and "completed_at" not in out:
        out["completed_at"] = now
    return out


def check_filter(flt: RunFilter | None) -> RunFilter:
    if flt is None:
        return RunFilter()
    if not isinstance(flt, RunFilter):
        raise InvalidInput(f"expected a RunFilter, got {type(flt).__name__}")
    statuses = flt.statuses
    if statuses is not None:
        if isinstance(statuses, str):
            statuses = frozenset({statuses})
        statuses = frozenset(
            _enum(RunStatus, s, "status") for s in _collection(statuses, "statuses")
        )
    return RunFilter(
        workflow_name=_opt_id(flt.workflow_name, "workflow_name"),
        statuses=statuses,
        created_after=_opt_time(flt.created_after, "created_after"),
        created_before=_opt_time(flt.created_before, "created_before"),
        parent_id=_opt_id(flt.parent_id, "parent_id"),
    )


def check_task(task: Task, features: Features) -> Task:
    if not isinstance(task, Task):
        raise InvalidInput(f"expected a Task, got {type(task).__name__}")
    check_id(task.id, "task id")
    check_id(task.run_id, "run_id")
    check_id(task.kind, "task kind")
    if not isinstance(task.payload, dict):
        raise InvalidInput("task payload must be a dict")
    check_json(task.payload, "task payload", features)
    check_int(task.attempts, "attempts", 0, MAX_ATTEMPTS)
    return dataclasses.replace(
        task,
        due_at=ensure_utc(task.due_at, "due_at"),
        created_at=ensure_utc(task.created_at, "created_at"),
    )


def check_hook(hook: Hook, features: Features) -> Hook:
    if not isinstance(hook, Hook):
        raise InvalidInput(f"expected a Hook, got {type(hook).__name__}")
    check_id(hook.token, "hook token")
    if len(hook.token) < MIN_HOOK_TOKEN:
        raise InvalidInput(f"hook token must be at least {MIN_HOOK_TOKEN} characters")
    check_id(hook.run_id, "run_id")
    check_id(hook.name, "hook name")
    if hook.url is not None:
        check_text(hook.url, "hook url", features)
    for name in ("payload", "schema", "metadata"):
        check_json(getattr(hook, name), f"hook {name}", features)
    if not isinstance(hook.metadata, dict):
        raise InvalidInput("hook metadata must be a dict")
    return dataclasses.replace(
        hook,
        status=_enum(HookStatus, hook.status, "hook status"),
        created_at=ensure_utc(hook.created_at, "created_at"),
        expires_at=_opt_time(hook.expires_at, "expires_at"),
        received_at=_opt_time(hook.received_at, "received_at"),
    )


def _check_schedule_field(name: str, value: Any, features: Features) -> Any:
    if name == "workflow_name":
        return check_id(value, name)
    if name == "status":
        return _enum(ScheduleStatus, value, "schedule status")
    if name in ("next_run_at", "last_run_at"):
        return _opt_time(value, name)
    if name in ("interval", "jitter"):
        if value is None and name == "interval":
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value <= MAX_SECONDS
        ):
            raise InvalidInput(
                f"schedule {name} must be a number of seconds in 0..{MAX_SECONDS:g}, "
                f"got {show(value)}"
            )
        return float(value)
    if name in ("cron", "timezone"):
        if value is None and name == "cron":
            return None
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"schedule {name} must be a non-empty str")
        return check_text(value, f"schedule {name}", features)
    if name == "calendar" and not (
        isinstance(value, list) and all(isinstance(v, dict) for v in value)
    ):
        raise InvalidInput("schedule calendar must be a list of dicts")
    if name == "stats" and not isinstance(value, dict):
        raise InvalidInput("schedule stats must be a dict")
    check_json(value, f"schedule {name}", features)
    return value


def check_schedule(schedule: Schedule, features: Features, now: datetime) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise InvalidInput(f"expected a Schedule, got {type(schedule).__name__}")
    check_id(schedule.id, "schedule id")
    values = {
        name: _check_schedule_field(name, getattr(schedule, name), features)
        for name in SCHEDULE_CHANGES
    }
    return dataclasses.replace(
        schedule,
        **values,
        revision=1,
        created_at=ensure_utc(schedule.created_at, "created_at"),
        updated_at=ensure_utc(schedule.updated_at, "updated_at"),
    )


def check_schedule_changes(
    changes: Mapping[str, Any], features: Features, now: datetime
) -> dict[str, Any]:
    if not isinstance(changes, Mapping):
        raise InvalidInput("changes must be a mapping of field name to value")
    unknown = set(changes) - SCHEDULE_CHANGES
    if unknown:
        raise InvalidInput(
            f"cannot update schedule field(s) {sorted(map(show, unknown))}; allowed: "
            f"{sorted(SCHEDULE_CHANGES)}"
        )
    out = {name: _check_schedule_field(name, v, features) for name, v in changes.items()}
    out["updated_at"] = now
    return out


def check_statuses(statuses: Collection[RunStatus]) -> frozenset[RunStatus]:
    if isinstance(statuses, str):
        statuses = [statuses]  # type: ignore[list-item]
    result = frozenset(_enum(RunStatus, s, "status") for s in _collection(statuses, "statuses"))
    live = sorted(s.value for s in result if not s.terminal)
    if live:
        raise InvalidInput(f"retention only deletes terminal runs; {live} are not terminal")
    if not result:
        raise InvalidInput("statuses must name at least one terminal status")
    return result
