"""Model <-> row conversion for runs, tasks, hooks and schedules.

Each :class:`ModelMap` lists (field, column, is_json) for one model. Values go through
:func:`pyworkflow.codec.record` (datetimes -> epoch microseconds, enums -> values), JSON fields
are stored as compact JSON text. Events are converted inline in the backend (the hot path).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pyworkflow._encoded import EncodedRun
from pyworkflow.codec import dumps, from_record, loads, record, record_changes, to_micros
from pyworkflow.models import Hook, Schedule, Task, WorkflowRun

__all__ = ["HOOKS", "RUNS", "SCHEDULES", "TASKS", "ModelMap", "run_row"]

M = TypeVar("M")

# The codec's exact encoder settings (compact, no ASCII escaping, NaN refused), called directly:
# to_row only ever sees models the contract layer has validated (check_run, check_task, ...), which
# already ran ``dumps`` with its key and depth checks on every JSON field, so repeating those
# checks here was pure cost (create_run profile: ~25 us of row building per run, ~12 us of it
# the checks and the encoding of None and {}). Anything the encoder still refuses goes through
# ``dumps`` for its typed error.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _json_text(value: Any) -> str:
    """``dumps(value)`` for an already validated value; None and {} without encoding."""
    if value is None:
        return "null"
    if type(value) is dict and not value:
        return "{}"
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError):
        return dumps(value)  # raises the typed InvalidInput


@dataclass(frozen=True)
class ModelMap(Generic[M]):
    """How one model maps onto one table."""

    model: type[M]
    table: str
    fields: tuple[tuple[str, str, bool], ...]  # (model field, column, stored as JSON text)
    _by_field: dict[str, tuple[str, bool]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_field", {f: (c, j) for f, c, j in self.fields})

    @property
    def columns(self) -> list[str]:
        return [c for _, c, _ in self.fields]

    @property
    def select_list(self) -> str:
        """The columns in field order, for ``SELECT`` and ``RETURNING``."""
        return ", ".join(self.columns)

    def to_row(self, obj: M) -> list[Any]:
        rec = record(obj)
        return [_json_text(rec[f]) if js else rec[f] for f, _, js in self.fields]

    def from_row(self, row: Sequence[Any]) -> M:
        data = {f: (loads(v) if js else v) for (f, _, js), v in zip(self.fields, row, strict=True)}
        return from_record(self.model, data)

    def changes(self, changes: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Any]]:
        """(columns, values) of a partial update, in a stable (sorted) column order."""
        rec = record_changes(self.model, dict(changes))
        cols: list[str] = []
        vals: list[Any] = []
        for name in sorted(rec):
            col, js = self._by_field[name]
            cols.append(col)
            vals.append(dumps(rec[name]) if js else rec[name])
        return tuple(cols), vals


def _plain(*names: str) -> list[tuple[str, str, bool]]:
    return [(n, n, False) for n in names]


def _json(*names: str) -> list[tuple[str, str, bool]]:
    return [(n, n, True) for n in names]


RUNS: ModelMap[WorkflowRun] = ModelMap(
    WorkflowRun,
    "pyworkflow_runs",
    (
        *_plain("id", "workflow_name", "status"),
        *_json("input", "result", "error", "context", "metadata"),
        *_plain(
            "idempotency_key",
            "parent_id",
            "continued_from",
            "continued_to",
            "created_at",
            "updated_at",
            "started_at",
            "completed_at",
        ),
    ),
)
TASKS: ModelMap[Task] = ModelMap(
    Task,
    "pyworkflow_tasks",
    (
        *_plain("id", "run_id", "kind", "due_at"),
        *_json("payload"),
        *_plain("attempts", "created_at"),
    ),
)
HOOKS: ModelMap[Hook] = ModelMap(
    Hook,
    "pyworkflow_hooks",
    (
        *_plain("token", "run_id", "name", "status"),
        *_json("payload"),
        ("url", "url", False),
        ("schema", "json_schema", True),
        *_json("metadata"),
        *_plain("created_at", "expires_at", "received_at"),
    ),
)
SCHEDULES: ModelMap[Schedule] = ModelMap(
    Schedule,
    "pyworkflow_schedules",
    (
        *_plain("id", "workflow_name", "status", "cron"),
        ("interval", "interval_s", True),
        *_json("calendar"),
        ("jitter", "jitter_s", True),
        ("timezone", "timezone", False),
        *_json("input"),
        *_plain("next_run_at", "last_run_at"),
        *_json("stats"),
        *_plain("revision", "created_at", "updated_at"),
    ),
)


def run_row(new: EncodedRun) -> list[Any]:
    """``RUNS.to_row(new.run)`` (same values, same column order) from a run the contract layer
    validated and encoded: its JSON columns are the texts validation produced, not encoded
    again, and the scalars are read straight off the run instead of through ``record``."""
    run = new.run
    started, completed = run.started_at, run.completed_at
    return [
        run.id,
        run.workflow_name,
        run.status.value,
        new.input,
        new.result,
        new.error,
        new.context,
        new.metadata,
        run.idempotency_key,
        run.parent_id,
        run.continued_from,
        run.continued_to,
        to_micros(run.created_at),
        to_micros(run.updated_at),
        None if started is None else to_micros(started),
        None if completed is None else to_micros(completed),
    ]
