"""``SqlBackend``: every primitive of the contract, once, for the three SQL dialects.

A dialect subclass (pyworkflow_postgres, pyworkflow_mysql, pyworkflow_sqlite) supplies only
driver glue: open/close its pool, run one statement, run a transaction, hold the schema lock,
recognise a unique violation, translate errors, and, where its SQL differs, the append and claim
statements. Statement text is built once (``?`` style, see :mod:`pyworkflow_sql.statements`) and
converted to the driver's parameter style once, so no call compiles SQL.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pyworkflow._encoded import EncodedRun
from pyworkflow._ids import new_id
from pyworkflow._rows import events_from_rows
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import dumps, to_micros
from pyworkflow.errors import ConflictError, NotFound, SchemaError
from pyworkflow.features import Features
from pyworkflow.models import (
    JSON,
    Event,
    Hook,
    Lease,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    Task,
    WorkflowRun,
    utcnow,
)
from pyworkflow.storage import StorageBackend
from sqlalchemy.engine.interfaces import Dialect

from .migrations import LATEST, MIGRATIONS, version_table_ddl
from .rows import HOOKS, RUNS, SCHEDULES, TASKS, run_row
from .statements import EVENT_COLS, Paramstyle, Sql, to_paramstyle
from .task_list import TaskListing

__all__ = ["Conn", "Row", "SqlBackend"]

Row = Sequence[Any]


class Conn(Protocol):
    """One connection inside a transaction (or holding the schema lock)."""

    async def execute(self, sql: str, args: Sequence[Any]) -> int:
        """Run a statement already in the driver's style; return the affected row count."""

    async def query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        """Run a statement already in the driver's style; return its rows as tuples."""


class SqlBackend(TaskListing, StorageBackend):
    """The shared implementation. Subclasses set the class attributes and driver glue."""

    features = Features(migrations=True)
    #: SQLAlchemy dialect used to compile the DDL.
    ddl_dialect: ClassVar[Dialect]
    paramstyle: ClassVar[Paramstyle] = "qmark"
    #: Appended to INSERTs that must not fail on an existing key ('' = catch the violation).
    insert_ignore: ClassVar[str] = " ON CONFLICT DO NOTHING"
    #: Test hook: migrate only up to this version (None = latest).
    _schema_target: int | None = None

    # -- driver glue -------------------------------------------------------------------------

    @abc.abstractmethod
    async def _open_driver(self) -> None:
        """Open pools/connections (no schema work)."""

    @abc.abstractmethod
    async def _close_driver(self) -> None:
        """Close everything :meth:`_open_driver` opened. Must not raise for a half-open state."""

    @abc.abstractmethod
    async def _execute(self, sql: str, args: Sequence[Any]) -> int:
        """One autocommitted write statement; the affected row count."""

    @abc.abstractmethod
    async def _query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        """One read statement; its rows."""

    async def _write_query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        """One autocommitted write statement with RETURNING; its rows."""
        return await self._query(sql, args)

    @abc.abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Conn]:
        """A transaction: committed on a clean exit, rolled back on an exception."""

    @abc.abstractmethod
    def _schema_session(self) -> AbstractAsyncContextManager[Conn]:
        """A connection holding the database-wide migration lock for its whole life."""

    @abc.abstractmethod
    def _is_unique_violation(self, exc: BaseException) -> bool: ...

    def _is_duplicate_index(self, exc: BaseException) -> bool:
        """Whether a CREATE INDEX failed only because the index exists (MySQL 8)."""
        return False

    def _mysql_collation(self) -> str | None:
        return None

    def q(self, sql: str) -> str:
        """``sql`` in this driver's parameter style (cached)."""
        return to_paramstyle(sql, self.paramstyle)

    # -- lifecycle ---------------------------------------------------------------------------

    async def _connect(self) -> None:
        await self._open_driver()
        try:
            await self._migrate()
        except BaseException:
            await self._close_driver()
            raise

    async def _close(self) -> None:
        await self._close_driver()

    async def _migrate(self) -> None:
        """Create or upgrade the schema under the database lock (see migrations.py)."""
        target = LATEST if self._schema_target is None else self._schema_target
        collation = self._mysql_collation()
        async with self._schema_session() as conn:
            await conn.execute(version_table_ddl(self.ddl_dialect, mysql_collation=collation), ())
            rows = await conn.query(self.q(Sql.SCHEMA_VERSION), ())
            current = int(rows[0][0] or 0)
            if current > LATEST:
                raise SchemaError(
                    f"the database schema is at version {current}, newer than this pyworkflow "
                    f"understands ({LATEST}); upgrade pyworkflow"
                )
            for migration in MIGRATIONS:
                if not current < migration.version <= target:
                    continue
                for stmt in migration.statements(self.ddl_dialect, mysql_collation=collation):
                    try:
                        await conn.execute(stmt, ())
                    except Exception as exc:
                        if not self._is_duplicate_index(exc):
                            raise
                await conn.execute(
                    self.q(Sql.RECORD_VERSION), (migration.version, to_micros(utcnow()))
                )

    async def schema_version(self) -> int:
        """The version recorded in the database (for tests and ``storage migrate``)."""
        self._require_open()
        rows = await self._call(self._query(self.q(Sql.SCHEMA_VERSION), ()))
        return int(rows[0][0] or 0)

    # -- events ------------------------------------------------------------------------------

    def _append_statement(
        self, run_id: str, events: list[EncodedEvent], expected: int
    ) -> tuple[str, Sequence[Any]]:
        """The one guarded INSERT ... SELECT for this dialect (default: multi-row VALUES)."""
        n = len(events)
        rows = ", ".join(["(?, ?, ?, ?, ?, ?)"] * n)
        sql = self.q(
            f"INSERT INTO pyworkflow_events ({EVENT_COLS}) SELECT * FROM (VALUES {rows}) "
            f"AS v WHERE {Sql.GUARD}"
        )
        args: list[Any] = []
        for i, e in enumerate(events, expected + 1):
            args += (run_id, i, e.id, e.type, e.data, to_micros(e.timestamp))
        args += (expected, run_id, expected)
        return sql, args

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        sql, args = self._append_statement(run_id, events, expected_version)
        try:
            inserted = await self._execute(sql, args)
        except Exception as exc:
            if self._is_unique_violation(exc):
                raise ConflictError(
                    f"append to run {run_id!r} at version {expected_version} lost a race or "
                    "repeats an event id"
                ) from exc
            raise
        if inserted != len(events):
            raise ConflictError(f"run {run_id!r} is not at version {expected_version}")
        return expected_version + len(events)

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        return events_from_rows(run_id, await self._read_rows(run_id, after, limit, types))

    async def _read_rows(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> Sequence[Row]:
        """The ``(seq, id, type, data text, ts)`` rows a read returns, in sequence order."""
        args: list[Any] = [run_id, after]
        if types:
            args += sorted(types)
        if limit is not None:
            args.append(limit)
        return await self._query(
            self.q(Sql.read(len(types) if types else 0, limit is not None)), args
        )

    async def _version(self, run_id: str) -> int:
        rows = await self._query(self.q(Sql.VERSION), (run_id,))
        return int(rows[0][0] or 0) if rows else 0

    # -- runs --------------------------------------------------------------------------------

    async def _insert_new(self, sql: str, args: Sequence[Any]) -> bool:
        """Insert a row unless its key exists; whether it was inserted."""
        try:
            return await self._execute(self.q(sql + self.insert_ignore), args) == 1
        except Exception as exc:
            if self._is_unique_violation(exc):
                return False
            raise

    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        run = new.run
        row = run_row(new)  # the JSON columns as validation encoded them
        for _ in range(3):  # the key's owner may be deleted between our two statements
            if await self._insert_new(Sql.INSERT_RUN, row):
                return run, True
            if run.idempotency_key is not None:
                found = await self._query(self.q(Sql.RUN_BY_KEY), (run.idempotency_key,))
                if found:
                    return RUNS.from_row(found[0]), False
            if await self._query(self.q(Sql.RUN_EXISTS), (run.id,)):
                raise ConflictError(f"run {run.id!r} exists already")
        raise ConflictError(f"run {run.id!r} could not be created (its key keeps changing)")

    async def _get_run(self, run_id: str) -> WorkflowRun | None:
        rows = await self._query(self.q(Sql.GET_RUN), (run_id,))
        return RUNS.from_row(rows[0]) if rows else None

    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        cols, vals = RUNS.changes(changes)
        guard = None if expected_status is None else "status"
        args = [*vals, run_id] + ([] if expected_status is None else [expected_status.value])
        if await self._execute(self.q(Sql.update(RUNS.table, cols, "id", guard)), args):
            return True
        if not await self._query(self.q(Sql.RUN_EXISTS), (run_id,)):
            raise NotFound(f"run {run_id!r} does not exist")
        return False

    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        if flt.statuses is not None and not flt.statuses:
            return []
        statuses = sorted(s.value for s in flt.statuses) if flt.statuses else []
        args: list[Any] = []
        if flt.workflow_name is not None:
            args.append(flt.workflow_name)
        args += statuses
        if flt.created_after is not None:
            args.append(to_micros(flt.created_after))
        if flt.created_before is not None:
            args.append(to_micros(flt.created_before))
        if flt.parent_id is not None:
            args.append(flt.parent_id)
        if after is not None:
            at = to_micros(after[0])
            args += (at, at, after[1])
        args.append(limit)
        sql = Sql.list_runs(
            flt.workflow_name is not None,
            len(statuses),
            flt.created_after is not None,
            flt.created_before is not None,
            flt.parent_id is not None,
            after is not None,
        )
        return [RUNS.from_row(r) for r in await self._query(self.q(sql), args)]

    # -- tasks -------------------------------------------------------------------------------

    async def _enqueue(self, task: Task) -> bool:
        return await self._insert_new(Sql.INSERT_TASK, TASKS.to_row(task))

    def _claim_statement(self) -> str:
        """One statement that leases due tasks and returns them (SQLite form)."""
        return (
            f"UPDATE {TASKS.table} SET {Sql.CLAIM_SET} WHERE id IN ({Sql.DUE}) "
            f"RETURNING {TASKS.select_list}"
        )

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        token = new_id()
        at = to_micros(now)
        rows = await self._write_query(
            self.q(self._claim_statement()),
            (worker, token, to_micros(expires_at), at, at, limit),
        )
        return self._leases(rows, worker, token, expires_at, claimed=True)

    @staticmethod
    def _leases(
        rows: Sequence[Row], worker: str, token: str, expires_at: datetime, *, claimed: bool
    ) -> list[Lease]:
        """Leases from task rows (``claimed``: attempts already incremented), due order."""
        tasks = [TASKS.from_row(r) for r in rows]
        if not claimed:
            tasks = [
                Task(
                    id=t.id,
                    run_id=t.run_id,
                    kind=t.kind,
                    due_at=t.due_at,
                    payload=t.payload,
                    attempts=t.attempts + 1,
                    created_at=t.created_at,
                )
                for t in tasks
            ]
        tasks.sort(key=lambda t: (t.due_at, t.id))
        return [Lease(task=t, worker=worker, token=token, expires_at=expires_at) for t in tasks]

    async def _complete(self, task_id: str, token: str) -> bool:
        return await self._execute(self.q(Sql.COMPLETE), (task_id, token)) == 1

    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool:
        return await self._execute(self.q(Sql.EXTEND), (to_micros(expires_at), task_id, token)) == 1

    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool:
        return await self._execute(self.q(Sql.RELEASE), (to_micros(due_at), task_id, token)) == 1

    # -- hooks -------------------------------------------------------------------------------

    async def _create_hook(self, hook: Hook) -> None:
        if not await self._insert_new(Sql.INSERT_HOOK, HOOKS.to_row(hook)):
            raise ConflictError("a hook with this token exists already")

    async def _get_hook(self, token: str) -> Hook | None:
        rows = await self._query(self.q(Sql.GET_HOOK), (token,))
        return HOOKS.from_row(rows[0]) if rows else None

    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        at = to_micros(now)
        if await self._execute(self.q(Sql.RESOLVE_HOOK), (dumps(payload), at, token, at)):
            return True
        return False if await self._query(self.q(Sql.HOOK_EXISTS), (token,)) else None

    # -- schedules ---------------------------------------------------------------------------

    async def _create_schedule(self, schedule: Schedule) -> None:
        if not await self._insert_new(Sql.INSERT_SCHEDULE, SCHEDULES.to_row(schedule)):
            raise ConflictError(f"schedule {schedule.id!r} exists already")

    async def _get_schedule(self, schedule_id: str) -> Schedule | None:
        rows = await self._query(self.q(Sql.GET_SCHEDULE), (schedule_id,))
        return SCHEDULES.from_row(rows[0]) if rows else None

    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        cols, vals = SCHEDULES.changes(changes)
        guard = None if expected_revision is None else "revision"
        args = [*vals, schedule_id] + ([] if expected_revision is None else [expected_revision])
        if await self._execute(self.q(Sql.update(SCHEDULES.table, cols, "id", guard)), args):
            return True
        if not await self._query(self.q(Sql.SCHEDULE_EXISTS), (schedule_id,)):
            raise NotFound(f"schedule {schedule_id!r} does not exist")
        return False

    async def _delete_schedule(self, schedule_id: str) -> bool:
        return await self._execute(self.q(Sql.DELETE_SCHEDULE), (schedule_id,)) > 0

    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        args: list[Any] = [] if status is None else [status.value]
        if after_id is not None:
            args.append(after_id)
        args.append(limit)
        sql = Sql.list_schedules(status is not None, after_id is not None)
        return [SCHEDULES.from_row(r) for r in await self._query(self.q(sql), args)]

    # -- retention ---------------------------------------------------------------------------

    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        wanted = sorted(s.value for s in statuses)
        cutoff = to_micros(older_than)
        doomed = await self._query(self.q(Sql.doomed(len(wanted))), (cutoff, *wanted))
        delete_run = self.q(Sql.delete_run(len(wanted)))
        deleted = 0
        for (run_id,) in doomed:
            # One transaction per run: the run row first (re-checking the condition, so a run
            # changed meanwhile is kept), then its events, tasks and hooks.
            async with self._transaction() as conn:
                if not await conn.execute(delete_run, (run_id, cutoff, *wanted)):
                    continue
                for sql in Sql.DELETE_RUN_ROWS:
                    await conn.execute(self.q(sql), (run_id,))
                deleted += 1
        return deleted
