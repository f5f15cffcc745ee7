"""Contract area 'engine': real workflows end to end on the backend under test.

Steps (recorded once, never re-run on replay), retries with backoff, durable sleep, hooks
(token from the log, payload delivered once, timeout), cancellation, child workflows,
continue-as-new chains, the step context, two engines racing on one run (the guarded append
lets only one extend the log), and, on durable multi-process backends, a worker process
SIGKILLed in the middle of a step: another worker finishes the run, every step is recorded
exactly once and its side effect happened once per record, plus at most once more for the one
step that was in flight when the worker died (at-least-once execution, exactly-once
recording).

The workflows live at module level so a worker subprocess can import them by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from pyworkflow import (
    ChildWorkflowFailed,
    HookTimeout,
    RunStatus,
    StepFailed,
    StorageBackend,
    Worker,
    cancel,
    configured,
    continue_as_new,
    deliver_hook,
    get_events,
    get_run,
    get_step_context,
    get_workflow_chain,
    pending_hooks,
    set_step_context,
    sleep,
    start,
    start_child,
    step,
    wait,
    wait_for_hook,
    workflow,
)
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.helpers import aio, require, uid

__all__ = ["EngineContract"]

_CALLS: Counter[str] = Counter()
_FAIL_FIRST: dict[str, int] = {}


@dataclass(frozen=True)
class Tenant:
    name: str
    limit: int


@step
async def cf_add(key: str, a: int, b: int) -> int:
    _CALLS[f"{key}:add"] += 1
    return a + b


@step(retries=3, backoff=0.02)
async def cf_flaky(key: str) -> str:
    _CALLS[f"{key}:flaky"] += 1
    if _CALLS[f"{key}:flaky"] <= _FAIL_FIRST.get(key, 0):
        raise RuntimeError(f"transient failure {_CALLS[f'{key}:flaky']}")
    return "ok"


@workflow(name="conformance_steps")
async def cf_steps(key: str) -> dict[str, int]:
    x = await cf_add(key, 1, 2)
    await sleep(0.05)
    y = await cf_add(key, x, 10)
    return {"x": x, "y": y}


@workflow(name="conformance_retry")
async def cf_retry(key: str) -> str:
    return await cf_flaky(key)


@workflow(name="conformance_hook")
async def cf_hook(timeout: float | None) -> object:  # noqa: ASYNC109
    try:
        return await wait_for_hook("approval", timeout=timeout)
    except HookTimeout:
        return "timed out"


@workflow(name="conformance_long_sleep")
async def cf_long_sleep() -> str:
    await sleep("1h")
    return "woke"


@workflow(name="conformance_child")
async def cf_child(n: int) -> int:
    if n < 0:
        raise ValueError("negative")
    await sleep(0.02)
    return n * 2


@workflow(name="conformance_parent")
async def cf_parent(n: int) -> dict[str, object]:
    ok = await (await start_child(cf_child, n))
    try:
        await (await start_child(cf_child, -1))
        failed = "no"
    except ChildWorkflowFailed as exc:
        failed = exc.status
    return {"ok": ok, "failed": failed}


@workflow(name="conformance_waits_on_child")
async def cf_waits_on_child() -> object:
    return await (await start_child(cf_long_sleep))


@workflow(name="conformance_counter")
async def cf_counter(i: int, until: int) -> int:
    if i == 0:
        await set_step_context(Tenant("acme", 3))
    seen = await cf_context_name()
    if i < until:
        continue_as_new(i + 1, until)
    return i * 100 + len(seen)


@step
async def cf_context_name() -> str:
    ctx = get_step_context()
    return f"{ctx.name}:{ctx.limit}"


@workflow(name="conformance_context")
async def cf_context() -> list[str]:
    await set_step_context(Tenant("globex", 7))
    first = await cf_context_name()
    await sleep(0.05)  # replayed after the timer: the context comes back from the log
    second = await cf_context_name()
    return [first, second]


@step
async def cf_slow_add(key: str, i: int) -> int:
    _CALLS[f"{key}:slow"] += 1
    await asyncio.sleep(0.02)
    return i


@workflow(name="conformance_race")
async def cf_race(key: str) -> int:
    total = 0
    for i in range(4):
        total += await cf_slow_add(key, i)
    return total


@step
async def cf_side_effect(path: str, i: int) -> int:
    # The side effect is durable before the step returns; the sleep widens the window in
    # which a kill lands after the effect but before the step is recorded.
    with open(path, "a", encoding="utf-8") as fh:  # noqa: ASYNC230 - tiny local write
        fh.write(f"{i}\n")
        fh.flush()
        os.fsync(fh.fileno())
    await asyncio.sleep(0.3)
    return i


@workflow(name="conformance_kill")
async def cf_kill(path: str, n: int) -> int:
    total = 0
    for i in range(n):
        total += await cf_side_effect(path, i)
    return total


async def _types(run_id: str) -> list[str]:
    return [e.type for e in await get_events(run_id)]


class ConfiguredEngine:
    """The ``engine`` fixture of the engine-area contracts."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def engine(self, backend: StorageBackend) -> AsyncIterator[Engine]:
        """The module-level API pointed at ``backend`` (inline), restored afterwards."""
        with configured(backend) as engine:
            yield engine


class EngineContract(ConfiguredEngine):
    """The engine's behaviour on this backend."""

    area = "engine"

    @aio
    async def test_steps_run_once_and_replay_from_the_log(self, engine: Engine) -> None:
        key = uid("steps")
        run_id = await start(cf_steps, key)
        run = await wait(run_id, timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == {"x": 3, "y": 13}
        # the sleep made the run suspend and be replayed; the first step still ran once
        assert _CALLS[f"{key}:add"] == 2
        events = await get_events(run_id)
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        assert [e.type for e in events] == [
            "workflow.started",
            "step.started",
            "step.completed",
            "sleep.started",
            "sleep.completed",
            "step.started",
            "step.completed",
            "workflow.completed",
        ]
        # replaying a finished run changes nothing and runs nothing
        await engine.execute(run_id)
        assert _CALLS[f"{key}:add"] == 2
        assert len(await get_events(run_id)) == len(events)

    @aio
    async def test_idempotency_key_returns_the_first_run(self, engine: Engine) -> None:
        key = uid("idem")
        first = await start(cf_steps, key, idempotency_key=key)
        second = await start(cf_steps, key, idempotency_key=key)
        assert first == second
        await wait(first, timeout=60)
        assert _CALLS[f"{key}:add"] == 2

    @aio
    async def test_step_retries_with_backoff(self, engine: Engine) -> None:
        key = uid("retry")
        _FAIL_FIRST[key] = 2
        run = await wait(await start(cf_retry, key), timeout=60)
        assert run.status is RunStatus.COMPLETED
        assert run.result == "ok"
        events = await get_events(run.id)
        failed = [e for e in events if e.type == "step.failed"]
        assert [e.data["attempt"] for e in failed] == [1, 2]
        assert all(not e.data["final"] for e in failed)
        completed = [e for e in events if e.type == "step.completed"]
        assert [e.data["attempt"] for e in completed] == [3]
        # each retry started no earlier than its recorded backoff allowed
        starts = [e for e in events if e.type == "step.started"]
        for fail, nxt in zip(failed, starts[1:], strict=True):
            assert nxt.timestamp.timestamp() * 1e6 >= fail.data["retry_at"] - 1

    @aio
    async def test_step_failing_every_attempt_fails_the_workflow(self, engine: Engine) -> None:
        key = uid("exhaust")
        _FAIL_FIRST[key] = 99
        run = await wait(await start(cf_retry, key), timeout=60)
        assert run.status is RunStatus.FAILED
        assert _CALLS[f"{key}:flaky"] == 4  # 1 + 3 retries
        assert run.error["type"].endswith("StepFailed")
        assert "transient failure 4" in run.error["message"]
        events = await get_events(run.id)
        assert events[-1].type == "workflow.failed"
        assert [e.data["final"] for e in events if e.type == "step.failed"] == [
            False,
            False,
            False,
            True,
        ]
        assert StepFailed.__name__ in run.error["type"]

    @aio
    async def test_hook_delivers_a_payload_exactly_once(self, engine: Engine) -> None:
        run_id = await start(cf_hook, None)
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        hooks = await pending_hooks(run_id)
        assert [h.name for h in hooks] == ["approval"]
        payload = {"approved": True, "by": "ops", "at": (1, 2)}
        assert await deliver_hook(hooks[0].token, payload) is True
        assert await deliver_hook(hooks[0].token, {"approved": False}) is False
        run = await wait(run_id, timeout=60)
        assert run.status is RunStatus.COMPLETED
        assert run.result == payload
        assert await pending_hooks(run_id) == []
        types = await _types(run_id)
        assert types.count("hook.created") == 1
        assert types.count("hook.received") == 1

    @aio
    async def test_hook_timeout_raises_in_the_workflow(self, engine: Engine) -> None:
        run = await wait(await start(cf_hook, 0.05), timeout=60)
        assert run.status is RunStatus.COMPLETED
        assert run.result == "timed out"
        assert "hook.expired" in await _types(run.id)

    @aio
    async def test_cancel_ends_a_suspended_run(self, engine: Engine) -> None:
        run_id = await start(cf_long_sleep)
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        assert await cancel(run_id, reason="not needed") is True
        run = await get_run(run_id)
        assert run.status is RunStatus.CANCELLED
        assert run.completed_at is not None
        assert (await _types(run_id))[-1] == "workflow.cancelled"
        assert await cancel(run_id) is False
        # a worker that later picks the sleeping run up does not revive it
        await engine.execute(run_id)
        assert (await get_run(run_id)).status is RunStatus.CANCELLED

    @aio
    async def test_child_workflows(self, engine: Engine, backend: StorageBackend) -> None:
        run = await wait(await start(cf_parent, 21), timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == {"ok": 42, "failed": "failed"}
        started = await backend.read(run.id, types=["child_workflow.started"])
        children = [c for e in started if (c := await backend.get_run(e.data["child_id"]))]
        assert len(children) == 2
        assert sorted(c.status.value for c in children) == ["completed", "failed"]
        assert all(c.parent_id == run.id for c in children)
        types = await _types(run.id)
        assert types.count("child_workflow.started") == 2
        assert types.count("child_workflow.completed") == 1
        assert types.count("child_workflow.failed") == 1

    @aio
    async def test_cancelling_a_parent_cancels_its_running_child(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        run_id = await start(cf_waits_on_child)
        child_id = ""
        for _ in range(1000):  # the child starts from its task, driven by wait()
            started = await backend.read(run_id, types=["child_workflow.started"])
            child = await backend.get_run(started[0].data["child_id"]) if started else None
            if child is not None and child.status is RunStatus.SUSPENDED:
                child_id = child.id
                break
            with contextlib.suppress(TimeoutError):
                await wait(run_id, timeout=0.02)
        assert child_id, "the child never reached its sleep"
        assert await cancel(run_id) is True
        assert (await get_run(run_id)).status is RunStatus.CANCELLED
        child_run = await get_run(child_id)
        assert child_run.status is RunStatus.CANCELLED
        assert (await _types(child_id))[-1] == "workflow.cancelled"

    @aio
    async def test_continue_as_new_builds_a_linked_chain(self, engine: Engine) -> None:
        first = await start(cf_counter, 0, 3)
        chain = await get_workflow_chain(first)
        for _ in range(200):
            if chain[-1].status.terminal and chain[-1].status is not RunStatus.CONTINUED_AS_NEW:
                break
            await wait(chain[-1].id, timeout=60)
            chain = await get_workflow_chain(first)
        assert [r.status for r in chain] == [RunStatus.CONTINUED_AS_NEW] * 3 + [RunStatus.COMPLETED]
        assert chain[-1].result == 300 + len("acme:3")
        for older, newer in itertools.pairwise(chain):
            assert older.continued_to == newer.id
            assert newer.continued_from == older.id
        # every member gives the same chain, oldest first; each log starts fresh
        middle = await get_workflow_chain(chain[2].id)
        assert [r.id for r in middle] == [r.id for r in chain]
        assert (await _types(chain[1].id))[0] == "workflow.started"
        assert (await _types(chain[0].id))[-1] == "workflow.continued_as_new"
        # the step context was carried over to every successor
        assert all(r.context == Tenant("acme", 3) for r in chain)

    @aio
    async def test_step_context_is_durable_and_survives_replay(self, engine: Engine) -> None:
        run = await wait(await start(cf_context), timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == ["globex:7", "globex:7"]
        assert run.context == Tenant("globex", 7)

    @aio
    async def test_two_engines_never_both_extend_one_run(
        self, backend: StorageBackend, open_backend: object
    ) -> None:
        other = await open_backend()  # type: ignore[operator]
        key = uid("race")
        with configured(backend, inline=False):
            run_id = await start(cf_race, key)
        a, b = Engine(backend, inline=False), Engine(other, inline=False)
        await asyncio.gather(a.execute(run_id), b.execute(run_id))
        for _ in range(20):
            if (await backend.get_run(run_id)).status.terminal:  # type: ignore[union-attr]
                break
            await a.execute(run_id)
        events = await backend.read(run_id)
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        completed = [e.data["pos"] for e in events if e.type == "step.completed"]
        assert sorted(completed) == [1, 2, 3, 4], "a step was recorded twice or not at all"
        assert [e.type for e in events].count("workflow.completed") == 1
        run = await backend.get_run(run_id)
        assert run is not None
        assert run.status is RunStatus.COMPLETED
        assert run.result == 6
        assert 4 <= _CALLS[f"{key}:slow"] <= 8  # each step ran at least once, at most twice

    @aio
    async def test_worker_killed_mid_step_loses_its_lease(
        self, backend: StorageBackend, backend_url: str, tmp_path: Path
    ) -> None:
        require(backend, "durable", "multi_process")
        effects = tmp_path / "effects.txt"
        steps = 6
        with configured(backend, inline=False):
            run_id = await start(cf_kill, str(effects), steps)
        log_path = tmp_path / "worker.log"
        log = log_path.open("wb")  # a file, not a pipe nobody drains while the worker runs
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pyworkflow.cli",
            "worker",
            "--storage",
            backend_url,
            "--import",
            __name__,
            "--lease",
            "2",
            "--poll",
            "0.05",
            "--concurrency",
            "1",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            env=dict(os.environ),
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                recorded = await backend.read(run_id, types=["step.completed"])
                if len(recorded) >= 2:
                    break
                if proc.returncode is not None or time.monotonic() > deadline:
                    err = log_path.read_text(errors="replace")[-3000:]
                    raise AssertionError(f"the worker made no progress; its stderr:\n{err}")
                await asyncio.sleep(0.02)
            await asyncio.sleep(random.uniform(0.0, 0.3))  # land inside a step
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            log.close()
        assert proc.returncode == -signal.SIGKILL
        survivor = Worker(Engine(backend, inline=False), lease=2, poll=0.05, concurrency=1)
        async with survivor:
            deadline = time.monotonic() + 120
            while not (run := await backend.get_run(run_id)) or not run.status.terminal:
                assert time.monotonic() < deadline, "no worker finished the run"
                await asyncio.sleep(0.05)
        assert run.status is RunStatus.COMPLETED, run.error
        events = await backend.read(run_id)
        recorded_steps = Counter(e.data["pos"] for e in events if e.type == "step.completed")
        assert recorded_steps == Counter(range(1, steps + 1)), "exactly-once recording broken"
        lines = Counter(int(x) for x in effects.read_text().split())
        assert set(lines) == set(range(steps))
        extra = {i: n - 1 for i, n in lines.items() if n > 1}
        # at-least-once execution: only the step in flight at the kill may have run twice
        assert sum(extra.values()) <= 1, f"side effects repeated beyond the killed step: {extra}"
