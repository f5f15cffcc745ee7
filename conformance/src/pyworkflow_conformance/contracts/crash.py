"""Contract area 'crash': acknowledged appends survive a SIGKILL of the writing process.

A child process opens ``backend_url`` and appends batches (1-4 events, some padded to tens of
kilobytes so a write spans pages) to one run in a loop, printing ``sequence event-id`` for each
event only after ``append`` returned, and flushing. The parent kills it with SIGKILL at a
random moment, then opens a *fresh* backend on the same store and checks: every acknowledged
event is there, at its sequence, in order; sequences are dense and 1-based; every event reads
back whole (its data names its own id, so a torn or mixed-up record cannot pass); and an
append at ``version + 1`` still works. Repeated ``crash_kills`` times on one growing log.

Runs where ``features`` declare ``durable`` and ``multi_process`` (a backend that loses
acknowledged writes on a crash, or cannot be opened by a second process, cannot pass by
design). A backend's conformance class may raise ``crash_kills`` (files: 20).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from typing import ClassVar

from pyworkflow import NewEvent, StorageBackend

from pyworkflow_conformance.helpers import aio, require, uid

__all__ = ["CrashContract"]

# The writer. argv: url, run id. It resumes from the log's version each time it starts.
_CHILD = r"""
import asyncio, os, random, sys
from pyworkflow import NewEvent, StorageBackend

async def main(url, run_id):
    backend = StorageBackend.from_url(url)
    async with backend:
        version = await backend.version(run_id)
        rng = random.Random()
        while True:
            batch = []
            for _ in range(rng.randint(1, 4)):
                eid = os.urandom(8).hex()
                pad = "x" * rng.choice((0, 10, 200, 30000))
                batch.append(NewEvent(type="crash", id=eid, data={"id": eid, "pad": pad}))
            version = await backend.append(run_id, batch, expected_version=version)
            first = version - len(batch) + 1
            sys.stdout.write("".join(f"{first + i} {e.id}\n" for i, e in enumerate(batch)))
            sys.stdout.flush()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


class CrashContract:
    """Durability of acknowledged appends across SIGKILL."""

    area = "crash"

    #: How many times the writer is killed (a backend's conformance class may raise it).
    crash_kills: ClassVar[int] = 5

    async def _kill_writer(self, url: str, run_id: str, rng: random.Random) -> list[str]:
        """Start the writer, SIGKILL it at a random moment after its first acknowledgement;
        return the complete lines it printed (acknowledged events)."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CHILD,
            url,
            run_id,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(os.environ),
        )
        assert proc.stdout is not None
        assert proc.stderr is not None
        try:
            first = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        except TimeoutError:
            first = b""
        if not first:
            proc.kill()
            err = (await proc.stderr.read()).decode(errors="replace")
            await proc.wait()
            raise AssertionError(f"the writer acknowledged nothing; its stderr:\n{err[-3000:]}")
        await asyncio.sleep(rng.uniform(0.0, 0.15))
        # ProcessLookupError: the writer already died on its own; its return code says so below.
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)
        rest = await proc.stdout.read()
        await proc.wait()
        assert proc.returncode == -signal.SIGKILL, await proc.stderr.read()
        text = (first + rest).decode()
        # A line cut by the kill was never fully printed, but the event may be stored: only
        # complete lines are promises.
        return text.split("\n")[:-1]

    @aio
    async def test_acknowledged_appends_survive_sigkill(
        self, backend: StorageBackend, backend_url: str
    ) -> None:
        require(backend, "durable", "multi_process")
        run_id = uid("crash")
        rng = random.Random()
        acked: dict[int, str] = {}
        for kill in range(self.crash_kills):
            for line in await self._kill_writer(backend_url, run_id, rng):
                seq, eid = line.split()
                acked[int(seq)] = eid
            fresh = StorageBackend.from_url(backend_url)
            async with fresh:
                stored = await fresh.read(run_id)
                version = await fresh.version(run_id)
                assert [e.sequence for e in stored] == list(range(1, len(stored) + 1)), (
                    f"kill {kill}: sequences are not dense and 1-based"
                )
                assert version == len(stored)
                for e in stored:
                    assert e.data.get("id") == e.id, f"kill {kill}: event {e.sequence} is torn"
                by_seq = {e.sequence: e.id for e in stored}
                lost = {s: i for s, i in acked.items() if by_seq.get(s) != i}
                assert not lost, f"kill {kill}: acknowledged events lost or moved: {lost}"
                # The log accepts the next append exactly at version + 1.
                probe = NewEvent(type="probe", data={"id": f"probe-{kill}"}, id=f"probe-{kill}")
                assert await fresh.append(run_id, [probe], expected_version=version) == version + 1
                acked[version + 1] = probe.id
        assert len(acked) > self.crash_kills  # the writers really wrote
