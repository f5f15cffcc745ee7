"""A network partition between hosts: a private PostgreSQL server on one "host" (a network
namespace), three worker processes on three others, each on its own link.

One worker is cut off in the middle of a (long) step. Its lease runs out: the worker must stop
working on the run (fencing: its step is cancelled before the store lets anyone else claim the
task) and another worker must finish the run. When the link heals, the cut-off worker's late
writes are refused (its stale lease token by ``complete``/``extend``/``release``, its stale
``expected_version`` by ``append``) and no step is recorded twice.

Needs root, iproute2 and the Debian PostgreSQL 15 binaries; skipped with the reason otherwise.
The namespaces and the private server are removed even when the test fails. Default worker
settings (lease, poll, concurrency).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from pyworkflow import NewEvent, RunStatus, StorageBackend, start
from pyworkflow.engine import configured
from pyworkflow.engine.worker import DEFAULT_LEASE
from pyworkflow.errors import ConflictError, LeaseLost
from pyworkflow.models import Lease, Task, utcnow

from .failover_flows import ticker
from .netlab import NetLab, unavailable
from .procs import Workers, read_effects, until

RUNS = 3
STEP_SECONDS = 0.2
#: the victim's step in flight when it is cut off lasts this long: longer than the lease (so
#: the lease runs out in the middle of it) and shorter than the partition (so an unfenced
#: worker would finish it, and write its end, while still cut off)
SLOW_STEP = DEFAULT_LEASE + 2.0
PARTITION = SLOW_STEP + 3.0
SCHEMA = "pwpart"

pytestmark = pytest.mark.timeout(120)


async def _leases(lab: NetLab, run_ids: list[str]) -> dict[str, Lease]:
    """The live lease of each run's task, read straight from the server (the contract has no
    call that lists leases): what the cut-off worker holds, token included."""
    import asyncpg

    conn = await asyncpg.connect(
        host=str(lab.socket_dir), port=5432, user="root", database="postgres"
    )
    try:
        rows = await conn.fetch(
            f"SELECT id, run_id, kind, worker, token FROM {SCHEMA}.pyworkflow_tasks "
            "WHERE run_id = ANY($1::text[]) AND token IS NOT NULL",
            run_ids,
        )
    finally:
        await conn.close()
    return {
        r["run_id"]: Lease(
            task=Task(id=r["id"], run_id=r["run_id"], kind=r["kind"], due_at=utcnow()),
            worker=r["worker"],
            token=r["token"],
            expires_at=utcnow(),
        )
        for r in rows
    }


async def test_a_cut_off_worker_is_fenced_and_its_late_writes_refused(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    pytest.importorskip("pyworkflow_postgres", reason="the partition test runs PostgreSQL")
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    t_start = time.monotonic()
    effects = tmp_path / "effects.txt"
    with NetLab(workers=3) as lab:
        store = StorageBackend.from_url(lab.observer_url(SCHEMA))
        await store.connect()
        workers = Workers(tmp_path)
        try:
            with configured(store, inline=False):
                labels = [f"p{i}" for i in range(RUNS)]
                run_ids = {
                    label: await start(ticker, str(effects), label, STEP_SECONDS)
                    for label in labels
                }
            procs = []
            for i in range(3):
                procs.append(
                    await workers.spawn(
                        lab.worker_url(i, SCHEMA),
                        wrap=lambda argv, i=i: lab.in_worker_ns(i, argv),
                    )
                )
            pids = [p.pid for p in procs]  # ip netns exec execs: the pid is the worker's

            def running() -> bool:
                return {x[0] for x in read_effects(effects)} == set(labels)

            await until(running, 60, "the workers to start every run", workers.logs)

            # The victim: the worker holding the most runs. Make its next step a long one.
            holder: dict[str, int] = {}
            for label, _pos, pid, _t in read_effects(effects):
                holder[label] = pid
            victim_pid = Counter(holder.values()).most_common(1)[0][0]
            victim = pids.index(victim_pid)
            marked = time.time()
            slow = effects.with_name(f"{effects.name}.slow.{victim_pid}")
            slow.write_text(str(SLOW_STEP))

            def in_slow_step() -> list[str] | None:
                mine = {lb for lb, pid in holder.items() if pid == victim_pid}
                lines = read_effects(effects)
                begun = {lb for lb, _p, pid, t in lines if pid == victim_pid and t > marked}
                return sorted(mine) if mine and mine <= begun else None

            victim_runs = await until(in_slow_step, 10, "the victim's slow step", workers.logs)
            stale_ids = [run_ids[lb] for lb in victim_runs]
            stale = await _leases(lab, stale_ids)
            assert set(stale) == set(stale_ids)
            assert {lease.worker for lease in stale.values()} == {stale[stale_ids[0]].worker}
            versions = {rid: await store.version(rid) for rid in stale_ids}

            lab.cut(victim)
            t_cut = time.time()

            def taken_over() -> dict[str, float] | None:
                first: dict[str, float] = {}
                for label, _pos, pid, t in read_effects(effects):
                    if label in victim_runs and pid != victim_pid and t > t_cut:
                        first.setdefault(label, t - t_cut)
                return first if len(first) == len(victim_runs) else None

            failover = await until(taken_over, 30, "another worker to take over", workers.logs)
            t_takeover = time.time()
            # the new owner records steps while the victim is still cut off
            for rid in stale_ids:
                deadline = time.monotonic() + 20
                while await store.version(rid) <= versions[rid] + 2:
                    assert time.monotonic() < deadline, "the new owner records nothing"
                    await asyncio.sleep(0.05)
            await asyncio.sleep(max(0.0, t_cut + PARTITION - time.time()))
            lab.heal(victim)
            t_heal = time.time()
            slow.unlink()

            # Fencing: the victim's step in flight was cancelled when its lease ran out; an
            # unfenced worker would have ended it (SLOW_STEP < PARTITION) and written "e".
            ended = [
                (lb, t - t_cut)
                for lb, _pos, pid, t in read_effects(effects, "e")
                if pid == victim_pid and lb in victim_runs and t > t_cut
            ]
            assert ended == [], f"the cut-off worker kept working: {ended}"

            # Late writes with the victim's credentials, now that the link is back.
            await asyncio.sleep(1.0)
            for rid, lease in stale.items():
                with pytest.raises(LeaseLost):
                    await store.complete(lease)
                with pytest.raises(LeaseLost):
                    await store.extend(lease, DEFAULT_LEASE)
                with pytest.raises(LeaseLost):
                    await store.release(lease)
                late = NewEvent(type="step.completed", data={"pos": -1, "late": True})
                with pytest.raises(ConflictError):
                    await store.append(rid, [late], expected_version=versions[rid])

            # The victim is healthy again and takes work: the run finishes on someone.
            effects.with_name(f"{effects.name}.stop").touch()

            async def all_done() -> bool:
                for rid in run_ids.values():
                    run = await store.get_run(rid)
                    if run is None or not run.status.terminal:
                        return False
                return True

            await until(all_done, 60, "every run to end", workers.logs)
            victim_log = (tmp_path / f"worker-{victim}.log").read_text(errors="replace")
            for rid, run_id in run_ids.items():
                run = await store.get_run(run_id)
                assert run is not None
                assert run.status is RunStatus.COMPLETED, (rid, run.error)
                events = await store.read(run_id)
                assert [e.sequence for e in events] == list(range(1, len(events) + 1))
                done = Counter(e.data["pos"] for e in events if e.type == "step.completed")
                assert done == Counter(range(1, run.result + 1)), f"{rid}: recorded twice"
        finally:
            await workers.close()
            await store.close()
    assert "ran out before a renewal got through" in victim_log, victim_log[-3000:]
    total = time.monotonic() - t_start
    figures = {
        "failover_s": {lb: round(v, 2) for lb, v in failover.items()},
        "cut_to_takeover_done_s": round(t_takeover - t_cut, 2),
        "partition_s": round(t_heal - t_cut, 2),
        "whole_test_s": round(total, 1),
    }
    record_property("partition", figures)
    print(f"\npartition: {figures}")
    assert max(failover.values()) <= 5.0, figures
    assert total < 90, figures
