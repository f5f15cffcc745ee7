"""Bridge from the driver's callback futures to asyncio, so nothing blocks the event loop.

``Session.execute_async`` returns a ``ResponseFuture`` whose callbacks run on the driver's
I/O thread; :func:`wait` attaches callbacks that hand the outcome to the event loop with
``loop.call_soon_threadsafe``. When a callback fires, the driver has already set the
future's internal event, so ``ResponseFuture.result()`` returns at once (it is called on the
loop thread, never before). Only the rows of the *current* page are used
(``ResultSet.current_rows``): iterating a ``ResultSet`` would fetch further pages
synchronously. Paging is explicit, with ``paging_state`` (:meth:`Runner.execute`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Result", "Runner", "applied", "wait"]


class _Future(Protocol):  # the part of cassandra.cluster.ResponseFuture used here
    def add_callbacks(self, callback: Any, errback: Any) -> Any: ...
    def result(self) -> Any: ...


class _Session(Protocol):  # the part of cassandra.cluster.Session used here
    def execute_async(
        self, query: Any, parameters: Any = None, *, paging_state: bytes | None = None, **kw: Any
    ) -> _Future: ...


@dataclass(frozen=True, slots=True)
class Result:
    """One page of rows (dicts: the session uses ``dict_factory``) and the next page's state."""

    rows: list[dict[str, Any]]
    paging_state: bytes | None = None


def applied(rows: Sequence[dict[str, Any]]) -> bool:
    """The ``[applied]`` flag of a lightweight transaction's (or conditional batch's) answer.

    Cassandra answers an LWT with one row (a conditional batch with one or more) whose first
    column is ``[applied]``; when it is false the other columns hold the current values of
    the columns the conditions named. No row at all is a protocol surprise: raise.
    """
    if not rows or "[applied]" not in rows[0]:
        raise RuntimeError("a lightweight transaction returned no [applied] column")
    return bool(rows[0]["[applied]"])


async def wait(future: _Future) -> Result:
    """Await a ``ResponseFuture`` without blocking; return its first page."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(exc: BaseException | None) -> None:  # runs on the loop thread
        if done.done():  # cancelled by the caller meanwhile
            return
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)

    def on_rows(_rows: Any) -> None:  # driver thread (or this thread if already done)
        with contextlib.suppress(RuntimeError):  # loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, None)

    def on_error(exc: BaseException) -> None:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, exc)

    future.add_callbacks(on_rows, on_error)
    await done
    result = future.result()  # already resolved: does not block
    rows = getattr(result, "current_rows", result)
    return Result(list(rows or ()), getattr(result, "paging_state", None))


class Runner:
    """Executes statements on one shared ``Session`` and awaits them on the event loop."""

    def __init__(self, session: _Session, *, page_size: int) -> None:
        self.session = session
        self.page_size = page_size

    async def execute(
        self,
        statement: Any,
        params: Sequence[Any] | None = None,
        *,
        paging_state: bytes | None = None,
        request_timeout: float | None = None,
    ) -> Result:
        """Run one statement (prepared + params, a bound statement or a batch); one page.

        ``request_timeout`` overrides the profile's client-side request timeout (schema changes
        take longer than queries).
        """
        extra = {} if request_timeout is None else {"timeout": request_timeout}
        return await wait(
            self.session.execute_async(statement, params, paging_state=paging_state, **extra)
        )

    async def rows(
        self, statement: Any, params: Sequence[Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of a query, page by page (``page_size`` rows per round trip)."""
        state: bytes | None = None
        while True:
            page = await self.execute(statement, params, paging_state=state)
            for row in page.rows:
                yield row
            if page.paging_state is None:
                return
            state = page.paging_state

    async def all(
        self, statement: Any, params: Sequence[Any] | None = None
    ) -> list[dict[str, Any]]:
        return [row async for row in self.rows(statement, params)]

    async def lwt(
        self, statement: Any, params: Sequence[Any] | None = None
    ) -> tuple[bool, list[dict[str, Any]]]:
        """Run a conditional statement; return ``(applied, rows of the answer)``.

        When not applied, the rows carry the current values of the columns the conditions
        named (for ``IF NOT EXISTS``, the existing row).
        """
        page = await self.execute(statement, params)
        return applied(page.rows), page.rows
