"""The types of the events the engine writes to a run's log.

Every engine event's ``type`` is one of these values. They are the predecessor
(pyworkflow-engine)'s dotted names, so a program that compares ``event.type`` with
``EventType.STEP_COMPLETED`` or prints ``event.type.value`` works on either. A ``StrEnum``
member *is* its string, so comparing with plain strings (``event.type == "step.completed"``)
works too. Members marked "reserved" are part of the predecessor's catalogue but describe
something this engine does not record (its data is elsewhere: a schedule's counters, a hook's
row); they exist so that code naming them still imports.
"""

from __future__ import annotations

from enum import StrEnum

# ``Event`` is re-exported: the predecessor documented it here, next to ``EventType``.
from pyworkflow.models import EVENT_TYPES, Event, RunStatus

__all__ = ["CHILD_OUTCOME", "TERMINAL_EVENTS", "Event", "EventType"]


class EventType(StrEnum):
    """Event types of a workflow run's log (see docs/engine.md for each one's data)."""

    WORKFLOW_STARTED = "workflow.started"
    WORKFLOW_COMPLETED = "workflow.completed"
    WORKFLOW_FAILED = "workflow.failed"
    WORKFLOW_CANCELLED = "workflow.cancelled"
    WORKFLOW_CONTINUED_AS_NEW = "workflow.continued_as_new"
    WORKFLOW_INTERRUPTED = "workflow.interrupted"  # reserved: leases replace worker-loss recovery
    WORKFLOW_PAUSED = "workflow.paused"  # reserved
    WORKFLOW_RESUMED = "workflow.resumed"  # reserved

    STEP_STARTED = "step.started"
    STEP_COMPLETED = "step.completed"
    STEP_FAILED = "step.failed"
    STEP_RETRYING = "step.retrying"  # reserved: a retry's time is in step.failed's retry_at
    STEP_CANCELLED = "step.cancelled"  # reserved

    SLEEP_STARTED = "sleep.started"
    SLEEP_COMPLETED = "sleep.completed"

    HOOK_CREATED = "hook.created"
    HOOK_RECEIVED = "hook.received"
    HOOK_EXPIRED = "hook.expired"
    HOOK_DISPOSED = "hook.disposed"  # reserved

    CANCELLATION_REQUESTED = "cancellation.requested"
    CONTEXT_UPDATED = "context.updated"

    CHILD_WORKFLOW_STARTED = "child_workflow.started"
    CHILD_WORKFLOW_COMPLETED = "child_workflow.completed"
    CHILD_WORKFLOW_FAILED = "child_workflow.failed"
    CHILD_WORKFLOW_CANCELLED = "child_workflow.cancelled"

    SCHEDULE_CREATED = "schedule.created"  # reserved: schedules keep counters in their row
    SCHEDULE_UPDATED = "schedule.updated"  # reserved
    SCHEDULE_TRIGGERED = "schedule.triggered"  # reserved
    SCHEDULE_SKIPPED = "schedule.skipped"  # reserved
    SCHEDULE_PAUSED = "schedule.paused"  # reserved
    SCHEDULE_RESUMED = "schedule.resumed"  # reserved
    SCHEDULE_DELETED = "schedule.deleted"  # reserved
    SCHEDULE_BACKFILL_STARTED = "schedule.backfill_started"  # reserved
    SCHEDULE_BACKFILL_COMPLETED = "schedule.backfill_completed"  # reserved


#: the event a parent records when it observes a child's end, by the child's final status
CHILD_OUTCOME: dict[RunStatus, EventType] = {
    RunStatus.COMPLETED: EventType.CHILD_WORKFLOW_COMPLETED,
    RunStatus.FAILED: EventType.CHILD_WORKFLOW_FAILED,
    RunStatus.CANCELLED: EventType.CHILD_WORKFLOW_CANCELLED,
}

#: the event that ends a run, by the status it gives the run
TERMINAL_EVENTS: dict[str, RunStatus] = {
    "workflow.completed": RunStatus.COMPLETED,
    "workflow.failed": RunStatus.FAILED,
    "workflow.cancelled": RunStatus.CANCELLED,
    "workflow.continued_as_new": RunStatus.CONTINUED_AS_NEW,
}


# Events read from any backend from now on carry EventType members (see models.Event).
EVENT_TYPES.update({member.value: member for member in EventType})
