"""Appending through a real server crash or restart: a check a backend's author can run
against their own server (it is not a contract test, since restarting a server is outside
what a fixture can do on a shared machine).

:func:`append_through_restart` appends one event at a time while a command crashes and
starts the server again, and checks what a user is promised: calls fail with
:class:`~pyworkflow.errors.StorageUnavailable` (keeping the driver's error as ``__cause__``)
while the server is away, the backend recovers by itself on fresh connections, and every
acknowledged event is in the log afterwards, once, in order. A call whose answer was lost
in the crash may have been applied: the retry then gets a :class:`ConflictError`, and the
event (same id) must be the one at the next position.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pyworkflow.errors import ConflictError, StorageUnavailable
from pyworkflow.models import NewEvent
from pyworkflow.storage import StorageBackend

from .helpers import uid

__all__ = ["append_through_restart"]


async def append_through_restart(
    backend: StorageBackend,
    command: Sequence[str],
    *,
    run_id: str = "r",
    before: int = 5,
    after: int = 5,
    timeout: float = 300.0,  # noqa: ASYNC109 - a bound on the whole check, not one call
) -> int:
    """Append ``before`` events, run ``command`` (it crashes or restarts the server and
    returns once it answers again) while appending, keep going until ``after`` appends have
    succeeded after the command ended, then check the log. Returns the number of calls that
    failed with StorageUnavailable (at least one, or the restart was not real)."""
    acked: list[str] = []
    version = 0
    for _ in range(before):
        event = NewEvent(type="before", id=uid("e"))
        version = await backend.append(run_id, [event], expected_version=version)
        acked.append(event.id)
    proc = await asyncio.create_subprocess_exec(*command)
    unavailable = 0
    causes: list[BaseException | None] = []
    succeeded_after = 0
    pending = NewEvent(type="during", id=uid("e"))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and succeeded_after < after:
            try:
                version = await backend.append(run_id, [pending], expected_version=version)
            except StorageUnavailable as exc:
                causes.append(exc.__cause__)
                unavailable += 1
                await asyncio.sleep(0.1)
                continue
            except ConflictError:
                # Applied before the crash, its answer lost: the same event must be next.
                log = await backend.read(run_id, after=version)
                assert [e.id for e in log] == [pending.id], "a conflict that is not ours"
                version += 1
            acked.append(pending.id)
            pending = NewEvent(type="during", id=uid("e"))
            if proc.returncode is not None:
                succeeded_after += 1
            else:
                await asyncio.sleep(0.02)
    finally:
        status = await proc.wait()
    assert status == 0, f"{command[0]} exited {status}"
    assert unavailable, "no call failed while the server was away: was the restart real?"
    assert all(cause is not None for cause in causes), "StorageUnavailable without __cause__"
    assert succeeded_after >= after, f"only {succeeded_after} appends succeeded afterwards"
    stored = await backend.read(run_id)
    assert [e.id for e in stored] == acked, "an acknowledged event is missing or repeated"
    assert [e.sequence for e in stored] == list(range(1, len(acked) + 1))
    return unavailable
