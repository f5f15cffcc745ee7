"""Group commit: concurrent appends coalesced into one transaction, each still atomic.

While a group is being written, new appends queue; the next flush takes them all. A lone append
goes out as the usual single statement, so there is no added latency without concurrency. The
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

    def _init_group_commit(self, enabled: bool) -> None:
        self.group_commit = enabled
        self._pending = []
        self._flushers = set()

    @abc.abstractmethod
    async def _append_group(self, group: list[Pending]) -> list[int]:
        """Write 2+ appends in one transaction; per append: rows inserted, 0 or -1."""

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        if not self.group_commit:
            return await super()._append(run_id, events, expected_version)
        pending = Pending(run_id, events, expected_version)
        self._pending.append(pending)
        if len(self._flushers) < self.flushers:
            task = asyncio.create_task(self._flush())
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
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

    async def _flush(self) -> None:
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
