"""Which test covers each documented item of the predecessor's API (pyworkflow-engine 0.1.9).

One :class:`Row` per documented item of the predecessor's reference: sections 1-6 of its API
summary (top-level names, decorators, starting and inspecting runs, primitives,
configuration, CLI). ``where`` is the file that covers it and ``marker`` a piece of text that
must occur in that file; ``test_ledger.py`` checks both, so a row cannot point at an
assertion that was renamed or deleted.

``where`` is one of:

* a program under ``programs/`` or a ``test_*.py`` beside this file: the marker is the
  assertion (or the call it checks) that covers the item;
* ``docs/migrating.md``: we differ on purpose, or the row is left out; the marker is the
  sentence there that says so and why;

Celery is out of scope: the runtime name ``"celery"`` is accepted (runs go to our workers)
and every Celery-only item points to the sentence of docs/migrating.md saying so.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["EXPECTED_MISSING", "LEDGER", "NAMES_89", "Row"]


class Row(NamedTuple):
    section: str
    item: str
    where: str
    marker: str


#: §1: the 89 names of the predecessor's ``pyworkflow.__all__``
NAMES_89: tuple[str, ...] = (
    "__version__",
    # configuration
    "configure", "configure_from_yaml", "get_config", "get_storage", "reset_config",
    # discovery
    "discover_workflows", "DiscoveryError",
    # decorators
    "workflow", "step", "scheduled_workflow",
    # schedule management
    "create_schedule", "get_schedule", "list_schedules", "update_schedule", "pause_schedule",
    "resume_schedule", "delete_schedule", "trigger_schedule", "backfill_schedule",
    "activate_scheduled_workflows", "get_scheduled_workflow", "list_scheduled_workflows",
    "ScheduledWorkflowMetadata",
    # primitives
    "sleep", "hook", "define_hook", "TypedHook", "resume_hook", "ResumeResult", "shield",
    "continue_as_new",
    # child workflows
    "start_child_workflow", "ChildWorkflowHandle",
    # execution
    "start", "resume", "cancel_workflow", "get_workflow_run", "get_workflow_events",
    "get_workflow_chain",
    # exceptions
    "WorkflowError", "FatalError", "RetryableError", "CancellationError", "SuspensionSignal",
    "WorkflowNotFoundError", "WorkflowAlreadyRunningError", "HookNotFoundError",
    "HookExpiredError", "HookAlreadyReceivedError", "InvalidTokenError", "ConfigurationError",
    "ChildWorkflowError", "ChildWorkflowFailedError", "MaxNestingDepthError",
    # context API
    "WorkflowContext", "LocalContext", "MockContext", "get_context", "has_context",
    "set_context", "reset_context",
    # step context
    "StepContext", "get_step_context", "has_step_context", "set_step_context",
    # registry
    "list_workflows", "get_workflow", "list_steps", "get_step",
    # storage
    "StorageBackend", "FileStorageBackend", "InMemoryStorageBackend", "WorkflowRun",
    "RunStatus",
    # schedule types
    "Schedule", "ScheduleSpec", "CalendarSpec", "ScheduleStatus", "OverlapPolicy",
    # runtime
    "Runtime", "LocalRuntime", "get_runtime", "register_runtime",
    # scheduler
    "LocalScheduler",
    # logging
    "configure_logging", "get_logger", "bind_workflow_context", "bind_step_context",
)  # fmt: skip

#: names of NAMES_89 not served (none: test_ledger.py fails on any missing name and reports
#: the ones listed here until they are served).
EXPECTED_MISSING: frozenset[str] = frozenset()

SURF = "programs/surface.py"
EXEC = "programs/execution.py"
STEPS = "programs/steps.py"
TRANS = "programs/transient.py"
HOOKS = "programs/hooks.py"
CANCEL = "programs/cancellation.py"
CHILD = "programs/children.py"
CAN = "programs/continue_as_new.py"
CTX = "programs/step_context.py"
SCHED = "programs/schedules.py"
CONF = "programs/configuration.py"
STORE = "programs/storage.py"
DICTS = "programs/config_dicts.py"
ENV = "programs/environment.py"
CLI = "programs/cli.py"
CLIS = "test_cli_surface.py"
MIG = "docs/migrating.md"
CTXAPI = "programs/context.py"
LIMITS = "programs/limits.py"
CELERY = "Celery is out of scope"


# fmt: off
def _rows() -> list[Row]:
    r: list[Row] = []

    def add(section: str, item: str, where: str, marker: str) -> None:
        r.append(Row(section, item, where, marker))

    # §1 top-level names and where the others live
    add("1", "the 89 names of pyworkflow.__all__", "test_ledger.py", "def test_the_89_names")
    add("1", "__version__ is a string", SURF, "isinstance(pyworkflow.__version__, str)")
    add("1", "Event, EventType in pyworkflow.engine.events",
        SURF, "from pyworkflow.engine.events import Event, EventType")
    add("1", "HookStatus, Hook in pyworkflow.storage",
        SURF, "from pyworkflow.storage import Hook, HookStatus")
    add("1", "StepStatus, StepExecution in pyworkflow.storage",
        MIG, "`StepStatus` and `StepExecution`")
    for cls in ("SQLite", "Postgres", "MySQL", "DynamoDB", "Cassandra"):
        add("1", f"{cls}StorageBackend in pyworkflow.storage", DICTS, f"{cls}StorageBackend(")
    add("1", "storage_to_config, config_to_storage in pyworkflow.storage",
        STORE, "from pyworkflow.storage import (")
    add("1", "a backend is None if its driver is missing",
        MIG, "A missing storage driver raises `MissingDependency`")
    add(
        "1",
        "pyworkflow.core.exceptions: ContinueAsNewSignal, EventLimitExceededError, "
        "WorkflowTimeoutError, StepNotFoundError, SerializationError, ContextError",
        MIG,
        "`pyworkflow.core.exceptions`",
    )
    add("1", "get_step_context_class in pyworkflow.context", LIMITS,
        "assert get_step_context_class() is None")
    add("1", "register/unregister_scheduled_workflow in pyworkflow.core.scheduled",
        MIG, "`pyworkflow.core.scheduled`")
    add("1", "LocalScheduler also at pyworkflow.scheduler",
        SURF, "from pyworkflow.scheduler import LocalScheduler")
    add("1", "list_workflows() -> dict[str, WorkflowMetadata]",
        SURF, "isinstance(list_workflows(), dict)")
    add("1", "get_workflow(name) -> WorkflowMetadata | None",
        SURF, 'get_workflow("no_such_workflow") is None')
    add("1", "list_steps() -> dict[str, StepMetadata]", SURF, '"lookup" in list_steps()')
    add("1", "get_step(name) -> StepMetadata | None", SURF, 'get_step("no_such_step") is None')
    add("1", "discover_workflows(module_path=None, config=None, config_path=None)",
        CONF, "discover_workflows()")
    add("1", "get_runtime(name): a new instance per call",
        SURF, 'get_runtime("local") is not get_runtime("local")')
    add("1", "get_runtime of an unknown name -> ValueError",
        SURF, 'expect(ValueError, lambda: get_runtime("no_such_runtime"))')
    add("1", "register_runtime(name, runtime_class); built-ins local, celery",
        SURF, 'register_runtime("inline_test", Inline)')
    add("1", 'configure_logging(level="INFO", log_file=None, json_logs=False, show_context=True)',
        SURF, "configure_logging(level=")
    add("1", "get_logger(name=None)", SURF, 'get_logger("surface")')
    add("1", "bind_workflow_context(run_id, workflow_name)", SURF, "bind_workflow_context(")
    add("1", "bind_step_context(run_id, step_id, step_name)", SURF, "bind_step_context(")
    add(
        "1",
        "WorkflowMetadata: name, func, original_func, max_duration, tags, description "
        "(stripped docstring), context_class",
        SURF,
        "meta.context_class is None",
    )
    add("1", "WorkflowMetadata.max_duration is the text given",
        MIG, "`WorkflowMetadata.max_duration` is in seconds")
    add(
        "1",
        "StepMetadata: name, func, original_func, max_retries=3, "
        'retry_delay="exponential" (str), timeout=None, metadata={}',
        SURF,
        'get_step("refuses").retry_delay == "exponential"',
    )
    add("1", "StepMetadata.retry_delay is str(retry_delay)", SURF, 'step_meta.retry_delay == "0"')

    # §2 decorators
    add("2", "decorators are called: @workflow(), @step()", EXEC, "@workflow(name=")
    add("2", "a different function under a registered name -> ValueError",
        SURF, 'workflow(name="surface_order")(plain)')
    add("2", "re-registering the same function is ignored",
        SURF, 'get_workflow("surface_order").tags == ["orders"]  # same function: ignored')
    add("2.1", "workflow name= (registry key, WorkflowRun.workflow_name)",
        EXEC, 'run.workflow_name == "process_order"')
    add("2.1", "workflow durable=None falls back to the configured default",
        TRANS, "@workflow(durable=False)")
    add("2.1", "start(durable=) overrides the decorator",
        TRANS, "start(usually_durable, 7, durable=False)")
    add("2.1", "workflow max_duration= stored, not enforced", MIG, "**`max_duration` is enforced**")
    add("2.1", "workflow tags=: at most 3, else ValueError at decoration",
        SURF, '"at most 3 tags" in str(too_many)')
    add("2.1", "workflow recover_on_worker_loss=, max_recovery_attempts=",
        MIG, "`recover_on_worker_loss` and `max_recovery_attempts` change nothing")
    add("2.1", "workflow context_class=", CTX, "@workflow(context_class=OrderContext)")
    add("2.1", "workflow max_retries option (docs: default 0; code: TypeError)",
        MIG, "**Workflow-level `max_retries` works** as the predecessor's docs describe it")
    add("2.1", "wrapper attributes __workflow__, __workflow_name__ ... __workflow_context_class__",
        CTXAPI, 'context_workflow.__workflow_name__ == "context_workflow"')
    add("2.1", "calling the wrapper directly awaits the function",
        SURF, 'await surface_order("direct")')
    add("2.2", "step name=", STEPS, 'name="charge_card"')
    add("2.2", "step max_retries=3: max_retries + 1 attempts", SURF, "len(ATTEMPTS) == 3 + 1")
    add("2.2", 'step retry_delay="exponential" | int | list | other',
        STEPS, "retry_delay=[1, 5, 30]")
    add("2.2", "retry_delay waits: exponential 1, 2, 4 ... 300; int; list; other 1 s",
        SURF, "retry_waits(")
    add("2.2", "step timeout= stored, never enforced", MIG, "**The step timeout is enforced.**")
    add("2.2", "step metadata=", STEPS, 'metadata={"team": "pay"}')
    add("2.2", "step wrapper attributes __step__ ... __step_metadata__",
        STEPS, "charge.__step_metadata__ ==")
    add("2.2", "a step called with no workflow runs directly",
        STEPS, 'await validate_order("direct")')
    add("2.2", "a cancellation checkpoint runs before every step",
        CANCEL, 'released == ["order-1"]')
    add("2.2", "step id step_<name>_<sha256>; identical calls return the cached result",
        MIG, "Step and run ids are ours")
    add("2.2", "durable: step.started, then step.completed",
        CLI, '["step.started", "step.completed"]')
    add("2.2", "FatalError: step.failed, never retried", SURF, 'types.count("step.failed") == 4')
    add("2.2", "a failed attempt with retries left suspends until resume_at",
        MIG, "**Sleeps and retries wake up by themselves**")
    add("2.2", "exhausted: the error (or RetryableError wrapping it) reaches the workflow",
        MIG, "**What the workflow sees when a step gives up.**")
    add("2.2", "transient: retries inline", TRANS, "transient_retries")
    add("2.2", "Celery runtime: steps on step workers", MIG, CELERY)
    add("2.3", "scheduled_workflow(cron=, interval=, calendar=, timezone=, ...)",
        SCHED, '@scheduled_workflow(cron="0 9 * * 1-5", timezone="Europe/Paris"')
    add("2.3", "scheduled_workflow with no cron/interval/calendar -> ValueError",
        SCHED, '"at least one of" in message')
    add("2.3", "ScheduledWorkflowMetadata(workflow_name, spec, overlap_policy, func)",
        SCHED, 'meta.spec.cron == "0 9 * * 1-5"')
    add("2.3", "wrapper attributes __scheduled__, __schedule_spec__, __overlap_policy__",
        SCHED, "morning_report.__scheduled__")
    add("2.3", "no schedule record until activate_scheduled_workflows()",
        SCHED, 'await activate_scheduled_workflows() == ["auto_morning_report"]')

    # §3.1 functions
    add("3.1", "start: an unregistered function -> ValueError", SURF, "await start(plain)")
    add("3.1", "start runtime= (local runs inline)",
        EXEC, "run.status == RunStatus.SUSPENDED  # the local runtime")
    add("3.1", 'start runtime="celery" stores the run and returns at once',
        EXEC, 'runtime="celery"')
    add("3.1", "start storage= keyword", STORE, "start(invoice, 10.0, storage=")
    add("3.1", "durable without storage -> ConfigurationError",
        MIG, "a durable run always has a store")
    add("3.1", "Celery + transient -> ValueError", MIG, CELERY)
    add("3.1", "idempotency key of an ended run returns its id", EXEC, "assert first == again")
    add("3.1", "idempotency key of a RUNNING run -> WorkflowAlreadyRunningError",
        MIG, "**An idempotency key of a running run returns its id**")
    add("3.1", "run ids run_<16 hex>", MIG, "Step and run ids are ours")
    add("3.1", "a failing workflow's exception propagates out of a local start",
        MIG, "**A local `start()` does not re-raise the workflow's exception.**")
    add("3.1", "runtime, durable, storage, idempotency_key never reach the workflow",
        TRANS, "(the keyword never reaches the workflow)")
    add("3.1", "resume: unknown run -> WorkflowNotFoundError", EXEC, 'missing == "no-such-run"')
    add("3.1", "resume returns the result on completion", EXEC, "result = await resume(run_id)")
    add("3.1", "resume without storage -> ConfigurationError",
        MIG, "a durable run always has a store")
    add("3.1", "get_workflow_run(run_id, storage=None); None when unknown",
        EXEC, 'await get_workflow_run("no-such-run") is None')
    add("3.1", "get_workflow_run/events/chain fall back to FileStorageBackend()",
        MIG, "a durable run always has a store")
    add("3.1", "get_workflow_events ordered by sequence",
        EXEC, "[e.sequence for e in events] == sorted")
    add("3.1", "get_workflow_chain(any member) -> the whole chain, oldest first",
        CAN, "await get_workflow_chain(chain[2].run_id)")
    add("3.1", "get_workflow_chain of an unknown run -> []",
        MIG, "**`get_workflow_chain` of an unknown run raises `NotFound`**")
    add(
        "3.1",
        "storage.list_runs/get_children/get_parent/get_nesting_depth/list_hooks/get_hook_by_token",
        MIG,
        "The predecessor's storage query methods",
    )
    add("3.1", "arguments stored as JSON text", MIG, "decoded values, not JSON text")
    add("3.1", "tagged JSON: datetime, date, timedelta, decimal, enum, exception, bytes, set",
        SURF, "tagged values round-trip")

    # §3.2 WorkflowRun
    add("3.2", "run_id, workflow_name, status", SURF, "run.run_id, run.workflow_name, run.status")
    add("3.2", "created_at, updated_at aware UTC", SURF, "run.updated_at.utcoffset()")
    add("3.2", "started_at; completed_at set on COMPLETED/FAILED",
        SURF, "failed.completed_at is not None")
    add("3.2", "input_args, input_kwargs", SURF, "run.input_args, run.input_kwargs")
    add("3.2", "input_args/input_kwargs/result are JSON text; result wrapped in a list",
        MIG, "decoded values, not JSON text")
    add("3.2", "result", SURF, 'run.result == {"key": "ORD-7", "note": "rush"}')
    add("3.2", "error: str(exception)", SURF, '"missing" in str(failed.error)')
    add("3.2", "error is a str", MIG, "`WorkflowRun.error` is a mapping")
    add("3.2", "idempotency_key", SURF, 'run.idempotency_key == "k-7"')
    add("3.2", "max_duration on the run", SURF, "run.max_duration == 3600.0")
    add("3.2", "context (step context)", CTX, "stored.context")
    add("3.2", "recovery_attempts, max_recovery_attempts, recover_on_worker_loss",
        MIG, "`recovery_attempts`, `max_recovery_attempts` and `recover_on_worker_loss` are")
    add("3.2", "parent_run_id, nesting_depth", SURF, "run.parent_run_id, run.nesting_depth")
    add("3.2", "nesting_depth of children", CHILD, "deep.result == [3, 3, 3]")
    add("3.2", "continued_from_run_id, continued_to_run_id",
        CAN, "newer.continued_from_run_id == older.run_id")
    add("3.2", "to_dict() / from_dict()", SURF, "WorkflowRun.from_dict(as_dict) == run")
    add("3.2", "from_dict: the predecessor's names, JSON text, legacy metadata key", SURF,
        '"metadata": {"workspace_id": "ws-1"},  # the legacy name of context')

    # §3.3 enums
    add("3.3", "RunStatus pending running suspended completed failed cancelled continued_as_new",
        SURF, "assert {s.value for s in RunStatus} >= {")
    add("3.3", "RunStatus.INTERRUPTED", MIG, "`RunStatus.INTERRUPTED`")
    add("3.3", "StepStatus", MIG, "`StepStatus` and `StepExecution`")
    add("3.3", "HookStatus pending, received", SURF, "HookStatus.PENDING.value")
    add("3.3", "HookStatus expired, disposed", MIG, "`HookStatus.EXPIRED`")
    add("3.3", "OverlapPolicy skip buffer_one buffer_all cancel_other allow_all",
        SURF, 'assert [p.value for p in OverlapPolicy if p.name != "TERMINATE_OTHER"] == [')
    add("3.3", "ScheduleStatus active, paused", SURF, '{"active", "paused"}')
    add("3.3", "ScheduleStatus.DELETED", MIG, "`delete_schedule` removes the row")
    add("3.3", "terminal for cancel_workflow: completed failed cancelled continued_as_new",
        CANCEL, "await cancel_workflow(run_id) is False")

    # §3.4 Event
    add("3.4", "event_id", SURF, "first.event_id")
    add("3.4", "run_id", SURF, "first.run_id == run_id")
    add("3.4", "type: EventType", SURF, "isinstance(first.type, EventType)")
    add("3.4", "timestamp aware UTC", SURF, "first.timestamp.tzinfo == UTC")
    add("3.4", "data: dict", SURF, "isinstance(first.data, dict)")
    add("3.4", "sequence: int", SURF, "isinstance(first.sequence, int)")
    add(
        "3.4",
        "Event(run_id='') -> ValueError, a non-EventType type -> TypeError; event_id evt_<hex>",
        MIG,
        "Events are written by the engine",
    )

    # §3.5 event types
    add("3.5", "the 34 EventType values", SURF, "len(EventType) == 34")
    add("3.5", "workflow.started first, workflow.completed last",
        EXEC, 'types[-1] == "workflow.completed"')
    add("3.5", "cancellation.requested; workflow.cancelled with reason, cleanup_completed",
        CANCEL, 'events[-1].data["cleanup_completed"] is True')
    add("3.5", "child_workflow.cancelled in the parent's log",
        CHILD, '"child_workflow.cancelled" in types')
    add("3.5", "step.started/step.completed recorded per step",
        CLI, '["step.started", "step.completed"]')
    add("3.5", "the data keys of each emitted event", MIG, "Event data is ours")
    add("3.5", "workflow.interrupted (Celery recovery)", MIG, CELERY)
    add("3.5", "schedule.triggered/backfill_* events", MIG, "A schedule's history is in its row")
    add("3.5", "event-count limits, EventLimitExceededError", LIMITS,
        '"EventLimitExceededError" in str(run.error)')

    # §4.1 sleep
    add("4.1", 'sleep("<int><unit>")', STEPS, 'await sleep("1s")')
    add("4.1", "sleep(int | float | timedelta)", SURF, "await sleep(0.01)")
    add("4.1", "sleep(aware datetime)", STEPS, "await sleep(datetime.now(UTC) + timedelta(")
    add("4.1", "sleep(past datetime) -> ValueError",
        STEPS, "await sleep(datetime(2000, 1, 1, tzinfo=UTC))")
    add("4.1", "sleep(naive datetime) -> TypeError",
        STEPS, "await sleep(datetime(2025, 12, 25, 9, 0))")
    add("4.1", 'compound durations ("1h30m") -> ValueError', MIG, 'compound durations (`"1h30m"`)')
    add("4.1", "sleep(name=) accepted", STEPS, 'name="short"')
    add("4.1", "outside a workflow / transient: asyncio.sleep",
        TRANS, "asyncio.sleep: nothing suspends")
    add("4.1", "durable: records sleep.started and suspends",
        EXEC, "run.status == RunStatus.SUSPENDED")
    add("4.1", "the local runtime never wakes a sleeping run",
        MIG, "**Sleeps and retries wake up by themselves**")

    # §4.2 hooks
    add("4.2", "hook(name, timeout=, on_created=)",
        HOOKS, 'await hook("comment", on_created=send_to_reviewer)')
    add("4.2", "hook outside a workflow -> RuntimeError", SURF, "hook outside a workflow")
    add("4.2", "hook in a transient run -> NotImplementedError",
        TRANS, "except NotImplementedError")
    add("4.2", 'token "<run_id>:<hook_id>"', MIG, "Error messages show only a token's first")
    add("4.2", "define_hook(name, schema) -> TypedHook; validation in the workflow",
        HOOKS, 'define_hook("approval", Approval)')
    add("4.2", "TypedHook attributes name, schema", HOOKS, "approval_hook.schema is Approval")
    add("4.2", "on_created awaited with the token before suspension", HOOKS, "len(tokens) == 1")
    add("4.2", "resume_hook returns ResumeResult(run_id, hook_id, status='resumed')",
        HOOKS, 'result.status == "resumed"')
    add("4.2", "resume_hook: HookAlreadyReceivedError", HOOKS, "except HookAlreadyReceivedError")
    add("4.2", "resume_hook: HookNotFoundError", HOOKS, "except HookNotFoundError")
    add("4.2", "resume_hook: HookExpiredError past expires_at", HOOKS, "except HookExpiredError")
    add("4.2", "resume_hook: malformed token -> InvalidTokenError",
        MIG, "a malformed token is a `HookNotFoundError`")
    add("4.2", "the local runtime resumes the run inside resume_hook",
        HOOKS, "assert len(tokens) == 2, tokens")
    add("4.2", "Hook record fields; payload_schema stored", CTXAPI,
        "stored.payload_schema == Approval.model_json_schema()")

    # §4.3 cancellation
    add("4.3", "cancel_workflow(run_id, reason=None, wait=False, timeout=None, storage=None)",
        CANCEL, 'cancel_workflow(run_id, reason="Customer request")')
    add("4.3", "unknown run -> WorkflowNotFoundError", CANCEL, "except WorkflowNotFoundError")
    add("4.3", "terminal run -> False", CANCEL, "await cancel_workflow(run_id) is False")
    add("4.3", "records cancellation.requested",
        CANCEL, "EventType.CANCELLATION_REQUESTED in types")
    add("4.3", "a SUSPENDED run is cancelled at once (cleanup_completed=False)",
        MIG, "**A suspended run is woken to be cancelled.**")
    add("4.3", "wait=True returns True once terminal",
        CANCEL, "cancel_workflow(second, wait=True, timeout=30) is True")
    add("4.3", "CancellationError at the next checkpoint; cleanup under shield()",
        CANCEL, "async with shield():\n            await release_inventory")
    add("4.3", "a swallowed CancellationError lets the workflow continue",
        CANCEL, 'run.result == "finished anyway"')
    add("4.3", "checkpoint message 'Workflow was cancelled: <reason>'", CANCEL,
        '"Workflow was cancelled: Customer request"')
    add("4.3", "CancellationError(message='Workflow was cancelled', reason=None)",
        SURF, '("Workflow was cancelled", None)')
    add("4.3", "shield() outside a workflow does nothing",
        CANCEL, "# shield() outside a workflow does nothing")
    add("4.3", "a running run sees the request only on its next replay",
        MIG, "**A running workflow sees the request at its next checkpoint**")

    # §4.4 child workflows
    add("4.4", "start_child_workflow(fn, *args, wait_for_completion=True) returns the result",
        CHILD, 'run.result["first"] == "sent to a@example.com"')
    add("4.4", "wait_for_completion=False returns a ChildWorkflowHandle",
        CHILD, "isinstance(handle, ChildWorkflowHandle)")
    add("4.4", "start_child_workflow outside a workflow -> RuntimeError",
        SURF, "start_child_workflow outside a workflow")
    add("4.4", "start_child_workflow in a transient run -> RuntimeError",
        TRANS, "except RuntimeError")
    add("4.4", "ChildWorkflowFailedError(child_run_id, child_workflow_name, error, error_type)",
        CHILD, 'run.result["failure"] == ["failing_child", "ValueError", "no such address"]')
    add("4.4", "MaxNestingDepthError at depth 3 (current_depth, max_depth, MAX_DEPTH)",
        CHILD, "MaxNestingDepthError.MAX_DEPTH == 3")
    add("4.4", "child ids child_<name>_<hex>; handle.child_id",
        MIG, "we identify a child by its run only")
    add("4.4", "children still running are cancelled when the parent ends",
        CHILD, "ended.status == RunStatus.CANCELLED")
    add("4.4", "ChildWorkflowHandle.get_status/result/cancel/is_terminal",
        CHILD, "assert await handle.cancel() is False")
    add("4.4", "ChildWorkflowHandle.is_running", CHILD, "await handle.is_running()")
    add("4.4", "ChildWorkflowHandle fields child_run_id, child_workflow_name, parent_run_id",
        CHILD, 'handle.child_workflow_name == "notify"')
    add("4.4", "parent/child queries: get_children(run_id, status=)",
        CHILD, "get_children(run_id, status=RunStatus.COMPLETED)")

    # §4.5 continue_as_new
    add("4.5", "continue_as_new(*args, **kwargs): a new linked run per call",
        CAN, "len(chain) == 5")
    add("4.5", "continue_as_new outside a workflow -> RuntimeError",
        SURF, "continue_as_new outside a workflow")
    add("4.5", "continue_as_new() with no arguments -> ValueError",
        CAN, '"InvalidInput" in bad.error["type"]')
    add("4.5", "old run CONTINUED_AS_NEW, linked both ways; start returns the first id",
        CAN, "older.continued_to_run_id == newer.run_id")
    add("4.5", "transient: the run just ends", TRANS, "continue_as_new in a transient run")

    # §4.6 errors
    add(
        "4.6",
        "WorkflowError base of FatalError, RetryableError, CancellationError, ChildWorkflowError",
        SURF,
        "issubclass(error, WorkflowError)",
    )
    add("4.6", "FatalError(message, **kwargs): message, metadata",
        STEPS, 'fatal.metadata == {"card": "4242"}')
    add("4.6", "RetryableError(message, retry_after=None, **kwargs); get_retry_delay_seconds",
        STEPS, 'retry_after="30s").get_retry_delay_seconds() == 30')
    add("4.6", "RetryableError retry_after: int, str, timedelta, naive UTC datetime",
        STEPS, 'RetryableError("at", retry_after=soon)')
    add("4.6", "RetryableError retry_after invalid string -> ValueError",
        STEPS, 'RetryableError("bad", retry_after="soon")')
    add("4.6", "SuspensionSignal(reason, **data)", CTXAPI,
        "assert not issubclass(SuspensionSignal, Exception)")
    add("4.6", "WorkflowNotFoundError(run_id) message", SURF, '"Workflow run not found: run_1"')
    add("4.6", "WorkflowAlreadyRunningError(run_id) message",
        SURF, '"Workflow already running: run_1"')
    add("4.6", "HookNotFoundError(token) message", SURF, '"Hook not found for token: "')
    add("4.6", "HookExpiredError(hook_id) message", SURF, '"Hook expired: hook_a_1"')
    add("4.6", "HookAlreadyReceivedError(hook_id) message",
        SURF, '"Hook already received: hook_a_1"')
    add("4.6", "InvalidTokenError(arg) message",
        SURF, 'str(InvalidTokenError("bad")).startswith("Invalid token for hook")')
    add("4.6", "ConfigurationError (Exception)", SURF, "issubclass(ConfigurationError, Exception)")
    add("4.6", "ChildWorkflowError; ChildWorkflowFailedError message",
        SURF, "\"Child workflow 'notify' (run_2) failed: boom\"")
    add("4.6", "MaxNestingDepthError(current_depth)", SURF, "deep.current_depth, deep.max_depth")
    add("4.6", "DiscoveryError (Exception)", SURF, "issubclass(DiscoveryError, Exception)")
    add("4.6", "any other exception fails the run (FAILED, error, workflow.failed)",
        SURF, "failed.status == RunStatus.FAILED")

    # §4.7 step context
    add("4.7", "StepContext: frozen, extra forbidden", CTX, "a StepContext must be frozen")
    add("4.7", "with_updates, to_dict, from_dict", CTX, "OrderContext.from_dict(ctx.to_dict())")
    add("4.7", "get_step_context() with none set -> RuntimeError",
        MIG, "**`get_step_context()` with no context set returns `None`**")
    add("4.7", "has_step_context()", CTX, '("has before", False)')
    add("4.7", "set_step_context: not a StepContext -> TypeError", CTX, '("type check", True)')
    add("4.7", "set_step_context records context.updated and WorkflowRun.context",
        CTX, '"context.updated" in')
    add("4.7", "context_class: the stored context is loaded on each re-execution",
        CTX, '("step", "OrderContext", "ws-123", "req-456")')
    add("4.7", "steps read the context; set_step_context in a step", CTX, '("read-only", True)')
    add("4.7", "inline steps may set the context (code)",
        MIG, "**`set_step_context` inside any step raises**")

    # §4.8 schedules
    add("4.8", "ScheduleSpec(cron=...)", SCHED, 'meta.spec.cron == "0 9 * * 1-5"')
    add("4.8", "ScheduleSpec(interval=)", SCHED, 'ScheduleSpec(interval="1h")')
    add("4.8", "ScheduleSpec(calendar=[CalendarSpec(...)]) with 0 = Monday",
        SCHED, "next_run_time.weekday() == 0")
    add("4.8", "ScheduleSpec defaults (timezone UTC, start_at/end_at/jitter None)",
        SCHED, 'ScheduleSpec().timezone == "UTC"')
    add("4.8", "ScheduleSpec(timezone=) IANA zone", SCHED, "auto.next_run_time.hour in (7, 8)")
    add("4.8", "end_at in the past: no next time (None)", MIG, "**A schedule with no firing left**")
    add("4.8", "CalendarSpec defaults second=0 minute=0 hour=0, day fields None",
        SCHED, "CalendarSpec().hour == 0")
    add("4.8", "Schedule fields schedule_id, workflow_name, status, next_run_time, total_runs",
        SCHED, 'schedule.schedule_id == "hourly"')
    add("4.8", "Schedule fields successful_runs, failed_runs", SCHED,
        "(counted.total_runs, counted.successful_runs, counted.failed_runs) == (1, 1, 0)")
    add("4.8", "Schedule fields args/kwargs JSON text, running_run_ids, buffered_count", MIG,
        "A schedule's running runs are read from the run rows, not kept in a `running_run_ids`")
    add("4.8", "create_schedule(workflow_name, spec, *args, overlap_policy, schedule_id)",
        SCHED, 'create_schedule("tally", ScheduleSpec(interval="1h"), 41, schedule_id="hourly")')
    add("4.8", "create_schedule of an unregistered workflow -> ValueError",
        SCHED, "an unregistered workflow")
    add("4.8", "get_schedule(schedule_id)", SCHED, 'await get_schedule("auto_morning_report")')
    add("4.8", "list_schedules(workflow_name=None, status=None, limit=100)",
        SCHED, "await list_schedules(")
    add("4.8", "list_schedules offset=", MIG, "`list_schedules(offset=)`")
    add("4.8", "every schedule function takes storage=", SCHED,
        'await get_schedule("hourly", storage=storage)')
    add("4.8", "update_schedule(schedule_id, spec=None, overlap_policy=None)",
        SCHED, "await update_schedule(")
    add("4.8", "pause_schedule -> PAUSED", SCHED, "paused.status == ScheduleStatus.PAUSED")
    add("4.8", "resume_schedule -> ACTIVE, next_run_time recomputed",
        SCHED, "resumed.next_run_time is not None")
    add("4.8", "delete_schedule", SCHED, 'await delete_schedule("weekly")')
    add("4.8", "missing schedule -> ValueError", MIG, "a missing schedule raises `NotFound`")
    add("4.8", "trigger_schedule starts a run now, returns its id",
        SCHED, 'run_id = await trigger_schedule("hourly")')
    add("4.8", "backfill_schedule(schedule_id, start_time, end_time) -> run ids",
        SCHED, "len(ran) == 3")
    add("4.8", "activate_scheduled_workflows(storage=None, schedule_id_prefix='auto_')",
        SCHED, "await activate_scheduled_workflows() == []  # idempotent")
    add("4.8", "get_scheduled_workflow(name), list_scheduled_workflows()",
        SCHED, '"morning_report" in list_scheduled_workflows()')
    add("4.8", "LocalScheduler(storage=None, poll_interval=5.0).tick_once()",
        SCHED, "await scheduler.tick_once()")
    add("4.8", "LocalScheduler.run(duration=), stop(), is_running", SCHED, "scheduler.is_running")
    add("4.8", "overlap policies applied on firing",
        MIG, "A schedule's running runs are read from the run rows")
    add("4.8", "Celery Beat PyWorkflowScheduler", MIG, CELERY)

    # §5.1 configuration API
    add("5.1", "configure(**keys); unknown key -> ValueError", CONF, '"no_such_option" in message')
    add("5.1", "configure: setting an event limit warns (UserWarning)",
        CONF, "issubclass(w.category, UserWarning)")
    add("5.1", "configure(module=, discover=True) imports the module",
        ENV, 'configure(module="env_flows")')
    add("5.1", "get_config() reads ./pyworkflow.config.yaml first",
        CONF, 'config.default_runtime == "local"')
    add("5.1", "configure() before get_config() skips the YAML (first wins)",
        MIG, "**Sources merge in one documented order**")
    add("5.1", "reset_config(); get_storage()", CONF, "reset_config()")
    add("5.1", "configure_from_yaml(path, discover=True) replaces the config",
        CONF, "get_config().default_retries == 3")
    add("5.1", "configure_from_yaml: missing file -> FileNotFoundError",
        CONF, "except FileNotFoundError")
    add("5.1", "configure_from_yaml: bad YAML -> ValueError", CONF, "except ValueError:\n")
    add("5.1", "configure_from_yaml: a module that fails to import -> DiscoveryError",
        CONF, "except DiscoveryError")
    for key, default in (
        ("default_runtime", '"local"'),
        ("default_retries", "3"),
        ("default_recover_on_worker_loss", "None"),
        ("default_max_recovery_attempts", "3"),
        ("celery_broker", "None"),
        ("aws_region", "None"),
        ("event_soft_limit", "10000"),
        ("event_hard_limit", "50000"),
        ("event_warning_interval", "100"),
    ):
        add("5.1", f"PyWorkflowConfig.{key} (default {default})", ENV, f"config.{key}")
    add("5.1", "PyWorkflowConfig.default_durable default False",
        MIG, "**`default_durable` is `True`**")
    add("5.1", "default_runtime='celery' queues runs", CONF, 'configure(default_runtime="celery")')
    add("5.1", "default_durable is the fallback of @workflow(durable=None)", ENV,
        "configure(default_durable=False)")

    # §5.2 pyworkflow.config.yaml
    add("5.2", "looked up in the working directory only", ENV, "not read from a parent folder")
    add("5.2", "yaml runtime:", CONF, '"runtime": "local"')
    add("5.2", "yaml runtime: celery makes durable the default", ENV, "runtime: celery")
    add("5.2", "yaml storage: {type, ...}", CONF, "storage_to_config(config.storage) == STORAGE")
    add("5.2", "yaml module / modules", CONF, '"module": "order_flows"')
    add("5.2", "yaml modules: (a list)", ENV, "modules:")
    add("5.2", "yaml celery.broker, celery.result_backend", ENV, "celery:")
    add("5.2", "parse errors silently ignored",
        MIG, "**Configuration that cannot be read is an error.**")
    add("5.2", "a recovery: block is ignored", MIG, "recovery after a lost worker is")

    # §5.3 environment variables
    add("5.3", "PYWORKFLOW_MODULE (CLI --module)", CLIS, "PYWORKFLOW_MODULE")
    add("5.3", "PYWORKFLOW_RUNTIME (CLI --runtime)", ENV, "PYWORKFLOW_RUNTIME")
    add("5.3", "PYWORKFLOW_STORAGE_BACKEND", ENV, "PYWORKFLOW_STORAGE_BACKEND")
    add("5.3", "PYWORKFLOW_STORAGE_PATH", ENV, "PYWORKFLOW_STORAGE_PATH")
    add("5.3", "PYWORKFLOW_CELERY_BROKER, PYWORKFLOW_CELERY_RESULT_BACKEND", MIG, CELERY)
    add("5.3", "PYWORKFLOW_DISCOVER (comma-separated modules)", ENV, "PYWORKFLOW_DISCOVER")

    # §5.4 storage backends and dicts
    add("5.4", 'FileStorageBackend(base_path="./pyworkflow_data")', DICTS, "FileStorageBackend()")
    add("5.4", "InMemoryStorageBackend()", STORE, "InMemoryStorageBackend()")
    add("5.4", 'SQLiteStorageBackend(db_path="./pyworkflow_data/pyworkflow.db")',
        DICTS, "SQLiteStorageBackend()")
    add(
        "5.4",
        "PostgresStorageBackend(dsn=None, host, port=5432, user, password, database, pool sizes)",
        DICTS,
        "PostgresStorageBackend(",
    )
    add("5.4", "MySQLStorageBackend(... port=3306)", DICTS, "MySQLStorageBackend(")
    add("5.4", "DynamoDBStorageBackend(table_name, region, endpoint_url)",
        DICTS, "DynamoDBStorageBackend(")
    add("5.4", "CassandraStorageBackend(contact_points, port, keyspace, ...)",
        DICTS, "CassandraStorageBackend(")
    add("5.4", "SQL/Cassandra backends need connect() first",
        MIG, "the engine connects a store on first use")
    add("5.4", "storage.connect() / disconnect()", STORE, "await storage.disconnect()")
    add("5.4", "config_to_storage(None or {}) -> file store; missing type -> file",
        DICTS, "config_to_url({}) == config_to_url(None)")
    for kind in ("file", "memory", "sqlite", "postgres", "mysql", "dynamodb", "cassandra"):
        add("5.4", f"config dict type {kind!r} <-> URL, defaults", DICTS, f'"type": "{kind}"')
    add("5.4", "type redis -> ValueError", STORE, '{"type": "redis"}')
    add("5.4", "an unknown type -> ValueError", STORE, '{"type": "nosuch"}')
    add("5.4", "a missing driver -> ValueError with an install hint",
        MIG, "A missing storage driver raises `MissingDependency`")
    add("5.4", "storage_to_config(storage); None -> None", STORE, "storage_to_config(None) is None")
    add("5.4", "storage_to_config of an unknown class -> {'type': 'unknown'}",
        DICTS, '{"type": "unknown"}')
    add("5.4", "postgres/mysql storage_to_config: dsn only when set",
        MIG, "`storage_to_config` always gives")

    # §6 CLI
    add("6", "--version", CLIS, '"--version"')
    add("6", "--module (env PYWORKFLOW_MODULE)", CLI, '"--module",\n    "myapp.workflows"')
    add("6", "--runtime local|celery (default celery)", MIG, "`--runtime local` (the default)")
    add("6", "--storage TYPE and --storage-path (env PYWORKFLOW_STORAGE_BACKEND/PATH)",
        CLIS, '"--storage-path"')
    add("6", "--output table|json|plain", CLIS, '"--output", "plain"')
    add("6", "-v/--verbose", CLIS, '"-v"')
    add("6", "CLI config file [tool.pyworkflow] in pyproject.toml", CLIS, "[tool.pyworkflow]")
    add("6", "CLI config files pyworkflow.toml ([pyworkflow] table), .pyworkflow.toml",
        CLIS, '(tmp_path / "pyworkflow.toml").write_text(')
    add("6", "CLI config [tool.pyworkflow.storage] table (type, base_path) and module",
        CLIS, "[tool.pyworkflow.storage]")
    add("6", "errors print a message and exit 1", CLIS, "code=1")
    add("6", "json mode: info lines around the JSON; an empty result is an info line", MIG,
        "**`--output json` prints only JSON**")
    add("6", "empty json result is []", CLIS, '"--start-time", "2999-01-01") == []')
    add("6", "discovery puts the working directory and the project root on sys.path", CLIS,
        "def test_modules_are_imported_from_the_project_root")
    add("6", "workflows list: json name, max_duration, tags; plain; table",
        CLIS, '("Name", "Max Duration", "Tags")')
    add("6", "workflows info NAME: json and key-value", CLIS, '"workflows", "info"')
    add("6", "workflows run NAME --arg k=v (JSON-decoded)", CLI, '"--arg",\n    "order_id=123"')
    add(
        "6",
        "workflows run --args-json, --idempotency-key, --no-wait; json run_id, "
        "workflow_name, runtime",
        CLIS,
        '"--args-json"',
    )
    add("6", "workflows run --durable/--no-durable", MIG, "**Every run is durable.**")
    add("6", "workflows run --debug (accepted)", CLIS, '"order_id=D1", "--debug"')
    add("6", "workflows run without a name: interactive picker", MIG, "**No prompts.**")
    add("6", "runs list -q --status --start-time --end-time --limit; json, plain, table",
        CLIS, '"runs", "list", "--limit"')
    add("6", "runs list --limit defaults to 20", CLIS, '.limit == 20')
    add("6", "runs status RUN_ID: json", CLI, '"runs", "status", run_id')
    add("6", "runs status RUN_ID: all json keys and key-value text", CLIS,
        '("Input Keyword Arguments", "Result")')
    add("6", "runs logs --filter: json, plain, table", CLI, '"--filter", "step"')
    add("6", "runs logs in plain and table format", CLIS, '"runs", "logs"')
    add("6", "runs cancel --wait --timeout --reason", CLIS, '"--reason"')
    add("6", "runs children --status", CLIS, '"runs", "children"')
    add("6", "runs chain", CLIS, '"runs", "chain"')
    add("6", "schedules create --cron/--interval --timezone --overlap --schedule-id",
        CLIS, '"schedules", "create"')
    add("6", "schedules list --workflow --status --limit: json, plain, table", CLIS,
        '("Schedule ID", "Workflow", "Status", "Next Run")')
    add("6", "schedules show", CLIS, '"schedules", "show", "weekday"')
    add("6", "schedules pause / resume", CLIS, '"schedules", "resume", "weekday"')
    add("6", "schedules update --overlap", CLIS, '"schedules", "update", "weekday"')
    add("6", "schedules trigger", CLIS, '"schedules", "trigger", "hourly"')
    add("6", "schedules backfill --start --end", CLIS, '"schedules", "backfill", "hourly"')
    add("6", "schedules delete --force", CLIS, '"schedules", "delete", "weekday", "--force"')
    add("6", "scheduler run --poll-interval --duration", CLIS, '"scheduler", "run"')
    add("6", "worker run (Celery queues, --beat, --pool)", MIG, "**No Celery.**")
    add("6", "worker status / worker list / worker queues", CLIS, '"worker", "queues"')
    add("6", "hooks list --run-id --status --limit", CLIS, '"hooks", "list"')
    add("6", "hooks info TOKEN", CLIS, '"hooks", "info"')
    add("6", "hooks run RUN_ID", CLIS, '"hooks", "run"')
    add("6", "hooks resume TOKEN -f/--payload-file", CLIS, '"resume", token, "-f", "payload.json"')
    add("6", "hooks resume TOKEN -p/--payload", CLIS, '"hooks", "resume", other, "--payload"')
    add("6", "setup --non-interactive --skip-docker --storage ...", CLIS, '"setup"')
    add("6", "setup: an existing config file is kept as .yaml.backup", CLIS,
        '"pyworkflow.config.yaml.backup"')
    add("6", "quickstart --non-interactive --skip-docker --template --storage",
        CLIS, '"quickstart"')
    add("6", "setup writes Redis + dashboard docker-compose",
        MIG, "**Setup starts the database, not Redis.**")
    return r
# fmt: on


LEDGER: list[Row] = _rows()
