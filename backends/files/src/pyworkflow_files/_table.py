"""A journaled key -> JSON record table: runs, tasks, hooks and schedules.

``<name>.log`` is an append-only file of frames (see :mod:`._disk`), each holding
``[key, record]`` (``record`` is ``null`` for a deletion); the last frame of a key wins.
``<name>.lock`` is never replaced and carries the ``flock``: exclusive for every
read-check-write (so a compare-and-swap, an idempotent insert or a claim is atomic across
processes), shared for reads. Each process keeps an in-memory index of the table (key ->
frame position plus the fields its lookups need) and, under the lock, first reads the frames
other processes appended since it last looked: O(new frames), never the whole file.

When dead frames outweigh live ones the table is compacted: the live frames are written to a
temporary file, fsynced, renamed over the log and the directory fsynced. Other processes
notice the new inode at their next access and rebuild their index from it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyworkflow.codec import encode_valid, loads
from pyworkflow.errors import SchemaError

from ._disk import (
    HEADER,
    Durability,
    FrameScan,
    acquire_mutex,
    check_frame,
    encode_frame,
    fsync_dir,
    lock_fd,
    read_exact,
    scan_frames,
    unlock_fd,
    write_all,
)

__all__ = ["Index", "Table"]

_COMPACT_MIN = 1 << 20  # bytes of dead frames before compaction is considered


class Index:
    """What a table keeps in memory besides frame positions. Subclasses add lookups."""

    def reset(self) -> None:
        """Forget everything (the table is being reloaded)."""

    def put(self, key: str, value: dict[str, Any]) -> None:
        """``key`` now has ``value``."""

    def delete(self, key: str) -> None:
        """``key`` was deleted."""


class Table:
    """One journaled table. Use :meth:`locked` and the methods of the yielded object."""

    def __init__(
        self, root: str, name: str, durability: Durability, index: Index, lock_timeout: float
    ) -> None:
        self.path = os.path.join(root, f"{name}.log")
        self.lock_path = os.path.join(root, f"{name}.lock")
        self.root = root
        self.durability = durability
        self.index = index
        self.lock_timeout = lock_timeout
        self.mutex = threading.Lock()
        self.rows: dict[str, tuple[int, int]] = {}  # key -> (frame offset, frame length)
        self._lock_fd = -1
        self._fd = -1
        self._ino = 0
        self._end = 0  # offset just past the last valid frame seen
        self._dead = 0  # bytes of superseded frames

    def open(self) -> None:
        self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)

    def close(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd >= 0:
                if self.durability is Durability.FLUSH:
                    os.fsync(fd)
                os.close(fd)
        self._fd = self._lock_fd = -1

    @contextmanager
    def locked(self, exclusive: bool) -> Iterator[Table]:
        """Hold this table (in-process mutex + ``flock``) with an up-to-date index.

        ``StorageUnavailable`` if either lock is not free within ``lock_timeout`` seconds."""
        deadline = time.monotonic() + self.lock_timeout
        acquire_mutex(self.mutex, deadline, self.lock_path)
        try:
            lock_fd(self._lock_fd, exclusive, deadline, self.lock_path)
            try:
                self._sync(exclusive)
                yield self
            finally:
                unlock_fd(self._lock_fd)
        finally:
            self.mutex.release()

    # -- catching up with other processes -----------------------------------------------------

    def _reload(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        self._ino = os.fstat(self._fd).st_ino
        self._end = self._dead = 0
        self.rows.clear()
        self.index.reset()

    def _sync(self, exclusive: bool) -> None:
        try:
            ino = os.stat(self.path).st_ino
        except FileNotFoundError:
            ino = -1
        if self._fd < 0 or ino != self._ino:
            self._reload()
            if ino == -1 and self.durability is Durability.FSYNC:
                fsync_dir(self.root)
        size = os.fstat(self._fd).st_size
        if size < self._end:  # only a hand edit shrinks a journal: start over
            self._reload()
        if size == self._end:
            return
        scan = FrameScan()
        data = read_exact(self._fd, size - self._end, self._end)
        for offset, payload in scan_frames(data, self._end, self.path, scan):
            try:
                key, value = loads(payload)
            except ValueError as exc:
                raise SchemaError(f"malformed record in {self.path} at byte {offset}") from exc
            self._apply(key, value, offset, len(payload) + HEADER.size)
        self._end = scan.end
        if scan.torn and exclusive:
            # A writer crashed mid-frame (no writer is active: we hold the exclusive lock).
            os.ftruncate(self._fd, scan.end)

    def _apply(self, key: str, value: dict[str, Any] | None, offset: int, length: int) -> None:
        old = self.rows.pop(key, None)
        if old is not None:
            self._dead += old[1]
        if value is None:
            self._dead += length
            self.index.delete(key)
        else:
            self.rows[key] = (offset, length)
            self.index.put(key, value)

    # -- operations (inside locked()) ---------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The record of ``key`` (a fresh dict), or ``None``."""
        row = self.rows.get(key)
        if row is None:
            return None
        offset, length = row
        payload = check_frame(read_exact(self._fd, length, offset), offset, self.path)
        value: dict[str, Any] = loads(payload)[1]
        return value

    def put(
        self, changes: list[tuple[str, dict[str, Any] | None]], texts: list[str] | None = None
    ) -> list[bytes]:
        """Write records (``None`` deletes) in one write and, with fsync, one fdatasync.
        Requires the exclusive lock. ``texts``, when given, is ``encode_valid`` of each
        record, already built (from the JSON text validation produced): written as is.
        Returns the payloads written, in order: the exact bytes :meth:`get` would read back,
        so a caller can decode its row without a ``pread``."""
        if not changes:
            return []
        payloads: list[bytes] = []
        frames: list[bytes] = []
        positions: list[tuple[int, int]] = []
        end = self._end
        for i, (key, value) in enumerate(changes):
            # Keys are checked ids and values records of validated models (or of what was
            # stored): JSON already, so encoded without walking them again.
            body = texts[i] if texts is not None else encode_valid(value)
            payload = f"[{encode_valid(key)},{body}]".encode()
            frame = encode_frame(payload)
            payloads.append(payload)
            frames.append(frame)
            positions.append((end, len(frame)))
            end += len(frame)
        try:
            write_all(self._fd, b"".join(frames), self._end)
            if self.durability is Durability.FSYNC:
                os.fdatasync(self._fd)
        except BaseException:
            os.ftruncate(self._fd, self._end)  # not acknowledged: leave no trace
            raise
        for (key, value), (offset, length) in zip(changes, positions, strict=True):
            self._apply(key, value, offset, length)
        self._end = end
        if self._dead > _COMPACT_MIN and self._dead > self._end - self._dead:
            self._compact()
        return payloads

    def _compact(self) -> None:
        tmp = f"{self.path}.compact"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            pos = 0
            for offset, length in sorted(self.rows.values()):
                write_all(fd, read_exact(self._fd, length, offset), pos)
                pos += length
            if self.durability is not Durability.NONE:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        if self.durability is not Durability.NONE:
            fsync_dir(self.root)
        self._reload()
        self._sync(True)
