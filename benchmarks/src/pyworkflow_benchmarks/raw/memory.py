"""Raw ceiling for ``memory://``: a Python list append per event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling

__all__ = ["MemoryRaw"]


class MemoryRaw(RawCeiling):
    """Events in ``dict[run_id, list]``; the (run_id, seq) guard is ``len(log) == seq - 1``."""

    append_how = "list.append of (id, type, data, timestamp)"
    batch_how = "list.extend of the 100 rows"
    create_how = "dict insert of the run row"

    async def open(self) -> None:
        self.logs: dict[str, list[tuple[str, str, str, datetime]]] = {}
        self.runs: dict[str, tuple[str, str, datetime]] = {}

    async def close(self) -> None:
        self.logs, self.runs = {}, {}

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        log = self.logs.setdefault(run_id, [])
        if len(log) != seq - 1:
            return False
        log.append((row.id, row.type, row.data, row.timestamp))
        return True

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        log = self.logs.setdefault(run_id, [])
        if len(log) != first_seq - 1:
            raise RuntimeError("raw memory batch out of sequence")
        log.extend((r.id, r.type, r.data, r.timestamp) for r in rows)

    async def last_seq(self, run_id: str) -> int:
        return len(self.logs.get(run_id, ()))

    async def replay(self, run_id: str) -> int:
        rows = [
            (seq, i, t, json.loads(d), ts)
            for seq, (i, t, d, ts) in enumerate(self.logs.get(run_id, ()), 1)
        ]
        return len(rows)

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        self.runs[run_id] = (name, input_json, now)
