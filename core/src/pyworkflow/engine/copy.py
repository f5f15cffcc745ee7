"""Copy a whole store to another: every run with its full history, hooks and schedules.

Events keep their ids, types, data and timestamps, and land at the same sequences (logs are
dense from 1). The copy is resumable: a run already fully copied is skipped, a partial log
continues from the destination's version, and each run is verified by reading both sides.
Stop workers on the source first (a run that moves while it is copied is reported, not
silently diverged), and start workers on the destination only when the copy is done.

Tasks are not copied (their leases belong to the source's workers); the copy recreates the
ones that matter instead:
each unfinished run gets one ``resume`` task in the destination (its replay there starts a
pending run, re-arms its timers, retries and hook timeouts, and repairs a child's lost start
task), and each interval schedule gets the firing task for its ``next_run_at`` (the same id
as in the source, so copying twice stores it once; a schedule without ``next_run_at`` had no
firing to copy). Event logs that have no run row are not discoverable through the contract
and are not copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyworkflow._validate import RUN_CHANGES
from pyworkflow.errors import ConflictError, StorageError
from pyworkflow.models import NewEvent, Task, WorkflowRun, utcnow
from pyworkflow.storage import StorageBackend

from .context import RESUME
from .runtime import read_all
from .schedules import _task as firing_task

__all__ = ["CopyReport", "copy_storage"]

_BATCH = 100
_COMPARED = tuple(f for f in WorkflowRun.__dataclass_fields__ if f != "updated_at")


@dataclass(slots=True)
class CopyReport:
    """What a copy did. ``errors`` lists runs that could not be copied or verified."""

    runs: int = 0
    copied: int = 0
    skipped: int = 0
    events: int = 0
    hooks: int = 0
    schedules: int = 0
    errors: list[str] = field(default_factory=list)


async def _all_runs(storage: StorageBackend) -> list[WorkflowRun]:
    runs: list[WorkflowRun] = []
    cursor: str | None = None
    while True:
        page = await storage.list_runs(limit=1000, cursor=cursor)
        runs.extend(page.items)
        if page.next_cursor is None:
            return runs[::-1]  # oldest first
        cursor = page.next_cursor


def _same_row(a: WorkflowRun, b: WorkflowRun) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _COMPARED)


async def copy_storage(
    src: StorageBackend,
    dst: StorageBackend,
    *,
    on_run: Callable[[WorkflowRun, str], None] | None = None,
) -> CopyReport:
    """Copy ``src`` into ``dst`` (both connected); see the module docstring."""
    report = CopyReport()
    batch = max(1, min(_BATCH, dst.features.max_batch))
    for run in await _all_runs(src):
        report.runs += 1
        try:
            state = await _copy_run(src, dst, run, batch, report)
        except StorageError as exc:
            state = "error"
            report.errors.append(f"run {run.id}: {exc}")
        if on_run is not None:
            on_run(run, state)
    cursor: str | None = None
    while True:
        page = await src.list_schedules(limit=1000, cursor=cursor)
        for schedule in page.items:
            if await dst.get_schedule(schedule.id) is None:
                await dst.create_schedule(schedule)
                report.schedules += 1
            # Checked on every copy, not only when the row is new: an earlier copy may have
            # stopped between the two writes.
            if schedule.interval is not None and schedule.next_run_at is not None:
                await dst.enqueue(firing_task(schedule.id, schedule.next_run_at))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return report


async def _copy_run(
    src: StorageBackend, dst: StorageBackend, run: WorkflowRun, batch: int, report: CopyReport
) -> str:
    source_version = await src.version(run.id)
    existing = await dst.get_run(run.id)
    if existing is None:
        stored, created = await dst.create_run(run)
        if not created:
            raise ConflictError(
                f"idempotency key {run.idempotency_key!r} belongs to run {stored.id} in the "
                "destination"
            )
    elif not _same_row(existing, run):
        changes = {
            f: getattr(run, f)
            for f in sorted(RUN_CHANGES)  # every field update_run may change
            if getattr(existing, f) != getattr(run, f)
        }
        await dst.update_run(run.id, changes)
    done = await dst.version(run.id)
    if done > source_version:
        raise ConflictError(f"destination log has {done} events, source only {source_version}")
    if existing is not None and done == source_version and _same_row(existing, run):
        report.skipped += 1
        return "skipped"
    # Everything but the log first: the log is what marks a run as completely copied (a run
    # whose row and log match is skipped next time), so it must be the last thing written.
    for event in await src.read(run.id, types=["hook.created"]):
        token = event.data.get("token")
        if isinstance(token, str) and await dst.get_hook(token) is None:
            hook = await src.get_hook(token)
            if hook is not None:
                await dst.create_hook(hook)
                report.hooks += 1
    if not run.status.terminal:
        await dst.enqueue(Task(id=f"{run.id}:copied", run_id=run.id, kind=RESUME, due_at=utcnow()))
    after = done
    while after < source_version:
        page = await src.read(run.id, after=after, limit=batch)
        if not page:
            break
        await dst.append(
            run.id,
            [NewEvent(type=e.type, data=e.data, id=e.id, timestamp=e.timestamp) for e in page],
            expected_version=after,
        )
        report.events += len(page)
        after = page[-1].sequence
    source_log = await read_all(src, run.id)
    copied_log = await read_all(dst, run.id)
    if (
        source_log[:source_version] != [e for e in copied_log if e.sequence <= source_version]
        or len(copied_log) != source_version
    ):
        raise ConflictError("verification failed: the copied log differs from the source")
    report.copied += 1
    return "copied"
