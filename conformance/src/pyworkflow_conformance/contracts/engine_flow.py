"""Contract area 'engine', continued: how runs flow through the module-level API.

``continue_as_new()`` without arguments fails the run; an inline ``start()`` follows a
continue-as-new chain to its end; an inline ``wait(run_id)`` executes only its own runs'
tasks, leaving another program's due tasks to workers; a typed hook stores its payload's
JSON schema on the hook row.

The workflows live at module level so a worker subprocess can import them by name.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel
from pyworkflow import (
    HookAlreadyReceivedError,
    HookNotFoundError,
    InvalidInput,
    InvalidTokenError,
    ResumeResult,
    RunStatus,
    StorageBackend,
    WorkflowFailed,
    configured,
    continue_as_new,
    define_hook,
    get_run,
    get_workflow_chain,
    get_workflow_events,
    get_workflow_run,
    hook,
    resume,
    resume_hook,
    sleep,
    start,
    start_child,
    step,
    wait,
    wait_for_hook,
    workflow,
)
from pyworkflow.engine import deadline
from pyworkflow.engine.events import EventType
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.contracts.engine import ConfiguredEngine
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


_TRANSIENT: list[str] = []


@step
async def cf_note(what: str) -> str:
    _TRANSIENT.append(what)
    return what


@workflow(name="conformance_flow_transient", durable=False)
async def cf_transient(key: str) -> str:
    await cf_note(f"{key}:step")
    await sleep(0.01)  # asyncio.sleep: nothing is stored
    for attempt, call in (
        ("hook", lambda: wait_for_hook("h")),
        ("child", lambda: start_child(cf_other)),
    ):
        try:
            await call()
        except (NotImplementedError, RuntimeError) as exc:
            _TRANSIENT.append(f"{key}:{attempt}:{type(exc).__name__}")
    return key


@workflow(name="conformance_flow_echo", tags=["billing", "nightly"], max_duration="1h")
async def cf_echo(*args: object, **kwargs: object) -> dict[str, object]:
    return {"args": list(args), "kwargs": kwargs}


_TOKENS: dict[str, list[str]] = {}


@workflow(name="conformance_flow_hook")
async def cf_announced_hook(key: str) -> object:
    async def announce(token: str) -> None:
        _TOKENS.setdefault(key, []).append(token)

    return await hook("approval", timeout="1h", on_created=announce)


class CfApproval(BaseModel):
    approved: bool
    reviewer: str


cf_approval = define_hook("approval", CfApproval)


@workflow(name="conformance_flow_typed_hook")
async def cf_typed_hook(key: str) -> str:
    async def announce(token: str) -> None:
        _TOKENS.setdefault(key, []).append(token)

    decision = await cf_approval(timeout="1h", on_created=announce)
    return decision.reviewer


@workflow(name="conformance_flow_deadline", max_duration="1h")
async def cf_deadline() -> object:
    return await wait_for_hook("never")


class EngineFlowContract(ConfiguredEngine):
    """The execution API's behaviour on this backend."""

    area = "engine"

    @aio
    async def test_continue_as_new_without_arguments_fails_the_run(self, engine: Engine) -> None:
        run = await wait(await start(cf_continue_without_arguments), timeout=60)
        assert run.status is RunStatus.FAILED
        assert run.error is not None
        assert run.error["type"] == "pyworkflow.errors.InvalidInput", run.error
        assert run.continued_to is None

    @aio
    async def test_inline_start_follows_the_continue_as_new_chain(self, engine: Engine) -> None:
        first = await start(cf_batch, total=40, size=10)
        # no wait(): start() itself ran every member of the chain
        chain = await get_workflow_chain(first)
        assert [r.status for r in chain] == [RunStatus.CONTINUED_AS_NEW] * 3 + [RunStatus.COMPLETED]
        assert [r.input["kwargs"].get("offset", 0) for r in chain] == [0, 10, 20, 30]
        assert chain[-1].result == 40

    @aio
    async def test_wait_executes_only_its_own_runs_tasks(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        with configured(backend, inline=False):
            # another program's run: stored with a due start task, executed by nobody here
            other = await start(cf_other)
        mine = await start(cf_naps)
        run = await wait(mine, timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == "rested"
        assert (await get_run(other)).status is RunStatus.PENDING

    @aio
    async def test_transient_run_stores_nothing(self, engine: Engine) -> None:
        key = f"t{len(_TRANSIENT)}-{id(engine)}"
        run_id = await start(cf_transient, key)
        assert await get_workflow_run(run_id) is None
        assert await get_workflow_events(run_id) == []
        assert [n for n in _TRANSIENT if n.startswith(key)] == [
            f"{key}:step",
            f"{key}:hook:NotImplementedError",
            f"{key}:child:RuntimeError",
        ]
        # start(durable=False) makes any workflow transient; True overrides the decorator
        durable_id = await start(cf_transient, key + "d", durable=True)
        run = await get_workflow_run(durable_id)
        assert run is not None
        assert run.workflow_name == "conformance_flow_transient"

    @aio
    async def test_start_keywords_never_reach_the_workflow(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        run_id = await start(
            cf_echo, 1, runtime="local", durable=True, storage=backend, idempotency_key=None, x=2
        )
        run = await wait(run_id, timeout=60)
        assert run.result == {"args": [1], "kwargs": {"x": 2}}
        assert run.run_id == run.id == run_id
        assert run.input_args == [1]
        assert run.input_kwargs == {"x": 2}
        assert run.parent_run_id is None
        assert run.nesting_depth == 0
        assert run.continued_from_run_id is None
        assert run.continued_to_run_id is None
        assert run.metadata["tags"] == ["billing", "nightly"]
        assert run.metadata["max_duration"] == 3600.0
        events = await get_workflow_events(run_id)
        assert events[0].type is EventType.WORKFLOW_STARTED
        last = events[-1].type
        assert isinstance(last, EventType)
        assert last.value == "workflow.completed"
        assert events[0].event_id == events[0].id
        with pytest.raises(InvalidInput):
            workflow(tags=["a", "b", "c", "d"])

    @aio
    async def test_runtime_celery_stores_and_resume_executes(self, engine: Engine) -> None:
        run_id = await start(cf_echo, "queued", runtime="celery")
        pending = await get_workflow_run(run_id)
        assert pending is not None
        assert pending.status is RunStatus.PENDING
        assert await resume(run_id) == {"args": ["queued"], "kwargs": {}}
        assert (await get_run(run_id)).status is RunStatus.COMPLETED

    @aio
    async def test_hook_announces_its_token_and_resume_hook_is_strict(self, engine: Engine) -> None:
        key = f"h{id(engine)}-{len(_TOKENS)}"
        run_id = await start(cf_announced_hook, key)
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        [token] = _TOKENS[key]
        result = await resume_hook(token, {"ok": True})
        assert result == ResumeResult(run_id=run_id, hook_id="approval", status="resumed")
        with pytest.raises(HookAlreadyReceivedError):
            await resume_hook(token, {"ok": False})
        run = await wait(run_id, timeout=60)
        assert run.result == {"ok": True}
        assert _TOKENS[key] == [token]  # announced once, not again on replay
        with pytest.raises(HookNotFoundError) as missing:
            await resume_hook(token + "x", 1)
        assert token not in str(missing.value)
        with pytest.raises(InvalidTokenError):
            await resume_hook("", 1)

    @aio
    async def test_typed_hook_stores_its_payload_schema(
        self, engine: Engine, backend: StorageBackend
    ) -> None:
        key = f"t{id(engine)}-{len(_TOKENS)}"
        run_id = await start(cf_typed_hook, key)
        [token] = _TOKENS[key]
        stored = await backend.get_hook(token)
        assert stored is not None
        assert stored.payload_schema == CfApproval.model_json_schema()
        await resume_hook(token, {"approved": True, "reviewer": "ann"})
        assert (await wait(run_id, timeout=60)).result == "ann"

    @aio
    async def test_max_duration_fails_the_run_at_its_deadline(
        self, engine: Engine, backend: StorageBackend, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        run_id = await start(cf_deadline)
        run = await get_run(run_id)
        assert run.status is RunStatus.SUSPENDED
        due = run.created_at + timedelta(hours=1)
        # a timer task makes sure the run is executed at its deadline (the hook never comes)
        leases = await backend.claim(
            "deadline-check", lease=30, limit=1000, now=due + timedelta(seconds=1)
        )
        try:
            mine = [le.task for le in leases if le.task.id == f"{run_id}:deadline"]
            assert len(mine) == 1
            assert abs((mine[0].due_at - due).total_seconds()) < 0.01
        finally:
            for lease in leases:
                await backend.release(lease, due_at=lease.task.due_at)
        # before the deadline a resume leaves it waiting; after it, the run fails
        assert await resume(run_id) is None
        assert (await get_run(run_id)).status is RunStatus.SUSPENDED
        monkeypatch.setattr(deadline, "clock", lambda: due + timedelta(seconds=1))
        with pytest.raises(WorkflowFailed):
            await resume(run_id)
        ended = await get_run(run_id)
        assert ended.status is RunStatus.FAILED
        assert ended.error["type"].endswith("WorkflowTimeout"), ended.error
