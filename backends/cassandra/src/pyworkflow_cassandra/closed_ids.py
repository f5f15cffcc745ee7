"""Per-process memory of the event ids held by a run's closed buckets.

An append into bucket ``k > 0`` must prove that none of its ids is already in buckets
``0 .. k-1`` (the contract: an id already in the run is a conflict), and a conditional batch
cannot look outside its own partition, so the backend reads them first: one ``IN`` query per
ten closed buckets, a round trip before every append to a long run. Closed buckets never
change (:mod:`.buckets`; README, "Known buckets"), so what such a read finds stays true until
retention deletes the run. A process that keeps appending to the same long run therefore
reads the ids of its closed buckets once and answers later checks from memory.

* Ids are kept as their 64-bit ``hash`` in a sorted ``array`` (8 bytes an id; hashes of
  ``str`` are stable within a process, and this memory never leaves it). A miss is proof
  (equal ids have equal hashes); a hit, a real duplicate or a collision, is confirmed by
  the query, so a collision costs a round trip, never a wrong answer.
* Loading waits until the same run's check has been made :data:`LOAD_AFTER` times by this
  process: a run appended to once or twice (a worker resuming it) never pays for reading
  every id of its closed buckets.
* Memory is bounded: at most :data:`MAX_IDS` ids in all, least recently used runs dropped
  first; a run with more closed ids than that is always checked by query. An entry is
  dropped after :data:`TTL` seconds, bounding how long a run purged and created again under
  the same id by another process could be judged on stale ids (README, "Known buckets").
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LOAD_AFTER", "MAX_IDS", "TTL", "ClosedIds"]

#: Checks of one run's closed buckets made by query before its ids are read into memory.
LOAD_AFTER = 8
#: Most ids held in memory, over all runs (8 bytes each: 8 MiB).
MAX_IDS = 1 << 20
#: Seconds an entry is trusted before it is read again.
TTL = 300.0
#: Runs whose check count is remembered while they are not loaded.
_COUNTED = 4096


@dataclass(slots=True)
class _Entry:
    upto: int  # the ids of buckets 0 .. upto-1 are in ``hashes``
    hashes: array[int]  # sorted hashes of those ids
    born: float  # time.monotonic() of the first load


class ClosedIds:
    """The ids of closed buckets, per run, as sorted hashes (see the module docstring)."""

    def __init__(self, *, max_ids: int = MAX_IDS, load_after: int = LOAD_AFTER) -> None:
        self.max_ids = max_ids
        self.load_after = load_after
        self._runs: OrderedDict[str, _Entry] = OrderedDict()
        self._held = 0
        self._checks: OrderedDict[str, int] = OrderedDict()

    def covered(self, run_id: str) -> int | None:
        """Up to which bucket ``run_id``'s ids are held (``None``: not held, or too old).

        Held ids of buckets at or past an append's own bucket do no harm: a miss in a superset
        is still proof, and a hit is confirmed by the query.
        """
        entry = self._runs.get(run_id)
        if entry is None:
            return None
        if time.monotonic() - entry.born > TTL:
            self.forget(run_id)
            return None
        self._runs.move_to_end(run_id)
        return entry.upto

    def may_hold(self, run_id: str, ids: Iterable[str]) -> bool:
        """Whether one of ``ids`` may be in the held buckets (False is proof it is not)."""
        hashes = self._runs[run_id].hashes
        n = len(hashes)
        for eid in ids:
            h = hash(eid)
            i = bisect_left(hashes, h)
            if i < n and hashes[i] == h:
                return True
        return False

    def want(self, run_id: str, bucket: int, size: int) -> bool:
        """Count one check by query; whether it is time to load the run's closed ids."""
        if bucket * size > self.max_ids:
            return False
        seen = self._checks.pop(run_id, 0) + 1
        if seen >= self.load_after:
            return True
        self._checks[run_id] = seen
        if len(self._checks) > _COUNTED:
            self._checks.popitem(last=False)
        return False

    def add(self, run_id: str, start: int, upto: int, ids: Iterable[str]) -> None:
        """Hold the ids of buckets ``start .. upto-1`` on top of those of ``0 .. start-1``.

        With ``start > 0`` the run must be held up to exactly ``start`` (another coroutine may
        have dropped or moved it meanwhile); otherwise nothing is stored and the caller's
        check goes by query.
        """
        entry = self._runs.pop(run_id, None)
        if entry is not None:
            self._held -= len(entry.hashes)
        if start == 0:
            held, born = array("q"), time.monotonic()
        elif entry is not None and entry.upto == start:
            held, born = entry.hashes, entry.born
        else:
            return
        hashes = array("q", sorted([*held, *map(hash, ids)]))
        while self._runs and self._held + len(hashes) > self.max_ids:
            _, old = self._runs.popitem(last=False)
            self._held -= len(old.hashes)
        if self._held + len(hashes) > self.max_ids:
            return
        self._runs[run_id] = _Entry(upto, hashes, born)
        self._held += len(hashes)
        self._checks.pop(run_id, None)

    def forget(self, run_id: str) -> None:
        """Drop what is held for ``run_id`` (its buckets are gone, or may be)."""
        entry = self._runs.pop(run_id, None)
        if entry is not None:
            self._held -= len(entry.hashes)
        self._checks.pop(run_id, None)
