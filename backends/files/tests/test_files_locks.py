"""A process frozen (SIGSTOP) while it holds one of the store's locks must not block the other
users of the store forever: they wait at most ``lock_timeout`` and get ``StorageUnavailable``.

The holder is a real process that takes the same ``flock`` the backend takes and is then
stopped; it is killed in cleanup (SIGKILL ends a stopped process too, releasing its locks).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import InvalidInput, StorageUnavailable
from pyworkflow.models import Task, utcnow
from pyworkflow_files._disk import safe_name

RUN = "frozen-run"
#: how long a test waits for an operation that must give up by itself; past this, the
#: operation is hanging (the bug) and the test fails instead of hanging too
HANG = 30.0

_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(3600)
"""


def _state(pid: int) -> str:
    # /proc/<pid>/stat: "pid (comm) STATE ..."; T = stopped
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@asynccontextmanager
async def frozen_holder(path: Path) -> AsyncIterator[int]:
    """A subprocess holding an exclusive ``flock`` on ``path``, stopped with SIGSTOP."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLDER, str(path), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), HANG)
        assert line == b"locked\n", line
        os.kill(proc.pid, signal.SIGSTOP)
        for _ in range(200):
            if _state(proc.pid) == "T":
                break
            await asyncio.sleep(0.01)
        assert _state(proc.pid) == "T", "the holder did not stop"
        yield proc.pid
    finally:
        if proc.returncode is None:
            proc.kill()  # SIGKILL ends a stopped process too; its locks go with it
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
            await proc.wait()


@asynccontextmanager
async def opened(store: Path, **options: Any) -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url(f"file://{store}", **options)
    async with backend:
        yield backend


async def _gives_up(op: Any, at_least: float, at_most: float) -> None:
    """``op`` raises StorageUnavailable after between ``at_least`` and ``at_most`` seconds."""
    t0 = time.monotonic()
    with pytest.raises(StorageUnavailable, match="timed out waiting for the lock"):
        await asyncio.wait_for(op, HANG)  # TimeoutError here = still blocked = the bug
    took = time.monotonic() - t0
    assert at_least <= took <= at_most, f"gave up after {took:.2f}s"


async def test_a_frozen_holder_of_a_run_lock_delays_appenders_by_the_default_bound_only(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s"
    # retries=0: one attempt, so the wait observed is exactly the default lock_timeout (5 s)
    async with opened(store, retries=0) as backend:
        await backend.append(RUN, [NewEvent(type="a", id="e1")], expected_version=0)
        async with frozen_holder(store / "events" / safe_name(RUN) / "log"):
            late = NewEvent(type="a", id="e2")
            await _gives_up(backend.append(RUN, [late], expected_version=1), 4.9, 12.0)
            await _gives_up(backend.read(RUN), 4.9, 12.0)  # a shared lock waits as long
            # other runs are not affected
            assert await backend.append("other", [late], expected_version=0) == 1
        # the holder is gone (killed): its lock with it. The timed-out append wrote nothing.
        assert [e.id for e in await backend.read(RUN)] == ["e1"]
        assert await backend.append(RUN, [late], expected_version=1) == 2


async def test_lock_timeout_option_and_retries_bound_the_wait(tmp_path: Path) -> None:
    store = tmp_path / "s"
    async with opened(store, lock_timeout=0.3) as backend:  # retries=3 by default
        await backend.append(RUN, [NewEvent(type="a", id="e1")], expected_version=0)
        async with frozen_holder(store / "events" / safe_name(RUN) / "log"):
            # 4 attempts of 0.3 s plus the base class's back-off between them
            late = [NewEvent(type="a", id="e2")]
            await _gives_up(backend.append(RUN, late, expected_version=1), 1.2, 10.0)
            await _gives_up(backend.version(RUN), 0.29, 5.0)


@pytest.mark.parametrize("table", ["tasks", "runs"])
async def test_a_frozen_holder_of_a_table_lock_does_not_block_forever(
    tmp_path: Path, table: str
) -> None:
    store = tmp_path / "s"
    async with opened(store, lock_timeout=0.5) as backend:
        task = Task(id="t1", run_id="r1", kind="resume", due_at=utcnow())
        await backend.enqueue(task)
        async with frozen_holder(store / f"{table}.lock"):
            if table == "tasks":
                await _gives_up(backend.claim("w", lease=10), 0.49, 8.0)
            else:
                await _gives_up(backend.get_run("r1"), 0.49, 8.0)
        (lease,) = await backend.claim("w", lease=10)  # the holder is gone: all is well
        assert lease.task.id == "t1"


@pytest.mark.parametrize("bad", ["0", "-1", "soon"])
def test_bad_lock_timeout_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidInput):
        StorageBackend.from_url(f"file://{tmp_path}/s?lock_timeout={bad}")
