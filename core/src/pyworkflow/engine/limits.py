"""The per-run event-count limits of durable runs (the predecessor's safety net against a
runaway workflow).

Before a durable call records events (a step, ``sleep``, a hook, a child, the step context,
and the workflow's completion), the run's event count is compared with the settings
``event_soft_limit`` (default 10 000: a warning, then one every ``event_warning_interval``,
default 100, events) and ``event_hard_limit`` (default 50 000):
:class:`EventLimitExceededError` (a :class:`FatalError`) is raised in the workflow at that
call, so unless the workflow catches it the run ends ``failed`` with it, recorded like any
other failure. The run's terminal event (and the parent-close events riding with it) is
always allowed past the limit, so a run over it can still end; a cancellation request is
written by ``cancel`` outside the limit too.

The count is the log's version (event sequences are dense from 1), which the execution has
already read: the check costs no storage call, so a store that is down can never turn into
this error. Transient runs store no events and have no limit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import settings
from .errors import FatalError

if TYPE_CHECKING:
    from .context import RunContext

__all__ = ["EventLimitExceededError", "check_event_limit"]

log = logging.getLogger("pyworkflow.engine")


class EventLimitExceededError(FatalError):
    """A durable run reached ``event_hard_limit`` events (never retried). ``run_id``,
    ``event_count`` (the count when the call was refused) and ``limit``."""

    def __init__(self, run_id: str, event_count: int, limit: int) -> None:
        super().__init__(
            f"Workflow {run_id} exceeded maximum event limit: {event_count} >= {limit}"
        )
        self.run_id = run_id
        self.event_count = event_count
        self.limit = limit


def check_event_limit(ctx: RunContext) -> None:
    """Raise :class:`EventLimitExceededError` when the run's log (with the events this
    execution holds back to write with its next append) has reached the hard limit; warn
    past the soft limit. Called before a durable call records anything."""
    limits = settings.current()
    count = ctx.version + len(ctx.pending)
    if count >= limits.event_hard_limit:
        raise EventLimitExceededError(ctx.run.id, count, limits.event_hard_limit)
    if count >= limits.event_soft_limit:
        interval = max(limits.event_warning_interval, 1)
        if ctx.warned_at is None or count >= ctx.warned_at + interval:
            ctx.warned_at = count
            log.warning(
                "run %s: approaching the event limit: %d/%d events (warning from %d)",
                ctx.run.id,
                count,
                limits.event_hard_limit,
                limits.event_soft_limit,
            )
