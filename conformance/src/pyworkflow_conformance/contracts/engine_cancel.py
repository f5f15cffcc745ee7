"""Contract area 'engine' (continued): cancellation and the children's lifecycle.

A cancelled run gets ``CancellationError`` at its next checkpoint, also when it was
suspended, so its compensation runs, exactly once (counted by its ``step.completed``
events and by a side-effect counter); ``shield()`` keeps a second request from interrupting
the cleanup and defers a request to the first checkpoint after the block; a swallowed
cancellation lets the run continue; ``cancel(wait=True)`` drives the run to its end.
Children started with the default parent-close policy are cancelled when their parent
completes, fails or continues as new; ``parent_close="abandon"`` keeps them; a run at
depth 3 cannot start a child.

Timers are short (tens of milliseconds) and the long sleeps are never waited out: each
test ends in well under a second on a local backend.
"""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest
from pyworkflow import (
    CancellationError,
    MaxNestingDepthError,
    RunStatus,
    StorageBackend,
    WaitTimeout,
    cancel,
    continue_as_new,
    deliver_hook,
    get_events,
    get_run,
    pending_hooks,
    shield,
    sleep,
    start,
    start_child,
    step,
    wait,
    wait_for_hook,
    workflow,
)
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.contracts.engine import ConfiguredEngine
from pyworkflow_conformance.helpers import aio, uid

__all__ = ["EngineCancelContract"]

_DONE: Counter[str] = Counter()


@step
async def cc_effect(key: str, what: str) -> str:
    _DONE[f"{key}:{what}"] += 1
    return what


@workflow(name="conformance_cancel_compensates")
async def cc_compensates(key: str) -> str:
    try:
        await sleep(3600)
        return "slept"
    except CancellationError:
        async with shield():
            await cc_effect(key, "undo")
        raise


@workflow(name="conformance_cancel_shielded_cleanup")
async def cc_shielded_cleanup(key: str) -> str:
    try:
        await sleep(3600)
        return "slept"
    except CancellationError:
        async with shield():
            await cc_effect(key, "undo")
            await wait_for_hook("cleanup-ack")  # a second cancel arrives while here
            await cc_effect(key, "undo-2")
        raise


@workflow(name="conformance_cancel_deferred")
async def cc_deferred(key: str) -> str:
    async with shield():
        await wait_for_hook("inside")  # cancelled while waiting here: no raise
        await cc_effect(key, "inside")
    await cc_effect(key, "after")  # the first checkpoint after the block raises
    return "not reached"


@workflow(name="conformance_cancel_swallowed")
async def cc_swallowed(key: str) -> str:
    try:
        await sleep(3600)
    except CancellationError as exc:
        reason = exc.reason
    await cc_effect(key, "went on")
    return f"continued after {reason}"


@workflow(name="conformance_cancel_timed_cleanup")
async def cc_timed_cleanup(key: str) -> str:
    try:
        await wait_for_hook("never")
        return "resumed"
    except CancellationError:
        async with shield():
            await sleep(0.05)  # cleanup that itself suspends: wait=True must drive it
            await cc_effect(key, "undo")
        raise


@workflow(name="conformance_cancel_sleeper")
async def cc_sleeper() -> str:
    await sleep(3600)
    return "slept"


@workflow(name="conformance_cancel_parent")
async def cc_parent(how: str, round_: int = 0) -> str:
    await start_child(cc_sleeper, parent_close="abandon" if how == "abandon" else "cancel")
    if how == "fail":
        raise ValueError("parent failed")
    if how == "continue" and round_ == 0:
        continue_as_new(how, 1)
    return "parent done"


@workflow(name="conformance_nest")
async def cc_nest(depth: int) -> object:
    try:
        return await (await start_child(cc_nest, depth + 1))
    except MaxNestingDepthError as exc:
        return {"refused_at": exc.current_depth, "max": exc.max_depth, "depth": depth}


async def _types(run_id: str) -> list[str]:
    return [e.type for e in await get_events(run_id)]


async def _first_child(backend: StorageBackend, run_id: str) -> str:
    started = await backend.read(run_id, types=["child_workflow.started"])
    assert started, "the parent recorded no child"
    return str(started[0].data["child_id"])


async def _until_suspended(run_id: str) -> None:
    for _ in range(500):  # the child starts from its task, driven by wait()
        if (await get_run(run_id)).status is RunStatus.SUSPENDED:
            return
        with contextlib.suppress(WaitTimeout):
            await wait(run_id, timeout=0.02)
    raise AssertionError(f"run {run_id} never suspended")


class EngineCancelContract(ConfiguredEngine):
    """Cancellation and the children's lifecycle on this backend."""

    area = "engine"

    @aio
    async def test_cancel_of_a_sleeping_run_runs_its_cleanup_once(self, engine: Engine) -> None:
        key = uid("undo")
        run_id = await start(cc_compensates, key)
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        assert await cancel(run_id, reason="customer left") is True
        run = await get_run(run_id)
        assert run.status is RunStatus.CANCELLED
        assert _DONE[f"{key}:undo"] == 1
        events = await get_events(run_id)
        assert [e.type for e in events].count("step.completed") == 1
        assert events[-1].type == "workflow.cancelled"
        assert events[-1].data["cleanup_completed"] is True
        assert events[-1].data["reason"] == "customer left"
        # idempotent: nothing more happens on another cancel or a replay
        assert await cancel(run_id) is False
        await engine.execute(run_id)
        assert _DONE[f"{key}:undo"] == 1
        assert len(await get_events(run_id)) == len(events)

    @aio
    async def test_shield_keeps_a_second_cancel_from_interrupting_cleanup(
        self, engine: Engine
    ) -> None:
        key = uid("shield")
        run_id = await start(cc_shielded_cleanup, key)
        assert await cancel(run_id) is True
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED  # at the cleanup's hook
        assert await cancel(run_id, reason="again") is True  # raises nowhere: shielded
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        [hook] = await pending_hooks(run_id)
        assert await deliver_hook(hook.token, "ok") is True
        run = await wait(run_id, timeout=60)
        assert run.status is RunStatus.CANCELLED
        assert (_DONE[f"{key}:undo"], _DONE[f"{key}:undo-2"]) == (1, 1)
        assert (await _types(run_id)).count("step.completed") == 2

    @aio
    async def test_a_shielded_request_fires_after_the_block(self, engine: Engine) -> None:
        key = uid("defer")
        run_id = await start(cc_deferred, key)
        assert await cancel(run_id) is True
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        [hook] = await pending_hooks(run_id)
        await deliver_hook(hook.token, None)
        run = await wait(run_id, timeout=60)
        assert run.status is RunStatus.CANCELLED
        assert _DONE[f"{key}:inside"] == 1
        assert _DONE[f"{key}:after"] == 0

    @aio
    async def test_a_swallowed_cancellation_lets_the_run_continue(self, engine: Engine) -> None:
        key = uid("swallow")
        run_id = await start(cc_swallowed, key)
        assert await cancel(run_id, reason="try") is True
        run = await wait(run_id, timeout=60)
        assert run.status is RunStatus.COMPLETED
        assert run.result == "continued after try"
        assert _DONE[f"{key}:went on"] == 1
        types = await _types(run_id)
        assert "cancellation.requested" in types
        assert "workflow.cancelled" not in types

    @aio
    async def test_cancel_wait_blocks_until_the_run_has_ended(self, engine: Engine) -> None:
        key = uid("wait")
        run_id = await start(cc_timed_cleanup, key)
        assert await cancel(run_id, wait=True, timeout=60) is True
        assert (await get_run(run_id)).status is RunStatus.CANCELLED
        assert _DONE[f"{key}:undo"] == 1
        assert await cancel(run_id, wait=True) is False
        # a cleanup that cannot finish in time: WaitTimeout (a TimeoutError); the run goes on
        stuck = await start(cc_shielded_cleanup, uid("stuck"))
        with pytest.raises(TimeoutError):
            await cancel(stuck, wait=True, timeout=0.05)
        assert (await get_run(stuck)).status is RunStatus.SUSPENDED

    @pytest.mark.parametrize("how", ["complete", "fail", "continue"])
    @aio
    async def test_a_parent_ending_cancels_its_running_child(
        self, engine: Engine, backend: StorageBackend, how: str
    ) -> None:
        parent = await start(cc_parent, how)
        child = await _first_child(backend, parent)
        end = await wait(parent, timeout=60)
        assert (
            end.status
            is {
                "complete": RunStatus.COMPLETED,
                "fail": RunStatus.FAILED,
                "continue": RunStatus.CONTINUED_AS_NEW,
            }[how]
        )
        assert (await wait(child, timeout=60)).status is RunStatus.CANCELLED
        closed = [e for e in await get_events(parent) if e.type == "child_workflow.cancelled"]
        assert [e.data["child_run_id"] for e in closed] == [child]
        if how == "continue":  # the successor's own child goes when it completes
            successor = end.continued_to
            assert successor is not None
            await wait(successor, timeout=60)
            second = await _first_child(backend, successor)
            assert (await wait(second, timeout=60)).status is RunStatus.CANCELLED

    @aio
    async def test_an_abandoned_child_outlives_its_parent(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        parent = await start(cc_parent, "abandon")
        child = await _first_child(backend, parent)
        assert (await wait(parent, timeout=60)).status is RunStatus.COMPLETED
        await _until_suspended(child)
        assert "child_workflow.cancelled" not in await _types(parent)
        assert await cancel(child) is True  # still running: cancellable on its own
        assert (await get_run(child)).status is RunStatus.CANCELLED

    @aio
    async def test_depth_four_is_refused(self, engine: Engine, backend: StorageBackend) -> None:
        root = await wait(await start(cc_nest, 0), timeout=60)
        assert root.status is RunStatus.COMPLETED, root.error
        assert root.result == {"refused_at": 3, "max": 3, "depth": 3}
        depths = []
        run_id = root.id
        while True:
            started = await backend.read(run_id, types=["child_workflow.started"])
            if not started:
                break
            run_id = str(started[0].data["child_id"])
            depths.append((await get_run(run_id)).metadata["nesting_depth"])
        assert depths == [1, 2, 3]
