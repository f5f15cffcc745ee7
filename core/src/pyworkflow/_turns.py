"""When an in-process primitive should give the event loop a turn before it runs.

The memory backend yields once before each primitive so that concurrent callers really
interleave between calls (the conformance's races rely on it). A turn costs a full pass of the
event loop (an ``epoll`` poll, the ready queue, the task's step: ~2 µs of CPU), which is most
of a lone caller's append. When no other callback is ready, the turn lets nobody run except
what the poll may find (I/O, a timer coming due), so it is skipped then, but never more than
:data:`EVERY` - 1 times in a row, which bounds how long a tight loop of calls can keep I/O
and timers waiting.
"""

from __future__ import annotations

import asyncio

__all__ = ["EVERY", "turn_due"]

#: At least one turn in this many calls, even with nothing ready.
EVERY = 16
_calls = 0


def turn_due() -> bool:
    """Whether the caller should ``await asyncio.sleep(0)`` now: another callback (a task
    step, a future's callback) is ready to run, or :data:`EVERY` calls have passed. Always
    true on a loop that does not expose asyncio's ready queue (e.g. uvloop): the old rule.
    Must be called from a coroutine running on the loop."""
    global _calls
    ready = getattr(asyncio.get_running_loop(), "_ready", None)
    if ready is None or ready:
        return True
    _calls += 1
    return _calls % EVERY == 0
