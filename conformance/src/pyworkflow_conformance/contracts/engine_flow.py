"""Contract area 'engine', continued: how runs flow through the module-level API.

``continue_as_new()`` without arguments fails the run; an inline ``start()`` follows a
continue-as-new chain to its end; an inline ``wait(run_id)`` executes only its own runs'
tasks, leaving another program's due tasks to workers.

The workflows live at module level so a worker subprocess can import them by name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from pyworkflow import (
    RunStatus,
    StorageBackend,
    configured,
    continue_as_new,
    get_run,
    get_workflow_chain,
    sleep,
    start,
    wait,
    workflow,
)
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.helpers import aio

__all__ = ["EngineFlowContract"]


@workflow(name="conformance_flow_no_args")
async def cf_continue_without_arguments() -> None:
    continue_as_new()


@workflow(name="conformance_flow_batch")
async def cf_batch(offset: int = 0, total: int = 40, size: int = 10) -> int:
    if offset + size < total:
        continue_as_new(offset=offset + size, total=total, size=size)
    return offset + size


@workflow(name="conformance_flow_naps")
async def cf_naps() -> str:
    await sleep(0.05)
    return "rested"


@workflow(name="conformance_flow_other")
async def cf_other() -> str:
    return "other"


class EngineFlowContract:
    """The execution API's behaviour on this backend."""

    area = "engine"

    @pytest_asyncio.fixture(loop_scope="function")
    async def flow_engine(self, backend: StorageBackend) -> AsyncIterator[Engine]:
        """The module-level API pointed at ``backend`` (inline), restored afterwards."""
        with configured(backend) as engine:
            yield engine

    @aio
    async def test_continue_as_new_without_arguments_fails_the_run(
        self, flow_engine: Engine
    ) -> None:
        run = await wait(await start(cf_continue_without_arguments), timeout=60)
        assert run.status is RunStatus.FAILED
        assert run.error is not None
        assert run.error["type"] == "pyworkflow.errors.InvalidInput", run.error
        assert run.continued_to is None

    @aio
    async def test_inline_start_follows_the_continue_as_new_chain(
        self, flow_engine: Engine
    ) -> None:
        first = await start(cf_batch, total=40, size=10)
        # no wait(): start() itself ran every member of the chain
        chain = await get_workflow_chain(first)
        assert [r.status for r in chain] == [RunStatus.CONTINUED_AS_NEW] * 3 + [RunStatus.COMPLETED]
        assert [r.input["kwargs"].get("offset", 0) for r in chain] == [0, 10, 20, 30]
        assert chain[-1].result == 40

    @aio
    async def test_wait_executes_only_its_own_runs_tasks(
        self, flow_engine: Engine, backend: StorageBackend
    ) -> None:
        with configured(backend, inline=False):
            # another program's run: stored with a due start task, executed by nobody here
            other = await start(cf_other)
        mine = await start(cf_naps)
        run = await wait(mine, timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == "rested"
        assert (await get_run(other)).status is RunStatus.PENDING
