"""Contract area 'runs': create/get/update/list of workflow runs (the
predecessor's backends diverged on filters, search and missing ids).

One documented behaviour on every backend: idempotency keys are atomic, status updates are
compare-and-swap, a missing id raises ``NotFound``, filters match exactly (``%`` and ``_`` are
plain characters, case matters), ``created_after`` is inclusive and ``created_before``
exclusive, and keyset paging neither repeats nor skips under concurrent writes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pyworkflow import ConflictError, NotFound, RunFilter, RunStatus, StorageBackend
from pyworkflow.models import utcnow

from pyworkflow_conformance.helpers import T0, aio, all_runs, gather, later, make_run, uid

__all__ = ["RunsContract"]


class RunsContract:
    """Workflow runs."""

    area = "runs"

    @aio
    async def test_create_and_get(self, backend: StorageBackend) -> None:
        run = make_run(input={"x": 1})
        stored, created = await backend.create_run(run)
        assert created is True
        assert stored == run
        assert await backend.get_run(run.id) == run
        assert await backend.get_run(uid("missing")) is None

    @aio
    async def test_existing_run_id_conflicts(self, backend: StorageBackend) -> None:
        run = make_run()
        await backend.create_run(run)
        with pytest.raises(ConflictError):
            await backend.create_run(make_run(id=run.id, workflow_name="other"))
        with pytest.raises(ConflictError):
            await backend.create_run(make_run(id=run.id, idempotency_key=uid("key")))
        assert await backend.get_run(run.id) == run

    @aio
    async def test_idempotency_key_returns_the_existing_run(self, backend: StorageBackend) -> None:
        key = uid("key")
        first = make_run(idempotency_key=key, input={"n": 1})
        await backend.create_run(first)
        second = make_run(idempotency_key=key, input={"n": 2})
        existing, created = await backend.create_run(second)
        assert created is False
        assert existing == first
        assert await backend.get_run(second.id) is None

    @aio
    async def test_update_applies_changes(self, backend: StorageBackend) -> None:
        run = make_run(created_at=T0, updated_at=T0)
        await backend.create_run(run)
        started = later(T0, 1.5)
        assert await backend.update_run(
            run.id,
            {"status": RunStatus.RUNNING, "started_at": started, "context": {"c": [1, 2]}},
        )
        got = await backend.get_run(run.id)
        assert got is not None
        assert (got.status, got.started_at, got.context) == (
            RunStatus.RUNNING,
            started,
            {"c": [1, 2]},
        )
        assert got.updated_at > T0
        assert got.completed_at is None
        assert (got.input, got.created_at, got.workflow_name) == (run.input, T0, run.workflow_name)

    @aio
    async def test_terminal_status_sets_completed_at(self, backend: StorageBackend) -> None:
        run = make_run(status=RunStatus.RUNNING)
        await backend.create_run(run)
        before = utcnow()
        assert await backend.update_run(run.id, {"status": RunStatus.FAILED, "error": {"m": "x"}})
        got = await backend.get_run(run.id)
        assert got is not None
        assert got.completed_at is not None
        assert got.completed_at >= before - timedelta(seconds=1)
        explicit = later(T0, 7)
        other = make_run(status=RunStatus.RUNNING)
        await backend.create_run(other)
        await backend.update_run(other.id, {"status": "completed", "completed_at": explicit})
        got = await backend.get_run(other.id)
        assert got is not None
        assert got.completed_at == explicit

    @aio
    async def test_update_is_compare_and_swap(self, backend: StorageBackend) -> None:
        run = make_run(status=RunStatus.RUNNING)
        await backend.create_run(run)
        assert not await backend.update_run(
            run.id, {"status": RunStatus.COMPLETED, "result": 1}, expected_status=RunStatus.PENDING
        )
        assert await backend.get_run(run.id) == run  # nothing written, not even updated_at
        assert await backend.update_run(
            run.id, {"status": RunStatus.SUSPENDED}, expected_status=RunStatus.RUNNING
        )
        got = await backend.get_run(run.id)
        assert got is not None
        assert got.status == RunStatus.SUSPENDED

    @aio
    async def test_update_of_missing_run_raises_not_found(self, backend: StorageBackend) -> None:
        # Some of the predecessor's backends silently ignored it.
        with pytest.raises(NotFound):
            await backend.update_run(uid("missing"), {"status": RunStatus.RUNNING})
        with pytest.raises(NotFound):
            await backend.update_run(
                uid("missing"), {"result": 1}, expected_status=RunStatus.RUNNING
            )

    @aio
    async def test_list_newest_first_with_ties_by_id(self, backend: StorageBackend) -> None:
        name = uid("wf")
        runs = [make_run(workflow_name=name, created_at=later(T0, i // 2)) for i in range(9)]
        for run in runs:
            await backend.create_run(run)
        expected = sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)
        assert await all_runs(backend, RunFilter(workflow_name=name)) == expected
        for limit in (1, 2, 4, 9, 10):
            assert await all_runs(backend, RunFilter(workflow_name=name), limit=limit) == expected
        page = await backend.list_runs(RunFilter(workflow_name=name), limit=9)
        assert page.next_cursor is None

    @aio
    async def test_workflow_name_matches_exactly(self, backend: StorageBackend) -> None:
        # The predecessor's `%` and `_` were wildcards, case handling differed.
        base = uid("n")
        names = [
            f"{base}a%b",
            f"{base}axb",
            f"{base}a_b",
            f"{base}aXb",
            f"{base}A%B",
            f"{base}a%",
            f"{base}a\\b",
        ]
        for name in names:
            await backend.create_run(make_run(workflow_name=name))
        for name in names:
            found = await all_runs(backend, RunFilter(workflow_name=name))
            assert [r.workflow_name for r in found] == [name], name

    @aio
    async def test_status_filter(self, backend: StorageBackend) -> None:
        name = uid("wf")
        by_status = {}
        for status in RunStatus:
            run = make_run(workflow_name=name, status=status)
            await backend.create_run(run)
            by_status[status] = run.id
        wanted = frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CONTINUED_AS_NEW})
        found = await all_runs(backend, RunFilter(workflow_name=name, statuses=wanted))
        assert {r.id for r in found} == {by_status[s] for s in wanted}
        assert await all_runs(backend, RunFilter(workflow_name=name, statuses=frozenset())) == []

    @aio
    async def test_created_at_range_inclusive_exclusive(self, backend: StorageBackend) -> None:
        name = uid("wf")
        runs = [make_run(workflow_name=name, created_at=later(T0, i)) for i in range(6)]
        for run in runs:
            await backend.create_run(run)
        flt = RunFilter(workflow_name=name, created_after=later(T0, 1), created_before=later(T0, 4))
        found = await all_runs(backend, flt)
        assert [r.id for r in found] == [runs[3].id, runs[2].id, runs[1].id]
        one_micro = timedelta(microseconds=1)
        flt = RunFilter(workflow_name=name, created_after=later(T0, 2) + one_micro)
        assert [r.id for r in await all_runs(backend, flt)] == [r.id for r in runs[5:2:-1]]
        flt = RunFilter(workflow_name=name, created_before=later(T0, 2) + one_micro)
        assert [r.id for r in await all_runs(backend, flt)] == [r.id for r in runs[2::-1]]

    @aio
    async def test_parent_filter_children_and_combined(self, backend: StorageBackend) -> None:
        parent = make_run()
        await backend.create_run(parent)
        kids = [
            make_run(parent_id=parent.id, created_at=later(T0, i), workflow_name=f"k{i % 2}")
            for i in range(5)
        ]
        for kid in kids:
            await backend.create_run(kid)
        await backend.create_run(make_run(parent_id=uid("other")))
        assert [r.id for r in await backend.children(parent.id)] == [k.id for k in kids]
        assert await backend.children(uid("nobody")) == []
        flt = RunFilter(parent_id=parent.id, workflow_name="k0", created_after=later(T0, 1))
        assert [r.id for r in await all_runs(backend, flt)] == [kids[4].id, kids[2].id]

    @aio
    async def test_chain_follows_continue_as_new(self, backend: StorageBackend) -> None:
        ids = [uid("run") for _ in range(3)]
        for i, run_id in enumerate(ids):
            await backend.create_run(
                make_run(
                    id=run_id,
                    status=RunStatus.CONTINUED_AS_NEW if i < 2 else RunStatus.RUNNING,
                    continued_from=ids[i - 1] if i else None,
                )
            )
        await backend.update_run(ids[0], {"continued_to": ids[1]})
        await backend.update_run(ids[1], {"continued_to": ids[2]})
        for member in ids:
            assert [r.id for r in await backend.chain(member)] == ids
        with pytest.raises(NotFound):
            await backend.chain(uid("missing"))

    @aio
    async def test_paging_is_stable_under_concurrent_writes(self, backend: StorageBackend) -> None:
        name = uid("wf")
        runs = [make_run(workflow_name=name, created_at=later(T0, i)) for i in range(40)]
        for run in runs:
            await backend.create_run(run)
        expected = [r.id for r in sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)]
        seen: list[str] = []
        done = asyncio.Event()

        async def page_through() -> None:
            cursor = None
            while True:
                page = await backend.list_runs(
                    RunFilter(workflow_name=name), limit=7, cursor=cursor
                )
                seen.extend(r.id for r in page.items)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            done.set()

        async def write() -> None:
            i = 0
            while not done.is_set() or i < 10:
                # Newer runs (ahead of any cursor) and updates of listed and unlisted runs.
                await backend.create_run(
                    make_run(workflow_name=name, created_at=later(T0, 1000 + i))
                )
                await backend.update_run(runs[i % 40].id, {"status": RunStatus.RUNNING})
                await backend.update_run(runs[-1 - i % 40].id, {"metadata": {"n": i}})
                i += 1
                if i > 200:
                    break

        await gather([page_through(), write()])
        originals = set(expected)
        listed = [run_id for run_id in seen if run_id in originals]
        assert listed == expected, "paging repeated, skipped or reordered a run"
        assert len(seen) == len(set(seen))
