"""What a raw ceiling is: the same work as our backend, through the bare driver.

A ceiling writes rows of the same shape as the backend (run_id, seq, id, type, data,
timestamp) into its own table in the SAME database, with the same unique (run_id, seq) key,
so the comparison is fair: the only difference left is our library code (validation, one
encode, the version guard, error translation) and whatever round trips the backend adds.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from pyworkflow_benchmarks.payload import RawRow

__all__ = ["RawCeiling", "RawInsert"]

#: An alternative single-event write (for example the backend's exact guarded request).
RawInsert = Callable[[str, int, RawRow], Awaitable[bool]]


class RawCeiling(abc.ABC):
    """One driver's ceiling. ``open`` creates its tables; ``close`` drops them."""

    #: How one event is written, for the report (e.g. "one INSERT, autocommit").
    append_how: str = ""
    #: How a batch of events is written, for the report.
    batch_how: str = ""
    #: How a run is created.
    create_how: str = "one INSERT into a runs table of the same shape"

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None:
        """Drop what :meth:`open` created and release connections. Never raises for a
        table that is already gone."""

    @abc.abstractmethod
    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        """Write one event at ``seq``; ``False`` if (run_id, seq) exists (a conflict).

        May be called concurrently (16 writers): a ceiling for a server uses a pool.
        """

    @abc.abstractmethod
    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        """Write ``rows`` at ``first_seq`` onwards, the way a raw client batches."""

    @abc.abstractmethod
    async def last_seq(self, run_id: str) -> int:
        """The highest stored seq of the run (0 if none): what a contender re-reads."""

    @abc.abstractmethod
    async def replay(self, run_id: str) -> int:
        """Fetch every row of the run in seq order and ``json.loads`` each data; return the
        number of rows."""

    @abc.abstractmethod
    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        """Insert one run row (id, workflow_name, status, input, created_at, updated_at)."""

    async def facts(self) -> dict[str, Any]:
        """Server version and the durability settings in force, read back from the server."""
        return {}

    def variants(self) -> dict[str, RawInsert]:
        """Extra single-event writes to measure beside ``insert`` (label -> write)."""
        return {}
