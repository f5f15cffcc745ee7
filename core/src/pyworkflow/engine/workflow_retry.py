"""Workflow-level retries: ``@workflow(max_retries=N)`` starts a failed run again, up to N
times, as a new attempt.

An attempt is a run of its own, as in Temporal (a run's event log is append-only, so a failed
attempt cannot be replayed from scratch in place). The failed attempt ends ``failed``, its
error recorded, with ``continued_to`` naming the next attempt (created with the same input,
``continued_from`` naming the failed one and ``metadata["workflow_attempt"]`` counting from
1). ``wait()``, ``run_until_complete()``, a parent joining its child and an inline ``start``
follow that link, so callers see the outcome of the last attempt.

What is retried: an exception escaping the workflow function. Not retried: a
:class:`~pyworkflow.engine.errors.FatalError` (also ``EventLimitExceededError``), a run whose
cancellation was requested (whatever it raised), a run past its ``max_duration``, and a
result too large to record. The next attempt starts at once (no backoff).

Durable and re-drivable: the next attempt's run is created with the idempotency key
``retry:<failed run id>`` *before* the failed attempt's terminal event names it, so a crash in
between leaves a run that the replay finds again (no second attempt), and the attempt's start
task is enqueued by the terminal bookkeeping, which is repeated until it is done.
"""

from __future__ import annotations

from typing import Any

from pyworkflow._ids import new_id
from pyworkflow.models import WorkflowRun
from pyworkflow.storage import StorageBackend

from .errors import FatalError

__all__ = ["ATTEMPT_KEY", "attempt_of", "next_attempt"]

#: the run metadata key that numbers a run's attempt (absent: the first)
ATTEMPT_KEY = "workflow_attempt"


def attempt_of(run: WorkflowRun) -> int:
    """Which attempt ``run`` is (1 for the first)."""
    value = run.metadata.get(ATTEMPT_KEY, 1) if isinstance(run.metadata, dict) else 1
    return value if isinstance(value, int) and value >= 1 else 1


def _max_retries(run: WorkflowRun) -> int:
    value = run.metadata.get("max_retries", 0) if isinstance(run.metadata, dict) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


async def next_attempt(
    storage: StorageBackend, run: WorkflowRun, exc: BaseException
) -> dict[str, Any]:
    """``{"retry_run_id": id}`` for the terminal ``workflow.failed`` event if ``run`` is
    retried after ``exc`` (the next attempt is created, once), else ``{}``."""
    if isinstance(exc, FatalError) or attempt_of(run) > _max_retries(run):
        return {}
    stored_input = run.input if isinstance(run.input, dict) else {}
    successor = WorkflowRun(
        id=new_id(),
        workflow_name=run.workflow_name,
        input=run.input,  # the same arguments and initial step context
        context=stored_input.get("context"),
        metadata={**run.metadata, ATTEMPT_KEY: attempt_of(run) + 1},
        parent_id=run.parent_id,
        continued_from=run.id,
        # a replay after a crash finds the attempt it already created
        idempotency_key=f"retry:{run.id}",
    )
    stored, _ = await storage.create_run(successor)
    return {"retry_run_id": stored.id}
