"""Checks every SQL backend's own tests run against its real server (not shipped behaviour).

:func:`check_upgrade_from` opens an empty store at an earlier schema version, writes a row of
every kind, then opens it normally and checks the upgrade kept everything;
:func:`check_reapply_and_refuse_newer` proves a half-recorded migration is redone idempotently
and a newer schema is refused.
"""

from __future__ import annotations

from datetime import timedelta

from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import SchemaError
from pyworkflow.models import Hook, Schedule, Task, WorkflowRun, utcnow

from .backend import SqlBackend
from .migrations import LATEST
from .statements import Sql

__all__ = ["check_reapply_and_refuse_newer", "check_upgrade_from", "open_sql"]


def open_sql(url: str, *, target: int | None = None) -> SqlBackend:
    """A SQL backend for ``url`` that migrates only up to ``target`` (None = latest)."""
    backend = StorageBackend.from_url(url)
    assert isinstance(backend, SqlBackend), type(backend)
    backend._schema_target = target
    return backend


async def check_upgrade_from(url: str, version: int) -> None:
    """Create the schema at ``version``, store one of everything, upgrade, verify."""
    old = open_sql(url, target=version)
    now = utcnow()
    run = WorkflowRun(id="upgrade-run", workflow_name="wf", idempotency_key="upgrade-key")
    task = Task(id="upgrade-task", run_id=run.id, kind="timer", due_at=now)
    hook = Hook(run_id=run.id, name="h")
    schedule = Schedule(id="upgrade-schedule", workflow_name="wf", interval=5.0)
    async with old:
        assert await old.schema_version() == version
        await old.append(run.id, [NewEvent(type="a"), NewEvent(type="b")], expected_version=0)
        await old.create_run(run)
        await old.enqueue(task)
        await old.create_hook(hook)
        await old.create_schedule(schedule)
    new = open_sql(url)
    async with new:
        assert await new.schema_version() == LATEST
        assert [e.sequence for e in await new.read(run.id)] == [1, 2]
        assert await new.get_run(run.id) == run
        assert await new.get_hook(hook.token) == hook
        assert await new.get_schedule(schedule.id) == schedule
        leases = await new.claim("w", lease=timedelta(seconds=30), now=now)
        assert [lease.task.id for lease in leases] == [task.id]
        assert await new.append(run.id, [NewEvent(type="c")], expected_version=2) == 3


async def check_reapply_and_refuse_newer(url: str) -> None:
    """Redo a migration whose record was lost; refuse a schema newer than this code."""
    backend = open_sql(url)
    async with backend:
        await backend.append("keep", [NewEvent(type="a")], expected_version=0)
        # As if the process died after the last step's DDL but before recording it.
        forget = backend.q("DELETE FROM pyworkflow_schema WHERE version = ?")
        await backend._execute(forget, (LATEST,))
        assert await backend.schema_version() == LATEST - 1
    async with backend:  # the step is redone, idempotently
        assert await backend.schema_version() == LATEST
        assert await backend.version("keep") == 1
        await backend._execute(backend.q(Sql.RECORD_VERSION), (LATEST + 1, 0))
    newer = open_sql(url)
    refused: SchemaError | None = None
    try:
        await newer.connect()
    except SchemaError as exc:
        refused = exc
    else:
        await newer.close()
    assert refused is not None, "a schema newer than the code was accepted"
    assert "newer" in str(refused)
