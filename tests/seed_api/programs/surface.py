"""The predecessor's documented surface as its reference pages list it: the registry and
decorator options, the run and event records, the enums and their values, the errors with
their constructors and messages, runtimes and logging. One assertion per documented item
(tests/seed_api/ledger.py names each)."""

import asyncio
import contextlib
import enum
import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyworkflow
from pyworkflow import (
    CancellationError,
    ChildWorkflowError,
    ChildWorkflowFailedError,
    ConfigurationError,
    DiscoveryError,
    FatalError,
    HookAlreadyReceivedError,
    HookExpiredError,
    HookNotFoundError,
    InvalidTokenError,
    LocalRuntime,
    MaxNestingDepthError,
    OverlapPolicy,
    RetryableError,
    RunStatus,
    Runtime,
    ScheduleStatus,
    WorkflowAlreadyRunningError,
    WorkflowError,
    WorkflowNotFoundError,
    WorkflowRun,
    bind_step_context,
    bind_workflow_context,
    configure_logging,
    continue_as_new,
    get_logger,
    get_runtime,
    get_step,
    get_workflow,
    get_workflow_events,
    get_workflow_run,
    hook,
    list_steps,
    list_workflows,
    register_runtime,
    sleep,
    start,
    start_child_workflow,
    step,
    workflow,
)
from pyworkflow.engine.events import Event, EventType
from pyworkflow.scheduler import LocalScheduler
from pyworkflow.storage import Hook, HookStatus


class Colour(enum.Enum):
    RED = "red"


ATTEMPTS: list[int] = []


@step(name="lookup", max_retries=2, retry_delay=0, timeout=5, metadata={"team": "a"})
async def lookup(key: str) -> str:
    return key.upper()


@step(max_retries=2, retry_delay=0)
async def always_fails() -> None:
    ATTEMPTS.append(1)
    raise ConnectionError("down")


@step(max_retries=4)
async def refuses() -> None:
    ATTEMPTS.append(1)
    raise FatalError("card declined")


@workflow(name="surface_order", tags=["orders"], max_duration="1h")
async def surface_order(key: str, *, note: str = "") -> dict:
    """Look up one order."""
    return {"key": await lookup(key), "note": note}


@workflow()
async def retrying() -> str:
    with contextlib.suppress(Exception):
        await always_fails()
    with contextlib.suppress(Exception):
        await refuses()
    return "gave up"


@workflow()
async def broken() -> None:
    raise KeyError("missing")


@workflow()
async def echo(value: object) -> object:
    return value


def make_flaky(delay: object):
    @step(name=f"flaky_{len(WAITS)}", max_retries=3, retry_delay=delay)
    async def flaky() -> None:
        raise ConnectionError("down")

    @workflow(name=f"flaky_workflow_{len(WAITS)}")
    async def flaky_workflow() -> None:
        await flaky()

    WAITS.append(delay)
    return flaky_workflow


WAITS: list[object] = []


async def retry_waits(delay: object) -> float:
    """The wait before the first retry of a step with this retry_delay, as recorded."""
    run_id = await start(make_flaky(delay))
    failed = [e for e in await get_workflow_events(run_id) if e.type == "step.failed"]
    retry_at = failed[0].data["retry_at"] / 1e6  # ours: microseconds since the epoch
    return round(retry_at - failed[0].timestamp.timestamp())


async def plain() -> None:
    return None


def expect(error: type[BaseException], call) -> BaseException:
    try:
        call()
    except error as exc:
        return exc
    raise AssertionError(f"expected {error.__name__}")


async def main() -> None:
    # §1 version and registry listing
    assert isinstance(pyworkflow.__version__, str)
    assert isinstance(list_workflows(), dict)
    assert "surface_order" in list_workflows()
    meta = get_workflow("surface_order")
    assert (meta.name, meta.tags, meta.description) == (
        "surface_order",
        ["orders"],
        "Look up one order.",
    )
    assert meta.original_func.__name__ == "surface_order"
    assert meta.max_duration is not None
    assert meta.context_class is None
    assert get_workflow("no_such_workflow") is None
    assert "lookup" in list_steps()
    step_meta = get_step("lookup")
    assert (step_meta.max_retries, step_meta.timeout, step_meta.metadata) == (2, 5, {"team": "a"})
    assert step_meta.retry_delay == "0"  # stored as str(retry_delay)
    assert get_step("always_fails").retry_delay == "0"
    assert get_step("refuses").retry_delay == "exponential"
    assert get_step("no_such_step") is None

    # §2 decorator rules
    too_many = expect(ValueError, lambda: workflow(tags=["a", "b", "c", "d"]))
    assert "at most 3 tags" in str(too_many)
    assert callable(workflow(max_retries=1))  # the docs' option (the code refused it)
    other = expect(ValueError, lambda: workflow(name="surface_order")(plain))
    assert "surface_order" in str(other)
    assert workflow(name="surface_order")(surface_order) is surface_order
    assert get_workflow("surface_order").tags == ["orders"]  # same function: ignored
    assert await surface_order("direct") == {"key": "DIRECT", "note": ""}  # called directly
    try:
        await start(plain)
    except ValueError as exc:
        unregistered = str(exc)  # an unregistered function: ValueError
    else:
        raise AssertionError("an unregistered function was started")
    assert "plain" in unregistered, unregistered

    # §1 names that live in submodules
    assert LocalScheduler is pyworkflow.LocalScheduler
    assert Hook.__name__ == "Hook"
    assert {HookStatus.PENDING.value, HookStatus.RECEIVED.value} == {"pending", "received"}

    # §1 runtimes and logging
    assert isinstance(get_runtime("local"), LocalRuntime)
    assert get_runtime("local") is not get_runtime("local")  # a new instance per call
    assert isinstance(get_runtime("celery"), Runtime)  # accepted: runs go to workers
    expect(ValueError, lambda: get_runtime("no_such_runtime"))

    class Inline(LocalRuntime):
        pass

    register_runtime("inline_test", Inline)
    assert isinstance(get_runtime("inline_test"), Inline)
    configure_logging(level="INFO", log_file=None, json_logs=False, show_context=True)
    assert isinstance(get_logger("surface"), logging.Logger)
    assert bind_workflow_context("run_1", "surface_order").extra["run_id"] == "run_1"
    assert bind_step_context("run_1", "step_1", "lookup").extra["step_name"] == "lookup"

    # §3.2 WorkflowRun fields
    run_id = await start(surface_order, "ord-7", note="rush", idempotency_key="k-7")
    run = await get_workflow_run(run_id)
    assert isinstance(run, WorkflowRun)
    assert (run.run_id, run.workflow_name, run.status) == (
        run_id,
        "surface_order",
        RunStatus.COMPLETED,
    )
    assert run.created_at.tzinfo is not None
    assert run.updated_at.utcoffset().total_seconds() == 0
    assert run.started_at is not None
    assert run.completed_at >= run.started_at
    assert (run.input_args, run.input_kwargs) == (["ord-7"], {"note": "rush"})
    assert run.result == {"key": "ORD-7", "note": "rush"}
    assert run.error is None
    assert run.idempotency_key == "k-7"
    assert (run.parent_run_id, run.nesting_depth) == (None, 0)
    assert (run.continued_from_run_id, run.continued_to_run_id) == (None, None)
    assert run.max_duration == 3600.0  # max_duration="1h", in seconds

    # §3.2 to_dict() / from_dict(), also with the predecessor's names and JSON text
    as_dict = run.to_dict()
    assert (as_dict["run_id"], as_dict["status"]) == (run_id, "completed")
    assert as_dict["input_kwargs"] == {"note": "rush"}
    assert json.loads(json.dumps(as_dict)) == as_dict  # JSON-ready
    assert WorkflowRun.from_dict(as_dict) == run
    legacy = WorkflowRun.from_dict(
        {
            "run_id": "run_0123456789abcdef",
            "workflow_name": "surface_order",
            "status": "failed",
            "input_args": '["ord-9"]',
            "input_kwargs": "{}",
            "metadata": {"workspace_id": "ws-1"},  # the legacy name of context
            "created_at": "2025-12-29T10:00:00+00:00",
        }
    )
    assert (legacy.run_id, legacy.status, legacy.input_args) == (
        "run_0123456789abcdef",
        RunStatus.FAILED,
        ["ord-9"],
    )
    assert legacy.context == {"workspace_id": "ws-1"}
    assert legacy.created_at.tzinfo is not None
    failed = await get_workflow_run(await start(broken))
    assert failed.status == RunStatus.FAILED
    assert "missing" in str(failed.error)
    assert failed.completed_at is not None

    # §3.4 Event fields
    events = await get_workflow_events(run_id)
    first = events[0]
    assert isinstance(first, Event)
    assert first.event_id
    assert first.run_id == run_id
    assert isinstance(first.type, EventType)
    assert first.timestamp.tzinfo == UTC
    assert isinstance(first.data, dict)
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)
    assert isinstance(first.sequence, int)

    # §2.2 retries: max_retries + 1 attempts; FatalError is never retried
    retried = await pyworkflow.wait(await start(retrying), timeout=30)
    assert retried.result == "gave up", retried
    assert len(ATTEMPTS) == 3 + 1, ATTEMPTS
    types = [e.type.value for e in await get_workflow_events(retried.run_id)]
    assert types.count("step.failed") == 4, types

    # §2.2 retry_delay: the wait before the first retry
    assert await retry_waits("exponential") == 1
    assert await retry_waits(7) == 7
    assert await retry_waits([30, 60]) == 30
    assert await retry_waits("30s") == 1  # any other value: 1 s, as the predecessor's code

    # §3.1 tagged values round-trip through a run's arguments and result
    tagged = {
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": date(2026, 1, 2),
        "gap": timedelta(minutes=5),
        "price": Decimal("9.99"),
        "colour": Colour.RED,
        "raw": b"\x00\x01",
        "tags": {"a", "b"},
    }
    echoed = await get_workflow_run(await start(echo, tagged))
    assert echoed.result == tagged, echoed.result  # tagged values round-trip

    # §4.1 sleep outside a workflow: int, float, timedelta
    await sleep(0)
    await sleep(0.01)
    await sleep(timedelta(milliseconds=10))

    # §4.2, §4.4, §4.5 outside a workflow: RuntimeError
    for outside, call in (
        ("hook outside a workflow", lambda: hook("approval")),
        ("start_child_workflow outside a workflow", lambda: start_child_workflow(echo, 1)),
    ):
        try:
            await call()
        except RuntimeError:
            pass
        else:
            raise AssertionError(outside)
    expect(RuntimeError, lambda: continue_as_new(1))  # continue_as_new outside a workflow

    # §3.3 enums
    assert {s.value for s in RunStatus} >= {
        "pending",
        "running",
        "suspended",
        "completed",
        "failed",
        "cancelled",
        "continued_as_new",
    }
    assert RunStatus.CONTINUED_AS_NEW.value == "continued_as_new"
    assert [p.value for p in OverlapPolicy if p.name != "TERMINATE_OTHER"] == [
        "skip",
        "buffer_one",
        "buffer_all",
        "cancel_other",
        "allow_all",
    ]
    assert {s.value for s in ScheduleStatus} >= {"active", "paused"}

    # §3.5 the 34 event types, by value
    assert {t.value for t in EventType} == {
        "workflow.started",
        "workflow.completed",
        "workflow.failed",
        "workflow.cancelled",
        "workflow.continued_as_new",
        "workflow.interrupted",
        "workflow.paused",
        "workflow.resumed",
        "step.started",
        "step.completed",
        "step.failed",
        "step.retrying",
        "step.cancelled",
        "sleep.started",
        "sleep.completed",
        "hook.created",
        "hook.received",
        "hook.expired",
        "hook.disposed",
        "cancellation.requested",
        "context.updated",
        "child_workflow.started",
        "child_workflow.completed",
        "child_workflow.failed",
        "child_workflow.cancelled",
        "schedule.created",
        "schedule.updated",
        "schedule.triggered",
        "schedule.skipped",
        "schedule.paused",
        "schedule.resumed",
        "schedule.deleted",
        "schedule.backfill_started",
        "schedule.backfill_completed",
    }
    assert len(EventType) == 34

    # §4.6 errors: bases, constructors, messages
    for error in (FatalError, RetryableError, CancellationError, ChildWorkflowError):
        assert issubclass(error, WorkflowError), error
    assert issubclass(ChildWorkflowFailedError, ChildWorkflowError)
    assert issubclass(MaxNestingDepthError, ChildWorkflowError)
    assert issubclass(ConfigurationError, Exception)
    assert issubclass(DiscoveryError, Exception)
    assert str(WorkflowNotFoundError("run_1")) == "Workflow run not found: run_1"
    assert str(WorkflowAlreadyRunningError("run_1")) == "Workflow already running: run_1"
    assert str(HookExpiredError("hook_a_1")) == "Hook expired: hook_a_1"
    assert str(HookAlreadyReceivedError("hook_a_1")) == "Hook already received: hook_a_1"
    assert str(HookNotFoundError("tok")).startswith("Hook not found for token: ")
    assert str(InvalidTokenError("bad")).startswith("Invalid token for hook")
    failed_child = ChildWorkflowFailedError("run_2", "notify", "boom", "ValueError")
    assert str(failed_child) == "Child workflow 'notify' (run_2) failed: boom"
    assert (failed_child.child_run_id, failed_child.error_type) == ("run_2", "ValueError")
    deep = MaxNestingDepthError(3)
    assert (deep.current_depth, deep.max_depth, MaxNestingDepthError.MAX_DEPTH) == (3, 3, 3)
    cancelled = CancellationError()
    assert (cancelled.message, cancelled.reason) == ("Workflow was cancelled", None)
    assert CancellationError("stop", reason="user").reason == "user"
    retry = RetryableError("busy", retry_after=10, shard=2)
    assert (retry.message, retry.retry_after, retry.metadata) == ("busy", 10, {"shard": 2})
    print("surface: ok")


if __name__ == "__main__":
    asyncio.run(main())
