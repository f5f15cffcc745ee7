"""Bucketing arithmetic for the event log and the run listing (pure functions, no I/O).

Event partitions
----------------
A run's events live in partitions keyed ``(run_id, bucket)``. An append whose expected
version is ``E`` writes *all* its events into bucket ``E // size`` (the bucket of the
append's starting point), so an append never straddles two partitions and stays one
single-partition conditional batch. A bucket therefore holds the appends that *start* in
``[k*size, (k+1)*size)``; its last append may run past ``(k+1)*size`` by up to
``max_batch - 1`` events. With ``max_batch <= size`` this gives three facts the backend
relies on:

* buckets are contiguous: bucket ``k + 1`` exists only if bucket ``k`` does;
* bucket ``k`` is *closed* (never written again) once its stored version is
  ``>= (k+1)*size``, because every later append starts at or past that point;
* the event with sequence ``s`` is in bucket ``s // size - 1`` or ``(s - 1) // size``, so a
  read after sequence ``a`` starts at bucket :func:`read_start` and never misses one.

Run listing days
----------------
Runs are indexed by the UTC day of ``created_at`` (:func:`day_of`), newest first, with a
small index of days that hold at least one run, so a listing walks days without scanning
the table and without a fixed window (the predecessor's 30-day blind spot).
"""

from __future__ import annotations

__all__ = [
    "DAY_MICROS",
    "append_bucket",
    "check_sizes",
    "continue_after_empty",
    "day_of",
    "is_closed",
    "read_start",
]

DAY_MICROS = 86_400_000_000


def check_sizes(bucket_size: int, max_batch: int) -> None:
    """Raise ``ValueError`` unless ``1 <= max_batch <= bucket_size``.

    The bound is what keeps an append inside one bucket and the buckets contiguous.
    """
    if max_batch < 1 or bucket_size < max_batch:
        raise ValueError(f"bucket_size ({bucket_size}) must be >= max_batch ({max_batch}) >= 1")


def append_bucket(expected_version: int, size: int) -> int:
    """The bucket an append at ``expected_version`` writes all of its events into."""
    return expected_version // size


def is_closed(bucket: int, version: int | None, size: int) -> bool:
    """Whether bucket ``bucket`` with stored version ``version`` can never be written again."""
    return version is not None and version >= (bucket + 1) * size


def read_start(after: int, size: int) -> int:
    """The first bucket that may hold an event with sequence ``after + 1``."""
    return max(0, (after + 1) // size - 1)


def continue_after_empty(bucket: int, after: int, size: int) -> bool:
    """Whether a read must look at ``bucket + 1`` when ``bucket`` had no event past ``after``.

    Only a closed bucket whose every event is ``<= after`` can be followed by events; that
    needs ``after >= (bucket + 1) * size`` (a closed bucket ends at or past that sequence).
    Otherwise the empty answer means the log ends here.
    """
    return after >= (bucket + 1) * size


def day_of(micros: int) -> int:
    """The UTC day number (days since 1970-01-01) of a timestamp in epoch microseconds."""
    return micros // DAY_MICROS
