"""Group commit: concurrent appends coalesced into one transaction, each still atomic.

While a group is being written, new appends queue; the next flush takes them all. A lone append
(nothing queued, nothing being written) goes out as the usual single statement from the
caller's own task: no flusher task, no future, no extra event-loop turns, so there is no
added latency or CPU without concurrency; appends arriving meanwhile queue for one group. The
dialect writes a group with :meth:`GroupCommit._append_group`, returning per append the rows it
inserted (its event count), 0 when its version guard failed, or -1 on a unique violation;
each append must be all-or-nothing on its own and the group must commit once.
"""

from __future__ import annotations

import abc
import asyncio
from typing import ClassVar

from pyworkflow._validate import EncodedEvent
from pyworkflow.errors import ConflictError

from .backend import SqlBackend

__all__ = ["GroupCommit", "Pending"]


class Pending:
    """One queued append."""

    __slots__ = ("events", "expected", "future", "run_id")

    def __init__(self, run_id: str, events: list[EncodedEvent], expected: int) -> None:
        self.run_id = run_id
        self.events = events
        self.expected = expected
        self.future: asyncio.Future[int] = asyncio.get_running_loop().create_future()


class GroupCommit(SqlBackend):
    """Mixin for a :class:`SqlBackend` whose ``group_commit`` attribute turns this on."""

    #: Groups in flight at once (a second one fills while the first commits).
    flushers: ClassVar[int] = 1
    group_commit: bool = False
    _pending: list[Pending]
    _flushers: set[asyncio.Task[None]]
    #: Lone appends being written inline by their caller (each holds a flusher slot).
    _inline: int = 0

    def _init_group_commit(self, enabled: bool) -> None:
        self.group_commit = enabled
        self._pending = []
        self._flushers = set()
        self._inline = 0

    @abc.abstractmethod
    async def _append_group(self, group: list[Pending]) -> list[int]:
        """Write 2+ appends in one transaction; per append: rows inserted, 0 or -1."""

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        if not self.group_commit:
            return await super()._append(run_id, events, expected_version)
        if not self._pending and not self._flushers and not self._inline:
            return await self._append_inline(run_id, events, expected_version)
        pending = Pending(run_id, events, expected_version)
        self._pending.append(pending)
        self._start_flusher()
        # Shielded: a cancelled caller must not cancel the group (its outcome is then unknown,
        # like any write whose acknowledgement is lost).
        try:
            inserted = await asyncio.shield(pending.future)
        except Exception as exc:
            if self._is_unique_violation(exc):
                raise ConflictError(
                    f"append to run {run_id!r} at version {expected_version} lost a race or "
                    "repeats an event id"
                ) from exc
            raise
        if inserted == -1:
            raise ConflictError(
                f"append to run {run_id!r} at version {expected_version} lost a race or "
                "repeats an event id"
            )
        if inserted != len(events):
            raise ConflictError(f"run {run_id!r} is not at version {expected_version}")
        return expected_version + len(events)

    def _start_flusher(self) -> None:
        if self._pending and len(self._flushers) + self._inline < self.flushers:
            task = asyncio.create_task(self._flush())
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)

    async def _append_inline(self, run_id: str, events: list[EncodedEvent], expected: int) -> int:
        # Profiled (SQLite, sequential appends): the queued path cost ~40 us of CPU and three
        # event-loop turns per lone append (a Pending future, a flusher task, a shield). Here
        # the caller runs the statement itself; appends that arrive meanwhile queue and are
        # flushed as one group when it is done (or by a second flusher where allowed).
        self._inline += 1
        try:
            return await super()._append(run_id, events, expected)
        finally:
            self._inline -= 1
            self._start_flusher()

    async def _flush(self) -> None:
        try:
            await self._flush_pending()
        finally:
            # Leave the flusher set now, not in a done callback one loop turn later: an append
            # queued in that turn saw a flusher still "running", started none, and waited
            # forever (a hang of test_concurrent_appenders_on_one_run under load).
            task = asyncio.current_task()
            if task is not None:
                self._flushers.discard(task)
            self._start_flusher()

    async def _flush_pending(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            try:
                if len(group) == 1:
                    results = [await self._append_one(group[0])]
                else:
                    results = await self._append_group(group)
            except BaseException as exc:  # every waiter of the group gets the failure
                for p in group:
                    if not p.future.done():
                        p.future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for p, n in zip(group, results, strict=True):
                if not p.future.done():
                    p.future.set_result(n)

    async def _append_one(self, p: Pending) -> int:
        # Alone: the plain statement; its unique violation reaches the caller as is (and is
        # translated there with its cause).
        sql, args = self._append_statement(p.run_id, p.events, p.expected)
        return await self._execute(sql, args)
