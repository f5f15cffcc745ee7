"""``successful_runs`` / ``failed_runs``: a schedule counts each of its runs' outcomes once.

When a run started by a schedule (its metadata names the ``schedule_id``) ends, the engine's
terminal bookkeeping (``Engine.finalize``, repeated whenever a replay finds the log already
ended) calls :func:`count_outcome`. The count changes with a compare-and-swap on the
schedule row's revision, together with the run's id in ``stats["counted"]`` (the last
:data:`REMEMBERED` counted runs), so a repeated call (two workers finishing the same run, a
crash after the count and a re-drive) counts nothing twice. A completed run counts in
``stats["succeeded"]``; a failed or cancelled one in ``stats["failed"]``; a run that continued
as new is not an outcome (its last run in the chain is not started by the schedule and is
not counted). A deleted schedule counts nothing.
"""

from __future__ import annotations

import contextlib

from pyworkflow.errors import NotFound
from pyworkflow.models import RunStatus, WorkflowRun
from pyworkflow.storage import StorageBackend

__all__ = ["REMEMBERED", "count_outcome"]

# A re-drive comes at the latest one lease after the run ended, so only a burst of more than
# this many endings of one schedule's runs within a lease could push a run out before it.
REMEMBERED = 256
_KEYS = {
    RunStatus.COMPLETED: "succeeded",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "failed",
}


async def count_outcome(storage: StorageBackend, run: WorkflowRun, status: RunStatus) -> None:
    """Count ``run``'s end (``status``) in its schedule's stats, once (see the module doc)."""
    schedule_id = run.metadata.get("schedule_id") if isinstance(run.metadata, dict) else None
    key = _KEYS.get(status)
    if not isinstance(schedule_id, str) or key is None:
        return
    for _ in range(50):  # lost races against firings or other endings: read again
        row = await storage.get_schedule(schedule_id)
        if row is None:
            return
        stats = dict(row.stats)
        counted = list(stats.get("counted") or [])
        if run.id in counted:
            return
        stats[key] = int(stats.get(key, 0) or 0) + 1
        stats["counted"] = [*counted, run.id][-REMEMBERED:]
        with contextlib.suppress(NotFound):  # deleted meanwhile: nothing to count
            if not await storage.update_schedule(
                schedule_id, {"stats": stats}, expected_revision=row.revision
            ):
                continue
        return
