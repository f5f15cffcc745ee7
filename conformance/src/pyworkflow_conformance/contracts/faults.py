"""Contract area 'faults': a storage fault at every call of a workflow's life changes nothing.

For each representative workflow (a step retried after a failure, a durable sleep, a hook, a
child workflow, continue-as-new, and cancellation of a parent waiting on a sleeping child,
which runs a shielded compensation step),
a fault-free run first records the life's storage calls (its trace: the client's, the
workers', every run's of the family). Then, for every call number k of that trace and each
fault kind, one life runs with :class:`~pyworkflow_conformance.faulty.FaultyBackend`
injecting that fault at its k-th call:

- ``fail``: the call raises ``StorageUnavailable`` before writing;
- ``lost``: the call writes, then raises ``StorageUnavailable`` (writes only: on a read it
  is the same as ``fail``);
- ``kill``: the worker's execution stops dead at that call with its lease held and no more
  heartbeats, as a SIGKILL leaves it; another worker takes the task over once the lease
  expires (a client "killed" at its call restarts and retries, like a restarted process).

Clients retry their action (start with an idempotency key, resume a hook, cancel) when it
raises, as the API documents. Every life must reach the fault-free run's end state and
results (every run of the family, children and successors included); every log must record
each step, child, sleep and hook once and end once; and a step body may run more often than
its attempts were recorded only when the fault stopped the append that records it (the step
was in flight), and then once, or when two executions of one run raced (a fault can leave a
run with two due tasks, say a retried start and a retry timer) and the guarded append refused
the loser's record: at-least-once execution, exactly-once recording.

On durable multi-process backends real kills complete the picture: a worker *process* running
the child workflow SIGKILLs itself before its k-th storage call (``fault_sigkill_at``, two
points), and a fresh worker in this process must take over once the lease expires and end the family
as the fault-free run did, each step, child and end recorded once.

All lives of one workflow run at once on two workers (short leases, short backoff), so the
cost is about the backend's throughput, not the number of faults. A backend's conformance
class may narrow ``fault_kinds`` or ``fault_parallel`` (stating why).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from pyworkflow import (
    CancellationError,
    NotFound,
    PyWorkflowError,
    RunStatus,
    StorageBackend,
    Worker,
    configured,
    continue_as_new,
    deliver_hook,
    shield,
    sleep,
    start_child,
    step,
    wait_for_hook,
    workflow,
)
from pyworkflow.engine.runtime import TERMINAL_EVENTS, Engine

from pyworkflow_conformance.faulty import CLIENT, WRITES, Fault, FaultyBackend, Killed, Life
from pyworkflow_conformance.helpers import aio, require, uid

__all__ = ["FaultsContract"]

#: step body executions per (life key, step name)
BODIES: Counter[str] = Counter()
_FLAKY: set[str] = set()


@step(retries=2, backoff=0.01)
async def fx_flaky(key: str) -> int:
    BODIES[f"{key}:fx_flaky"] += 1
    if key not in _FLAKY:
        _FLAKY.add(key)
        raise RuntimeError("the first attempt fails")
    return 1


@step
async def fx_add(key: str, a: int, b: int) -> int:
    BODIES[f"{key}:fx_add"] += 1
    return a + b


@workflow(name="faults_retry")
async def fx_retry(key: str) -> int:
    return await fx_add(key, await fx_flaky(key), 1)


@workflow(name="faults_sleep")
async def fx_sleep(key: str) -> int:
    first = await fx_add(key, 1, 1)
    await sleep(0.05)
    return await fx_add(key, first, 1)


@workflow(name="faults_hook")
async def fx_hook(key: str) -> int:
    return await fx_add(key, await wait_for_hook("go"), 1)


@workflow(name="faults_child")
async def fx_child(key: str, n: int) -> int:
    return await fx_add(key, n, 1)


@workflow(name="faults_parent")
async def fx_parent(key: str) -> int:
    return 10 * int(await (await start_child(fx_child, key, 1)))


@workflow(name="faults_chain")
async def fx_chain(key: str, i: int = 0) -> int:
    value = await fx_add(key, i, 100)
    if i < 1:
        continue_as_new(key, i + 1)
    return value


@workflow(name="faults_sleeper")
async def fx_sleeper(key: str) -> str:
    await sleep("1h")
    return "woke"


@workflow(name="faults_cancel")
async def fx_cancel(key: str) -> object:
    try:
        return await (await start_child(fx_sleeper, key))
    except CancellationError:
        # compensation: recorded once and run once per recorded attempt, whatever the fault
        async with shield():
            await fx_add(key, 0, 1)
        raise


_STEP_EVENTS = {"step.completed", "step.failed"}
_ONCE = (
    "step.completed",
    "child_workflow.started",
    "child_workflow.completed",
    "child_workflow.failed",
    "child_workflow.cancelled",
    "sleep.started",
    "hook.created",
)


class _Pool:
    """Two workers on the faulty store, each claiming in a loop, until stopped."""

    def __init__(self, faulty: FaultyBackend, lease: float, idle: float) -> None:
        self.idle = idle
        self.workers = []
        for n in range(2):
            worker = Worker(Engine(faulty, inline=False), concurrency=8, lease=lease, name=f"w{n}")
            worker.transient_backoff = 0.02
            self.workers.append(worker)
        self._stop = asyncio.Event()
        self._loops = [asyncio.create_task(self._loop(w)) for w in self.workers]

    async def _loop(self, worker: Worker) -> None:
        while not self._stop.is_set():
            try:
                busy = await worker.run_once()
            except Killed:  # one execution died; its lease runs out, then it is retried
                busy = 1
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.idle)

    async def close(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._loops)


async def _client(action: Callable[[], Awaitable[Any]], deadline: float) -> Any:
    """Run a client action until it returns (a restarted client retries, as documented)."""
    while True:
        try:
            return await action()
        except (PyWorkflowError, Killed):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


class FaultsContract:
    """Faults at every storage call of representative workflows (see the module docstring)."""

    area = "faults"

    #: the fault kinds injected (a backend's class may narrow them, saying why)
    fault_kinds: ClassVar[tuple[str, ...]] = ("fail", "lost", "kill")
    #: lives run at once
    fault_parallel: ClassVar[int] = 64
    #: worker lease in seconds: how long a killed execution holds its task
    fault_lease: ClassVar[float] = 1.0
    #: seconds for all lives of one workflow to end
    fault_deadline: ClassVar[float] = 150.0
    #: seconds between two looks at a life's root run (each look is a read of the store)
    fault_poll: ClassVar[float] = 0.1
    #: seconds a worker waits after a claim that found nothing
    fault_idle: ClassVar[float] = 0.02
    #: worker-process call numbers at which a real worker process is SIGKILLed: 7 is the
    #: child's start task, after the parent recorded child_workflow.started; 11 is the claim of that
    #: task (the process dies holding its lease)
    fault_sigkill_at: ClassVar[tuple[int, ...]] = (7, 11)
    #: the workflows faulted (all by default)
    fault_flows: ClassVar[tuple[str, ...]] = ("retry", "sleep", "hook", "child", "chain", "cancel")

    @pytest_asyncio.fixture(loop_scope="function")
    async def faulty(self, backend: StorageBackend) -> Any:
        store = FaultyBackend(backend)
        with configured(store, inline=False):
            pool = _Pool(store, self.fault_lease, self.fault_idle)
            try:
                yield store
            finally:
                await pool.close()

    async def _live(self, faulty: FaultyBackend, flow: str, life: Life, deadline: float) -> str:
        """Run one life to its end; return its root run id."""
        fn, args, act = _FLOWS[flow]
        engine = Engine(faulty, inline=False)
        token = CLIENT.set(life)
        try:
            root: str = await _client(
                lambda: engine.start(fn, (life.name, *args), {}, idempotency_key=life.name),
                deadline,
            )
            if act is not None:
                await act(faulty.inner, engine, root, deadline)
            # watch the root run only (one read per look), then the whole family
            while (
                not await _ended(faulty.inner, root) or not (await _summary(faulty.inner, root))[1]
            ):
                if time.monotonic() > deadline:
                    raise TimeoutError("never reached its end")
                await asyncio.sleep(self.fault_poll)
            return root
        finally:
            CLIENT.reset(token)

    @pytest.mark.parametrize("flow", ["retry", "sleep", "hook", "child", "chain", "cancel"])
    @aio
    async def test_a_fault_at_any_call_reaches_the_same_end(
        self, faulty: FaultyBackend, flow: str
    ) -> None:
        if flow not in self.fault_flows:
            pytest.skip(f"{type(self).__name__}.fault_flows leaves {flow!r} out (see its class)")
        began = time.monotonic()
        deadline = began + self.fault_deadline
        base = Life(uid(f"fx-{flow}-base"))
        root = await self._live(faulty, flow, base, deadline)
        want, _ = await _summary(faulty.inner, root)
        calls = len(base.trace)  # workers may still tidy up after the end: not counted
        lives = [
            Life(uid(f"fx-{flow}-{kind}{k}"), Fault(kind, at=k))
            for k, method in enumerate(base.trace[:calls], 1)
            for kind in self.fault_kinds
            if kind != "lost" or method in WRITES
        ]
        gate = asyncio.Semaphore(self.fault_parallel)

        async def one(life: Life) -> str | None:
            async with gate:
                try:
                    run_id = await self._live(faulty, flow, life, deadline)
                    return await _check(faulty.inner, life, run_id, want)
                except (Exception, Killed) as exc:
                    return f"{type(exc).__name__}: {exc}"

        problems = await asyncio.gather(*(one(life) for life in lives))
        failed = [
            f"{life.fault} -> {problem}"
            for life, problem in zip(lives, problems, strict=True)
            if problem
        ]
        fired = sum(1 for life in lives if life.fault and life.fault.fired)
        print(
            f"\nfaults[{flow}]: {calls} calls, {len(lives)} faulted lives "
            f"({fired} fired), {len(failed)} wrong, {time.monotonic() - began:.1f}s"
        )
        assert not failed, f"{len(failed)} of {len(lives)} lives went wrong:\n" + "\n".join(
            failed[:15]
        )
        # a fault that never fired tests nothing: nearly all must hit their call
        assert fired >= 0.9 * len(lives), f"only {fired} of {len(lives)} faults fired"

    @aio
    async def test_a_worker_process_killed_at_a_call_is_taken_over(
        self, backend: StorageBackend, backend_url: str
    ) -> None:
        require(backend, "durable", "multi_process")
        lease = 1.0

        async def finish(root: str) -> list[tuple[Any, ...]]:
            worker = Worker(Engine(backend, inline=False), lease=lease, poll=0.02)
            deadline = time.monotonic() + 60
            while not await _ended(backend, root) or not (await _summary(backend, root))[1]:
                assert time.monotonic() < deadline, f"run {root} never ended"
                if not await worker.run_once():
                    await asyncio.sleep(0.05)
            return (await _summary(backend, root))[0]

        async def begin() -> str:
            key = uid("fx-sigkill")
            engine = Engine(backend, inline=False)
            return await engine.start(fx_parent, (key,), {}, idempotency_key=key)

        want = await finish(await begin())
        killed = 0
        for at in self.fault_sigkill_at:
            root = await begin()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "pyworkflow_conformance.fault_worker",
                backend_url,
                str(at),
                str(lease),
                __name__,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=dict(os.environ),
            )
            try:
                deadline = time.monotonic() + 60
                while proc.returncode is None and not await _ended(backend, root):
                    assert time.monotonic() < deadline, "the worker process made no progress"
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(proc.wait(), 0.05)
                with contextlib.suppress(TimeoutError):  # its last calls may follow the end
                    await asyncio.wait_for(proc.wait(), 1.0)
            finally:
                reached = proc.returncode is not None
                if not reached:  # the run ended before the process made its k-th call
                    proc.kill()
                err = await proc.stderr.read() if proc.stderr else b""
                await proc.wait()
            if reached:
                assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")[-3000:]
                killed += 1

            got = await finish(root)
            assert got == want, f"killed before call {at}: ended as {got}, not {want}"
            problem = await _logs_once(backend, [r for r in await _family(backend, root)])
            assert problem is None, f"killed before call {at}: {problem}"
        print(
            f"\nfaults[sigkill]: {killed} of {len(self.fault_sigkill_at)} worker processes killed"
        )
        assert killed >= 1, "no worker process reached a kill point"


async def _act_hook(inner: StorageBackend, engine: Engine, root: str, deadline: float) -> None:
    """Deliver 41 to the run's hook once the hook exists."""

    async def deliver() -> bool:
        created = await inner.read(root, types=["hook.created"])
        if not created or await inner.get_hook(created[0].data["token"]) is None:
            raise NotFound("the hook is not created yet")
        return await deliver_hook(created[0].data["token"], 41)

    await _client(deliver, deadline)


async def _act_cancel(inner: StorageBackend, engine: Engine, root: str, deadline: float) -> None:
    """Cancel the parent once its child sleeps (a fixed point, so every life makes the same
    calls as the fault-free one)."""

    asleep = False

    async def cancel() -> bool:
        nonlocal asleep
        started = await inner.read(root, types=["child_workflow.started"])
        child = await inner.get_run(started[0].data["child_id"]) if started else None
        asleep = asleep or (child is not None and child.status is RunStatus.SUSPENDED)
        if not asleep:
            raise NotFound("the child is not asleep yet")
        return await engine.cancel(root, reason="test")

    await _client(cancel, deadline)


_Act = Callable[[StorageBackend, Engine, str, float], Awaitable[None]]
_FLOWS: dict[str, tuple[Any, tuple[Any, ...], _Act | None]] = {
    "retry": (fx_retry, (), None),
    "sleep": (fx_sleep, (), None),
    "hook": (fx_hook, (), _act_hook),
    "child": (fx_parent, (), None),
    "chain": (fx_chain, (), None),
    "cancel": (fx_cancel, (), _act_cancel),
}


async def _ended(inner: StorageBackend, root: str) -> bool:
    """Whether the root run and its successors have ended (one read per run of the chain)."""
    run = await inner.get_run(root)
    while run is not None and run.continued_to:
        run = await inner.get_run(run.continued_to)
    return run is not None and run.status.terminal


async def _summary(inner: StorageBackend, root: str) -> tuple[list[tuple[Any, ...]], bool]:
    """Every run of the family (successors, children) as (name, status, result, error type),
    and whether all have ended."""
    out: list[tuple[Any, ...]] = []
    queue, ended = [root], True
    while queue:
        run = await inner.get_run(queue.pop(0))
        if run is None:
            return [("missing",)], False
        error = run.error.get("type") if isinstance(run.error, dict) else None
        out.append((run.workflow_name, run.status.value, run.result, error))
        ended = ended and run.status.terminal
        if run.continued_to:
            queue.append(run.continued_to)
        started = await inner.read(run.id, types=["child_workflow.started"])
        queue.extend(e.data["child_id"] for e in started)
    return out, ended


async def _family(inner: StorageBackend, root: str) -> list[str]:
    """The ids of the root run, its successors and children (recursively)."""
    out, queue = [], [root]
    while queue:
        run = await inner.get_run(queue.pop(0))
        if run is None:
            continue
        out.append(run.id)
        if run.continued_to:
            queue.append(run.continued_to)
        started = await inner.read(run.id, types=["child_workflow.started"])
        queue.extend(e.data["child_id"] for e in started)
    return out


async def _logs_once(inner: StorageBackend, run_ids: Iterable[str]) -> str | None:
    """What is wrong with these runs' logs (gaps, an end not recorded exactly once, a step,
    child, sleep or hook recorded twice), or None."""
    for run_id in run_ids:
        if await inner.get_run(run_id) is None:
            continue  # an id adopted before a create_run that failed
        events = await inner.read(run_id)
        if [e.sequence for e in events] != list(range(1, len(events) + 1)):
            return f"run {run_id}: sequences are not dense"
        if sum(e.type in TERMINAL_EVENTS for e in events) != 1:
            return f"run {run_id}: {[e.type for e in events]} does not end exactly once"
        twice = [
            k for k, n in Counter((e.type, e.data.get("pos")) for e in events).items() if n > 1
        ]
        if any(kind in _ONCE for kind, _ in twice):
            return f"run {run_id}: recorded twice: {twice}"
    return None


async def _check(
    inner: StorageBackend, life: Life, root: str, want: list[tuple[Any, ...]]
) -> str | None:
    """What is wrong with a life that ended, or None."""
    got, _ = await _summary(inner, root)
    if got != want:
        return f"ended as {got}, not {want}"
    problem = await _logs_once(inner, life.runs)
    if problem is not None:
        return problem
    recorded: Counter[str] = Counter()
    for run_id in life.runs:
        events = await inner.read(run_id, types=_STEP_EVENTS)
        recorded.update(e.data["name"] for e in events)
    fault = life.fault
    in_flight = (
        fault is not None
        and fault.fired is not None
        and fault.kind != "lost"
        and bool(_STEP_EVENTS & set(fault.fired[2]))
    )
    extra = sum(
        max(0, BODIES[f"{life.name}:{name}"] - recorded[name]) for name in ("fx_flaky", "fx_add")
    )
    if extra > int(in_flight) + life.lost_races:
        return (
            f"step bodies ran {extra} more time(s) than recorded (in flight at the fault: "
            f"{in_flight}, lost append races: {life.lost_races})"
        )
    return None
