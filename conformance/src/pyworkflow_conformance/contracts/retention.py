"""Contract area 'retention': ``delete_runs`` (the predecessor
never purged deleted schedules and could half-delete a run).

Exactly the runs in the named terminal statuses whose ``completed_at`` is before the cutoff go,
each with its events, tasks and hooks; everything else stays, including children of a deleted
parent and runs without ``completed_at``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pyworkflow import InvalidInput, RunStatus, StorageBackend, WorkflowRun

from pyworkflow_conformance.helpers import (
    T0,
    aio,
    events,
    later,
    make_hook,
    make_run,
    make_task,
    uid,
)

__all__ = ["RetentionContract"]

CUTOFF = later(T0, 3600)
OLD = later(T0, 60)
RECENT = later(T0, 7200)


async def _with_rows(backend: StorageBackend, run: WorkflowRun) -> tuple[WorkflowRun, str, str]:
    """Store ``run`` plus two events, a task and a hook; return (run, task id, hook token)."""
    await backend.create_run(run)
    await backend.append(run.id, events(2), expected_version=0)
    task = make_task(run_id=run.id, due_at=later(T0, 10**7))
    await backend.enqueue(task)
    hook = await backend.create_hook(make_hook(run_id=run.id))
    return run, task.id, hook.token


async def _exists(backend: StorageBackend, rows: tuple[WorkflowRun, str, str]) -> bool:
    """Whether the run and all of its rows exist; fails if only some of them do."""
    run, _, token = rows
    parts = [
        await backend.get_run(run.id) is not None,
        await backend.version(run.id) == 2,
        await backend.get_hook(token) is not None,
    ]
    assert len(set(parts)) == 1, f"run {run.id} is half deleted: {parts}"
    return parts[0]


async def _task_ids(backend: StorageBackend) -> set[str]:
    leases = await backend.claim("sweeper", lease=60, limit=1000, now=later(T0, 10**8))
    return {lease.task.id for lease in leases}


class RetentionContract:
    """Retention."""

    area = "retention"

    @aio
    async def test_deletes_exactly_old_terminal_runs_with_their_rows(
        self, backend: StorageBackend
    ) -> None:
        doomed = [
            await _with_rows(backend, make_run(status=s, completed_at=OLD, created_at=T0))
            for s in (
                RunStatus.COMPLETED,
                RunStatus.FAILED,
                RunStatus.CANCELLED,
                RunStatus.CONTINUED_AS_NEW,
            )
        ]
        parent = doomed[0][0]
        kept = [
            await _with_rows(backend, make_run(status=RunStatus.COMPLETED, completed_at=RECENT)),
            await _with_rows(backend, make_run(status=RunStatus.COMPLETED, completed_at=CUTOFF)),
            await _with_rows(backend, make_run(status=RunStatus.COMPLETED)),  # no completed_at
            await _with_rows(backend, make_run(status=RunStatus.RUNNING, completed_at=OLD)),
            await _with_rows(backend, make_run(status=RunStatus.SUSPENDED, completed_at=OLD)),
            # A live child of a deleted parent stays, still naming its parent.
            await _with_rows(backend, make_run(status=RunStatus.RUNNING, parent_id=parent.id)),
        ]
        assert await backend.delete_runs(older_than=CUTOFF) == len(doomed)
        for rows in doomed:
            assert not await _exists(backend, rows)
        for rows in kept:
            assert await _exists(backend, rows)
        assert await _task_ids(backend) == {task_id for _, task_id, _ in kept}
        child = await backend.get_run(kept[-1][0].id)
        assert child is not None
        assert child.parent_id == parent.id
        assert await backend.delete_runs(older_than=CUTOFF) == 0

    @aio
    async def test_only_the_named_statuses(self, backend: StorageBackend) -> None:
        failed = await _with_rows(backend, make_run(status=RunStatus.FAILED, completed_at=OLD))
        done = await _with_rows(backend, make_run(status=RunStatus.COMPLETED, completed_at=OLD))
        assert await backend.delete_runs(older_than=CUTOFF, statuses=[RunStatus.FAILED]) == 1
        assert not await _exists(backend, failed)
        assert await _exists(backend, done)

    @aio
    async def test_children_are_deleted_when_they_qualify(self, backend: StorageBackend) -> None:
        parent = await _with_rows(backend, make_run(status=RunStatus.COMPLETED, completed_at=OLD))
        child = await _with_rows(
            backend,
            make_run(status=RunStatus.COMPLETED, completed_at=OLD, parent_id=parent[0].id),
        )
        assert await backend.delete_runs(older_than=CUTOFF) == 2
        assert not await _exists(backend, parent)
        assert not await _exists(backend, child)

    @aio
    async def test_deleted_run_frees_its_idempotency_key(self, backend: StorageBackend) -> None:
        key = uid("key")
        run = make_run(status=RunStatus.COMPLETED, completed_at=OLD, idempotency_key=key)
        await backend.create_run(run)
        assert await backend.delete_runs(older_than=CUTOFF) == 1
        fresh = make_run(idempotency_key=key)
        assert await backend.create_run(fresh) == (fresh, True)

    @aio
    async def test_rejects_non_terminal_statuses(self, backend: StorageBackend) -> None:
        rows = await _with_rows(backend, make_run(status=RunStatus.COMPLETED, completed_at=OLD))
        for statuses in (
            [RunStatus.RUNNING],
            [RunStatus.COMPLETED, RunStatus.PENDING],
            [],
            ["bogus"],
        ):
            with pytest.raises(InvalidInput):
                await backend.delete_runs(older_than=CUTOFF, statuses=statuses)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await backend.delete_runs(older_than=CUTOFF.replace(tzinfo=None))
        assert await _exists(backend, rows)
        assert await backend.delete_runs(older_than=OLD + timedelta(microseconds=1)) == 1
