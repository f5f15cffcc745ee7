"""Contract area 'tasks': durable timers and the work queue (the predecessor
read due timers without a claim, so two schedulers fired one).

A claim leases due tasks, earliest first; while a lease holds nobody else gets the task, in
any instance; an expired lease is re-claimable with a new token; ``attempts`` counts claims;
complete/extend/release with a lease that no longer holds raise ``LeaseLost``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from pyworkflow import Lease, LeaseLost, StorageBackend, Task

from pyworkflow_conformance.helpers import T0, aio, gather, later, make_task, require, uid

__all__ = ["TasksContract"]

OpenBackend = Callable[..., Awaitable[StorageBackend]]
LEASE = timedelta(minutes=5)


async def _drain(
    stores: list[StorageBackend], now_offset: float = 10.0, cap: int = 1000
) -> list[list[Lease]]:
    """Every store claims (limit 3) concurrently until none gets anything; leases per store.

    A worker stops after ``cap`` leases, so a backend that hands out leased tasks again makes
    the caller's checks fail instead of looping forever.
    """

    async def worker(i: int, store: StorageBackend) -> list[Lease]:
        got: list[Lease] = []
        while len(got) <= cap:
            leases = await store.claim(f"w{i}", lease=LEASE, limit=3, now=later(T0, now_offset))
            if not leases:
                return got
            got.extend(leases)
        return got

    return await gather(worker(i, s) for i, s in enumerate(stores))


class TasksContract:
    """Tasks, claims and leases."""

    area = "tasks"

    @aio
    async def test_enqueue_is_idempotent_on_id(self, backend: StorageBackend) -> None:
        task = make_task(payload={"v": 1})
        assert await backend.enqueue(task) is True
        assert await backend.enqueue(make_task(id=task.id, payload={"v": 2})) is False
        (lease,) = await backend.claim("w", lease=LEASE, now=later(T0, 1))
        assert lease.task.payload == {"v": 1}
        assert await backend.claim("w", lease=LEASE, now=later(T0, 1)) == []

    @aio
    async def test_only_due_tasks_are_claimed_earliest_first(self, backend: StorageBackend) -> None:
        tasks = [make_task(due_at=later(T0, s)) for s in (30, 10, 20, 40)]
        for task in tasks:
            await backend.enqueue(task)
        assert await backend.claim("w", lease=LEASE, now=later(T0, 5)) == []
        got = await backend.claim("w", lease=LEASE, limit=10, now=later(T0, 30))
        assert [lease.task.id for lease in got] == [tasks[1].id, tasks[2].id, tasks[0].id]
        got = await backend.claim("w", lease=LEASE, limit=10, now=later(T0, 40))
        assert [lease.task.id for lease in got] == [tasks[3].id]

    @aio
    async def test_claim_respects_limit(self, backend: StorageBackend) -> None:
        for i in range(5):
            await backend.enqueue(make_task(due_at=later(T0, i)))
        assert len(await backend.claim("w", lease=LEASE, limit=2, now=later(T0, 10))) == 2
        assert len(await backend.claim("w", lease=LEASE, limit=2, now=later(T0, 10))) == 2
        assert len(await backend.claim("w", lease=LEASE, limit=2, now=later(T0, 10))) == 1

    @aio
    async def test_lease_fields(self, backend: StorageBackend) -> None:
        task = make_task()
        await backend.enqueue(task)
        now = later(T0, 3)
        (lease,) = await backend.claim("worker-1", lease=LEASE, now=now)
        assert lease.worker == "worker-1"
        assert lease.expires_at == now + LEASE
        assert lease.task.attempts == 1
        assert lease.token

    @aio
    async def test_held_lease_blocks_expired_lease_is_reclaimable(
        self, backend: StorageBackend
    ) -> None:
        task = make_task()
        await backend.enqueue(task)
        first = (await backend.claim("a", lease=60, now=later(T0, 1)))[0]
        assert await backend.claim("b", lease=60, now=later(T0, 60)) == []  # still held
        second = (await backend.claim("b", lease=60, now=later(T0, 61)))[0]  # expired
        assert second.task.id == task.id
        assert second.token != first.token
        assert (first.task.attempts, second.task.attempts) == (1, 2)
        for stale in (backend.complete(first), backend.extend(first, 30), backend.release(first)):
            with pytest.raises(LeaseLost):
                await stale
        await backend.complete(second)
        with pytest.raises(LeaseLost):
            await backend.complete(second)
        assert await backend.claim("c", lease=60, now=later(T0, 10_000)) == []

    @aio
    async def test_expired_lease_not_reclaimed_still_holds(self, backend: StorageBackend) -> None:
        await backend.enqueue(make_task())
        (lease,) = await backend.claim("a", lease=1, now=T0)
        # Expired long ago by the claim's clock, but nobody re-claimed it.
        extended = await backend.extend(lease, 60)
        assert extended.token == lease.token
        await backend.complete(extended)

    @aio
    async def test_extend_moves_the_expiry(self, backend: StorageBackend) -> None:
        from pyworkflow.models import utcnow

        await backend.enqueue(make_task(due_at=T0))
        start = utcnow()
        (lease,) = await backend.claim("a", lease=1, now=start)
        extended = await backend.extend(lease, timedelta(hours=1))
        assert extended.expires_at >= start + timedelta(minutes=59)
        # Past the original expiry, before the extended one: still held.
        assert await backend.claim("b", lease=1, now=start + timedelta(minutes=30)) == []
        again = await backend.claim("b", lease=1, now=start + timedelta(hours=2))
        assert [lease.task.attempts for lease in again] == [2]

    @aio
    async def test_release_returns_the_task_due_at(self, backend: StorageBackend) -> None:
        task = make_task(payload={"p": [1]})
        await backend.enqueue(task)
        (lease,) = await backend.claim("a", lease=LEASE, now=later(T0, 1))
        await backend.release(lease, due_at=later(T0, 100))
        with pytest.raises(LeaseLost):
            await backend.release(lease)
        assert await backend.claim("b", lease=LEASE, now=later(T0, 99)) == []
        (again,) = await backend.claim("b", lease=LEASE, now=later(T0, 100))
        assert again.task.attempts == 2
        assert again.task.due_at == later(T0, 100)
        assert (again.task.payload, again.task.run_id, again.task.kind) == (
            task.payload,
            task.run_id,
            task.kind,
        )

    async def _no_double_claims(self, stores: list[StorageBackend], count: int) -> None:
        run_id = uid("run")
        tasks: list[Task] = [
            make_task(run_id=run_id, due_at=later(T0, i % 7)) for i in range(count)
        ]
        for task in tasks:
            await stores[0].enqueue(task)
        per_worker = await _drain(stores, cap=count)
        claimed = [lease.task.id for leases in per_worker for lease in leases]
        assert len(claimed) == len(set(claimed)), "one task was handed to two workers"
        assert set(claimed) == {t.id for t in tasks}
        assert all(lease.task.attempts == 1 for leases in per_worker for lease in leases)

    @aio
    async def test_two_workers_never_share_a_task(self, backend: StorageBackend) -> None:
        await self._no_double_claims([backend, backend], 40)

    @aio
    async def test_eight_workers_never_share_a_task(self, backend: StorageBackend) -> None:
        await self._no_double_claims([backend] * 8, 120)

    @aio
    async def test_eight_instances_never_share_a_task(
        self, backend: StorageBackend, open_backend: OpenBackend
    ) -> None:
        require(backend, "multi_process")
        await self._no_double_claims([await open_backend() for _ in range(8)], 120)

    @aio
    async def test_reclaim_of_expired_leases_under_contention(
        self, backend: StorageBackend
    ) -> None:
        for _ in range(20):
            await backend.enqueue(make_task())
        first = await _drain([backend] * 4, now_offset=1)
        # All leases expired at T0+1+300s: every task goes to exactly one new worker.
        second = await _drain([backend] * 4, now_offset=1000)
        ids = [lease.task.id for leases in second for lease in leases]
        assert sorted(ids) == sorted(lease.task.id for leases in first for lease in leases)
        assert len(ids) == len(set(ids)) == 20
        assert {lease.task.attempts for leases in second for lease in leases} == {2}
