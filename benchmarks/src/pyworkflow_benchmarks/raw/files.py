"""Raw ceiling for the files backend: ``os.write`` of the event's bytes to a file held open
(O_APPEND), then the same sync call the backend makes in the durability mode in force
(``durability=fsync``, the default: ``os.fdatasync``; ``flush`` and ``none``: no sync).

It runs the calls directly on the event loop (a bare script's minimum: no thread hop). The
file has no guard of its own, so contention's (run_id, seq) check is an in-process counter,
and replay reads the whole file and ``json.loads`` each line.

The variant "write+sync in a thread" makes the same two calls through ``asyncio.to_thread``,
as a client that keeps its event loop free must (the backend does: ``fdatasync`` takes
milliseconds and blocks everything else on the loop meanwhile). Its ratio shows how much of
the gap to the ceiling is that hop.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pyworkflow.urls import StorageURL

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling, RawInsert

__all__ = ["FilesRaw"]


def _line(seq: int, row: RawRow) -> bytes:
    return f'[{seq},"{row.id}","{row.type}",{row.micros},{row.data}]\n'.encode()


class FilesRaw(RawCeiling):
    def __init__(self, url: StorageURL) -> None:
        self.store = url.path
        self.durability = str(url.query.get("durability", "fsync")).lower()
        self.sync = os.fdatasync if self.durability == "fsync" else None
        how = "os.write + os.fdatasync" if self.sync else "os.write (no sync: durability mode)"
        self.append_how = f"{how} of the event's bytes, O_APPEND file per run"
        self.batch_how = f"one {how} of 100 events' bytes"
        self.create_how = f"{how} of the run's JSON line to a runs file"

    async def open(self) -> None:
        # Beside the store, never inside it (the backend owns its directory layout).
        parent = os.path.dirname(self.store.rstrip("/")) or "."
        os.makedirs(parent, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="pwbench-raw-", dir=parent)
        self.fds: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    async def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}
        shutil.rmtree(self.dir, ignore_errors=True)

    def _fd(self, name: str) -> int:
        fd = self.fds.get(name)
        if fd is None:
            fd = os.open(
                os.path.join(self.dir, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
            )
            self.fds[name] = fd
        return fd

    def _write(self, name: str, data: bytes) -> None:
        fd = self._fd(name)
        os.write(fd, data)
        if self.sync is not None:
            self.sync(fd)

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        if self.counts.get(run_id, 0) != seq - 1:
            return False
        self._write(run_id, _line(seq, row))
        self.counts[run_id] = seq
        return True

    async def _in_thread(self, run_id: str, seq: int, row: RawRow) -> bool:
        if self.counts.get(run_id, 0) != seq - 1:
            return False
        await asyncio.to_thread(self._write, run_id, _line(seq, row))
        self.counts[run_id] = seq
        return True

    def variants(self) -> dict[str, RawInsert]:
        return {"write+sync in a thread": self._in_thread}

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        self._write(run_id, b"".join(_line(s, r) for s, r in enumerate(rows, first_seq)))
        self.counts[run_id] = first_seq + len(rows) - 1

    async def last_seq(self, run_id: str) -> int:
        return self.counts.get(run_id, 0)

    async def replay(self, run_id: str) -> int:
        with open(os.path.join(self.dir, run_id), "rb") as f:  # noqa: ASYNC230 - the raw way
            data = f.read()
        decoded = [json.loads(line) for line in data.splitlines()]
        return len(decoded)

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        self._write(
            "runs",
            json.dumps([run_id, name, "pending", input_json, now.isoformat()]).encode() + b"\n",
        )

    async def facts(self) -> dict[str, Any]:
        return {"durability": self.durability, "sync_call": "os.fdatasync" if self.sync else "none"}
