"""Contract area 'concurrency': races decided by the database (the predecessor's shared
sequences, duplicate idempotent runs and lost updates).

Every test runs real concurrent callers (no sleeps as synchronization) and then checks the
store: nothing duplicated, nothing lost, exactly one winner where the contract says so. The
multi-instance variants give each caller its own backend instance (its own connections), which
is what separate processes do; they need ``features.multi_process``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import pytest
from pyworkflow import ConflictError, NewEvent, RunFilter, RunStatus, StorageBackend

from pyworkflow_conformance.helpers import aio, gather, make_run, make_schedule, require, uid

__all__ = ["ConcurrencyContract"]

OpenBackend = Callable[..., Awaitable[StorageBackend]]
APPENDERS = 16
PER_APPENDER = 100
#: How many times the 16 x 100 race on one run is repeated (PYWORKFLOW_CONFORMANCE_ROUNDS).
ROUNDS = int(os.environ.get("PYWORKFLOW_CONFORMANCE_ROUNDS", "3"))
MAX_TRIES = 100_000  # a livelock guard, far above what a correct backend needs


async def _append_one_by_one(
    backend: StorageBackend, run_id: str, worker: int, count: int, size: int = 1
) -> list[tuple[int, list[str]]]:
    """Append ``count`` batches of ``size``: read version, append, on conflict re-read and retry.

    Returns the acknowledged (new version, event ids) in acknowledgement order.
    """
    acked: list[tuple[int, list[str]]] = []
    tries = 0
    for i in range(count):
        batch = [
            NewEvent(type="c", data={"w": worker, "i": i, "j": j}, id=uid(f"w{worker}"))
            for j in range(size)
        ]
        while True:
            tries += 1
            assert tries < MAX_TRIES, f"appender {worker} made no progress"
            version = await backend.version(run_id)
            try:
                new = await backend.append(run_id, batch, expected_version=version)
            except ConflictError:
                continue
            assert new == version + size, f"append at {version} of {size} returned {new}"
            acked.append((new, [e.id for e in batch]))
            break
    return acked


async def _check_log(
    backend: StorageBackend, run_id: str, results: list[list[tuple[int, list[str]]]]
) -> None:
    """Every acknowledged event is in the log exactly once at its acknowledged sequence."""
    log = await backend.read(run_id)
    total = sum(len(ids) for acked in results for _, ids in acked)
    assert [e.sequence for e in log] == list(range(1, total + 1)), "sequences not 1..n dense"
    assert len({e.id for e in log}) == total, "an event id is stored twice"
    by_seq = {e.sequence: e.id for e in log}
    for worker, acked in enumerate(results):
        versions = [v for v, _ in acked]
        assert versions == sorted(versions), f"appender {worker}'s acks went back in time"
        for new, ids in acked:
            first = new - len(ids) + 1
            assert [by_seq[s] for s in range(first, new + 1)] == ids, (
                f"appender {worker}: log at {first}..{new} is not what was acknowledged"
            )
        # Replay order equals acknowledgement order for this appender.
        mine = [(e.data["i"], e.data["j"]) for e in log if e.data["w"] == worker]
        assert mine == sorted(mine)
    acked_versions = [v for acked in results for v, _ in acked]
    assert len(set(acked_versions)) == len(acked_versions), "two appends acked one version"
    assert await backend.version(run_id) == total


class ConcurrencyContract:
    """Concurrent writers on one store.

    ``contention_rounds`` (default 3, or ``PYWORKFLOW_CONFORMANCE_ROUNDS``) and
    ``contention_per_appender`` (default 100) size the race of 16 appenders on one run. A
    backend whose test server serializes every request (moto) may lower them in its subclass;
    the property checked is the same, only the number of collisions differs.
    """

    area = "concurrency"
    contention_rounds: int = ROUNDS
    contention_per_appender: int = PER_APPENDER

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # pytest calls this hook on the test class: the subclass's setting decides the rounds.
        if "round_" in metafunc.fixturenames:
            metafunc.parametrize("round_", range(1, self.contention_rounds + 1))

    @aio
    async def test_concurrent_appenders_on_one_run(
        self, backend: StorageBackend, round_: int
    ) -> None:
        # The predecessor's MAX(seq)+1 gave 99% of events a shared sequence.
        run_id = uid("run")
        results = await gather(
            _append_one_by_one(backend, run_id, w, self.contention_per_appender)
            for w in range(APPENDERS)
        )
        await _check_log(backend, run_id, results)

    @aio
    async def test_concurrent_appenders_on_separate_instances(
        self, backend: StorageBackend, open_backend: OpenBackend
    ) -> None:
        require(backend, "multi_process")
        instances = [await open_backend() for _ in range(APPENDERS)]
        run_id = uid("run")
        results = await gather(
            _append_one_by_one(b, run_id, w, self.contention_per_appender)
            for w, b in enumerate(instances)
        )
        await _check_log(backend, run_id, results)

    @aio
    async def test_concurrent_batches_are_atomic(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        size = min(5, backend.features.max_batch)
        results = await gather(
            _append_one_by_one(backend, run_id, w, 10, size=size) for w in range(8)
        )
        await _check_log(backend, run_id, results)

    async def _one_idempotent_run(self, stores: list[StorageBackend]) -> None:
        key = uid("key")
        name = uid("wf")
        runs = [make_run(workflow_name=name, idempotency_key=key) for _ in stores]
        results = await gather(s.create_run(r) for s, r in zip(stores, runs, strict=True))
        created = [run for run, was_created in results if was_created]
        assert len(created) == 1, f"{len(created)} runs created for one idempotency key"
        winner = created[0]
        assert {run.id for run, _ in results} == {winner.id}
        assert all(run == winner for run, _ in results)
        losers = [r.id for r in runs if r.id != winner.id]
        for run_id in losers:
            assert await stores[0].get_run(run_id) is None
        page = await stores[0].list_runs(RunFilter(workflow_name=name))
        assert [r.id for r in page.items] == [winner.id]

    @aio
    async def test_concurrent_create_run_one_idempotency_key(self, backend: StorageBackend) -> None:
        # The predecessor's check-then-act created duplicates or overwrote silently.
        await self._one_idempotent_run([backend] * 16)

    @aio
    async def test_concurrent_create_run_one_key_separate_instances(
        self, backend: StorageBackend, open_backend: OpenBackend
    ) -> None:
        require(backend, "multi_process")
        await self._one_idempotent_run([await open_backend() for _ in range(16)])

    async def _one_transition(self, stores: list[StorageBackend]) -> None:
        run, _ = await stores[0].create_run(make_run(status=RunStatus.RUNNING))
        outcomes = await gather(
            s.update_run(
                run.id,
                {"status": RunStatus.COMPLETED, "result": {"by": i}},
                expected_status=RunStatus.RUNNING,
            )
            for i, s in enumerate(stores)
        )
        assert outcomes.count(True) == 1, f"{outcomes.count(True)} transitions won"
        stored = await stores[0].get_run(run.id)
        assert stored is not None
        assert stored.status == RunStatus.COMPLETED
        assert stored.result == {"by": outcomes.index(True)}

    @aio
    async def test_concurrent_status_transitions_compare_and_swap(
        self, backend: StorageBackend
    ) -> None:
        # The predecessor made status updates without compare-and-swap.
        await self._one_transition([backend] * 16)

    @aio
    async def test_concurrent_transitions_separate_instances(
        self, backend: StorageBackend, open_backend: OpenBackend
    ) -> None:
        require(backend, "multi_process")
        await self._one_transition([await open_backend() for _ in range(16)])

    @aio
    async def test_concurrent_schedule_updates_lose_nothing(self, backend: StorageBackend) -> None:
        # The predecessor's read-modify-write of a schedule's state lost updates.
        schedule = await backend.create_schedule(make_schedule(stats={"fired": 0}))
        workers, per_worker = 8, 5

        async def bump() -> None:
            for _ in range(per_worker):
                while True:
                    current = await backend.get_schedule(schedule.id)
                    assert current is not None
                    stats = {"fired": current.stats["fired"] + 1}
                    if await backend.update_schedule(
                        schedule.id, {"stats": stats}, expected_revision=current.revision
                    ):
                        break

        await gather(bump() for _ in range(workers))
        final = await backend.get_schedule(schedule.id)
        assert final is not None
        assert final.stats == {"fired": workers * per_worker}
        assert final.revision == 1 + workers * per_worker
