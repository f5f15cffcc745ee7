"""The storage contract every backend implements.

:class:`StorageBackend` has two halves (template method): the **public methods** validate
their arguments, encode JSON once, translate driver errors and retry where that is safe; the
**primitives** (``_append``, ``_read``, ...) are what a backend implements, receiving inputs
that are already valid. Edge cases are documented once, here, on the public methods; a
backend's primitives must behave exactly as documented there, and the conformance suite checks
that they do. The contract's hooks and schedules are in :mod:`.hooks_schedules`, and the
shared machinery (open check, error translation, redaction) in :mod:`._machinery`: parts of
the same class, kept in modules of their own to stay readable.

Atomicity is the database's job, never a lock in this process: two processes (or hosts, where
``features.multi_host``) using the same store must get the same guarantees as two coroutines.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Self

from pyworkflow import _validate as v
from pyworkflow._cursors import decode_run_cursor
from pyworkflow._ids import check_id
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import ensure_utc
from pyworkflow.errors import (
    ConflictError,
    LeaseLost,
    NotFound,
    PyWorkflowError,
    StorageUnavailable,
)
from pyworkflow.features import Features
from pyworkflow.models import (
    TERMINAL_STATUSES,
    Event,
    Lease,
    NewEvent,
    Page,
    RunFilter,
    RunStatus,
    Task,
    WorkflowRun,
    utcnow,
)
from pyworkflow.task_views import TaskInfo, TaskState
from pyworkflow.urls import StorageURL

from ._machinery import MAX_PAGE, keyset_page
from .hooks_schedules import HooksAndSchedules

__all__ = ["EncodedEvent", "StorageBackend"]


class StorageBackend(HooksAndSchedules):
    """An async store for pyworkflow's event logs, runs, tasks, hooks and schedules.

    Create one with :meth:`from_url` (or the backend class with a URL), then use it as
    ``async with backend:``, which connects (creating or migrating the schema under a
    database lock) and closes. Calling any method before ``connect()`` raises
    :class:`StorageError`. All errors are from :mod:`pyworkflow.errors`.
    """

    #: The capabilities of this backend (an instance may narrow them from its options).
    features: Features = Features()
    #: URL schemes served by this class (informational; the registry maps schemes to classes).
    schemes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, url: str | StorageURL, **options: Any) -> None:
        """Parse ``url`` and options. Nothing is opened until :meth:`connect`.

        ``retries`` (default 3) bounds the retries of a write that raised
        :class:`StorageUnavailable` where a retry is safe. Every other option is the
        backend's; one it does not know raises :class:`InvalidInput`.
        """
        self.url = StorageURL.parse(url)
        #: Every secret to keep out of messages; a backend adds any it reads from elsewhere
        #: (the environment, a file) in ``_configure``.
        self._secrets: set[str] = {self.url.password} if self.url.password else set()
        opts = self.url.options(options)
        self.retries = opts.take_int("retries", 3, minimum=0)
        self._configure(opts)
        opts.finish()
        self._open = False

    @classmethod
    def from_url(cls, url: str | StorageURL, **options: Any) -> StorageBackend:
        """The backend for ``url`` (through the registry when called on this base class).

        Raises :class:`~pyworkflow.errors.MissingDependency` naming the ``pip install`` line
        when the scheme's package is not installed.
        """
        if cls is StorageBackend:
            # Lazily: the registry names this class only for type checkers, so there is no
            # cycle, but importing it here keeps `import pyworkflow.storage` light.
            from pyworkflow.registry import open_backend

            return open_backend(url, **options)
        return cls(url, **options)

    def __repr__(self) -> str:
        state = "open" if self._open else "closed"
        return f"<{type(self).__name__} {self.url.render()} {state}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open connections and create or migrate the schema. Idempotent."""
        if not self._open:
            await self._call(self._connect())
            self._open = True

    async def close(self) -> None:
        """Release every connection. Idempotent; the backend may be connected again."""
        if self._open:
            self._open = False
            await self._call(self._close())

    async def disconnect(self) -> None:
        """:meth:`close` under the predecessor's name."""
        await self.close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- event log -----------------------------------------------------------------------------

    async def append(
        self, run_id: str, events: Sequence[NewEvent], *, expected_version: int
    ) -> int:
        """Append ``events`` (1..``features.max_batch``) atomically; return the new version.

        ``expected_version`` is the sequence of the last event the caller has seen (0 for an
        empty log). If the log's version differs, nothing is written and
        :class:`ConflictError` is raised. New events get sequences ``expected_version + 1``
        onwards: 1-based, dense, stored, never reused. An event id already in this run's log
        is a conflict too. A ``timestamp`` of ``None`` becomes the time of the call.

        The log is keyed by ``run_id`` alone: it need not have a :class:`WorkflowRun`.
        Empty ``events``, a repeated id in the batch, a bad id or type, data that is not a
        JSON object -> :class:`InvalidInput`; encoded data over ``features.max_event_bytes``
        -> :class:`PayloadTooLarge`. ``expected_version`` must be an int in
        ``0..2**63 - 1`` (:class:`InvalidInput` otherwise); one so large that the new
        sequences would pass ``2**63 - 1`` is a version no log can have:
        :class:`ConflictError`. In every error case nothing is written.

        When an attempt raises :class:`StorageUnavailable` it is retried (``retries``
        times); if the retry then conflicts, the log is read back and, when the events are
        there with their ids at the expected sequences, the append is reported as done.
        """
        self._require_open()
        check_id(run_id, "run_id")
        v.check_version(expected_version)
        batch = v.check_events(events, self.features, utcnow())
        if expected_version > v.MAX_SEQUENCE - len(batch):
            # No log can be at this version and still take the batch: its sequences would
            # not fit the 64-bit range. Every backend answers the same, without asking.
            raise ConflictError(
                f"run {run_id!r} cannot be at version {expected_version}: a log holds at most "
                f"{v.MAX_SEQUENCE} events"
            )
        retried = False
        attempt = 0
        while True:
            try:
                # ``_call`` inlined (the hot path: one coroutine frame less per append).
                try:
                    return await self._append(run_id, batch, expected_version)
                except PyWorkflowError:
                    raise
                except Exception as exc:
                    raise self._translate_error(exc) from exc
            except StorageUnavailable:
                attempt += 1
                if attempt > self.retries:
                    raise
                retried = True
                await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
            except ConflictError:
                if retried and await self._landed(run_id, batch, expected_version):
                    return expected_version + len(batch)
                raise

    async def _landed(self, run_id: str, batch: list[EncodedEvent], expected: int) -> bool:
        """Whether an earlier attempt stored exactly this batch at ``expected + 1 ...``."""
        stored = await self._call(self._read(run_id, expected, len(batch), None))
        return [(e.sequence, e.id) for e in stored] == [
            (expected + i, e.id) for i, e in enumerate(batch, 1)
        ]

    async def read(
        self,
        run_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        types: Iterable[str] | None = None,
    ) -> list[Event]:
        """Events with ``sequence > after``, in sequence order, at most ``limit`` of them.

        ``types`` keeps only events of those types; a filter never changes an event's
        sequence. A run with no events, or an empty ``types``, gives ``[]``. ``after`` is
        ``0..2**63 - 1``, ``limit`` ``None`` or ``1..2**63 - 1``, ``types`` at most 1000 distinct
        types (:class:`InvalidInput` otherwise).
        """
        self._require_open()
        check_id(run_id, "run_id")
        v.check_version(after, "after")
        lim = v.check_limit(limit, allow_none=True)
        wanted = v.check_types(types)
        if wanted is not None and not wanted:
            return []
        return await self._call(self._read(run_id, after, lim, wanted))

    async def version(self, run_id: str) -> int:
        """The sequence of the run's last event; 0 when it has none."""
        self._require_open()
        check_id(run_id, "run_id")
        return await self._call(self._version(run_id))

    # -- runs ----------------------------------------------------------------------------------

    async def create_run(self, run: WorkflowRun) -> tuple[WorkflowRun, bool]:
        """Store a new run; return ``(run, True)``.

        If ``run.idempotency_key`` is already used, nothing is written and
        ``(existing_run, False)`` is returned, atomically: of any number of concurrent calls
        with one key, exactly one creates. A run id that exists (with another or no key)
        raises :class:`ConflictError`.
        """
        self._require_open()
        # The backend gets the run with the JSON text validation produced: encoded once.
        checked = v.check_run_encoded(run, self.features)
        return await self._call(self._create_run(checked))

    async def get_run(self, run_id: str) -> WorkflowRun | None:
        """The run, or ``None`` if there is none with this id."""
        self._require_open()
        check_id(run_id, "run_id")
        return await self._call(self._get_run(run_id))

    async def update_run(
        self,
        run_id: str,
        changes: Mapping[str, Any],
        *,
        expected_status: RunStatus | None = None,
    ) -> bool:
        """Apply ``changes`` (field -> value) if the run's status is ``expected_status``.

        Updatable fields: status, result, error, context, metadata, started_at,
        completed_at, continued_to; anything else -> :class:`InvalidInput`. ``updated_at``
        is set to now; a terminal status without ``completed_at`` sets it to now. Returns
        ``False`` (writing nothing) when ``expected_status`` is given and differs; raises
        :class:`NotFound` when the run does not exist.
        """
        self._require_open()
        check_id(run_id, "run_id")
        checked = v.check_run_changes(changes, self.features, utcnow())
        expected = (
            None
            if expected_status is None
            else v.check_enum(RunStatus, expected_status, "expected_status")
        )
        return await self._call(self._update_run(run_id, checked, expected))

    async def list_runs(
        self, filter: RunFilter | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Page[WorkflowRun]:
        """Runs matching ``filter``, newest first (``created_at`` then ``id``, descending).

        ``limit`` is 1..1000. The cursor is a keyset position (the last item's created_at and
        id), so paging never repeats or skips a run because others were inserted or updated
        meanwhile. A malformed cursor -> :class:`InvalidInput`.
        """
        self._require_open()
        flt = v.check_filter(filter)
        lim = v.check_limit(limit, MAX_PAGE)
        assert lim is not None
        after = decode_run_cursor(cursor)
        rows = await self._call(self._list_runs(flt, lim + 1, after))
        return keyset_page(rows, lim, lambda run: (run.created_at, run.id))

    async def children(self, run_id: str) -> list[WorkflowRun]:
        """Runs whose ``parent_id`` is ``run_id``, oldest first; ``[]`` if none."""
        found: list[WorkflowRun] = []
        cursor: str | None = None
        while True:
            page = await self.list_runs(RunFilter(parent_id=run_id), limit=MAX_PAGE, cursor=cursor)
            found.extend(page.items)
            if page.next_cursor is None:
                return found[::-1]
            cursor = page.next_cursor

    async def chain(self, run_id: str) -> list[WorkflowRun]:
        """The continue-as-new chain containing ``run_id``, oldest first.

        Follows ``continued_from`` back and ``continued_to`` forward from any member.
        Raises :class:`NotFound` if ``run_id`` does not exist.
        """
        start = await self.get_run(run_id)
        if start is None:
            raise NotFound(f"run {run_id!r} does not exist")
        seen = {start.id}
        back: list[WorkflowRun] = []
        run = start
        while run.continued_from and run.continued_from not in seen:
            prev = await self.get_run(run.continued_from)
            if prev is None:
                break
            seen.add(prev.id)
            back.append(prev)
            run = prev
        chain = [*back[::-1], start]
        run = start
        while run.continued_to and run.continued_to not in seen:
            nxt = await self.get_run(run.continued_to)
            if nxt is None:
                break
            seen.add(nxt.id)
            chain.append(nxt)
            run = nxt
        return chain

    # -- tasks ---------------------------------------------------------------------------------

    async def enqueue(self, task: Task) -> bool:
        """Store a task; ``False`` (changing nothing) if its id exists already."""
        self._require_open()
        return await self._call(self._enqueue(v.check_task(task, self.features)))

    async def claim(
        self,
        worker: str,
        *,
        lease: timedelta | float,
        limit: int = 1,
        now: datetime | None = None,
    ) -> list[Lease]:
        """Lease up to ``limit`` due tasks (``due_at <= now``), earliest due first.

        A task is claimable when it is not leased or its lease has expired. Each claim
        increments ``attempts`` and gets a fresh lease token; while a lease holds, no other
        claim returns that task, in any process or host. ``lease`` is a ``timedelta`` or a
        finite number of seconds, at least a microsecond, ending before the year 10000;
        ``limit`` is 1..1000 (:class:`InvalidInput` otherwise).
        """
        self._require_open()
        check_id(worker, "worker")
        lim = v.check_limit(limit, MAX_PAGE)
        assert lim is not None
        at = utcnow() if now is None else ensure_utc(now, "now")
        expires = v.check_duration(lease, "lease", at)
        return await self._call(self._claim(worker, at, expires, lim))

    async def complete(self, lease: Lease) -> None:
        """Delete the leased task. :class:`LeaseLost` if this lease no longer holds it.

        A lease holds until the task is completed, released or claimed again; an expired
        lease that nobody re-claimed still holds.
        """
        self._require_open()
        v.check_lease(lease)
        if not await self._call(self._complete(lease.task.id, lease.token)):
            raise LeaseLost(f"task {lease.task.id!r} is no longer leased by this lease")

    async def extend(
        self, lease: Lease, by: timedelta | float, *, now: datetime | None = None
    ) -> Lease:
        """Move the lease's expiry to ``now`` (default: the current time) + ``by``; return
        the updated lease. :class:`LeaseLost` if this lease no longer holds the task. ``by``
        follows the rules of ``claim``'s ``lease``.
        """
        self._require_open()
        v.check_lease(lease)
        at = utcnow() if now is None else ensure_utc(now, "now")
        expires = v.check_duration(by, "by", at)
        if not await self._call(self._extend(lease.task.id, lease.token, expires)):
            raise LeaseLost(f"task {lease.task.id!r} is no longer leased by this lease")
        return replace(lease, expires_at=expires)

    async def release(self, lease: Lease, *, due_at: datetime | None = None) -> None:
        """Give the task back, due at ``due_at`` (default now), for any worker to claim.

        :class:`LeaseLost` if this lease no longer holds the task.
        """
        self._require_open()
        v.check_lease(lease)
        due = utcnow() if due_at is None else ensure_utc(due_at, "due_at")
        if not await self._call(self._release(lease.task.id, lease.token, due)):
            raise LeaseLost(f"task {lease.task.id!r} is no longer leased by this lease")

    async def list_tasks(
        self,
        *,
        run_id: str | None = None,
        state: TaskState | str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        now: datetime | None = None,
    ) -> Page[TaskInfo]:
        """Stored tasks with their leases, in claim order (``due_at`` then ``id``, ascending).

        Each item is a :class:`~pyworkflow.task_views.TaskInfo`: the task, the worker holding
        it and until when (``None`` when not leased; the lease token is never shown), and its
        :class:`~pyworkflow.task_views.TaskState` at ``now`` (default: the current time):
        ``ready``, ``scheduled``, ``leased`` or ``expired`` (a lapsed lease nobody has
        re-claimed). ``run_id`` keeps one run's tasks, ``state`` one state. Completed tasks are
        gone: they are never listed.

        ``limit`` is 1..1000. The cursor is a keyset position (the last item's ``due_at`` and
        id): a task that stays in place during the listing is listed exactly once, whatever
        is enqueued, claimed, extended or completed meanwhile (a claim does not change
        ``due_at``). A task *released* meanwhile moves to its new ``due_at``: it may be listed
        twice or not at all, as in any keyset listing of a moving key. A page is not a snapshot
        on every store (Cassandra and DynamoDB read an index, then each task), but each item
        shows its task as stored at one moment of the call. Where the index is eventually
        consistent (DynamoDB's global secondary indexes) a task enqueued or released a moment
        ago may be missing from a page; its lease and state, when shown, are read from the
        task itself. Bad ``run_id``,
        ``state``, ``limit``, ``now`` or a malformed cursor -> :class:`InvalidInput`; nothing
        is changed, ever.
        """
        self._require_open()
        if run_id is not None:
            check_id(run_id, "run_id")
        wanted = None if state is None else v.check_enum(TaskState, state, "state")
        lim = v.check_limit(limit, MAX_PAGE)
        assert lim is not None
        after = decode_run_cursor(cursor)
        at = utcnow() if now is None else ensure_utc(now, "now")
        rows = await self._call(self._list_tasks(run_id, wanted, at, lim + 1, after))
        return keyset_page(rows, lim, lambda info: (info.task.due_at, info.task.id))

    # -- retention -----------------------------------------------------------------------------

    async def delete_runs(
        self,
        *,
        older_than: datetime,
        statuses: Collection[RunStatus] = TERMINAL_STATUSES,
    ) -> int:
        """Delete runs in ``statuses`` whose ``completed_at`` is before ``older_than``.

        Each run goes with its events, tasks and hooks, and is never left half deleted for
        good: atomically per run where the store can delete all its rows in one transaction,
        otherwise (Cassandra, whose batches are bounded in size) in steps that end with the
        run's own retention entry, so a sweep interrupted half-way finds the run again and
        the next sweep finishes it; meanwhile a reader may see it partly deleted. Only
        terminal statuses may be named (:class:`InvalidInput` otherwise); a
        run without ``completed_at`` is kept. Children are not deleted with their parent
        (they keep ``parent_id``); each is deleted when it qualifies itself. A deleted run's
        idempotency key may be used again. Returns the number of runs deleted.
        """
        self._require_open()
        cutoff = ensure_utc(older_than, "older_than")
        return await self._call(self._delete_runs(cutoff, v.check_statuses(statuses)))
