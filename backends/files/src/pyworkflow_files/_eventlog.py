"""One run's event log: ``events/<name>/log`` (frames) and ``events/<name>/idx`` (offsets).

``log`` holds one frame per event whose payload is the JSON array
``[sequence, id, type, timestamp_micros, data]``. ``idx`` is fixed width: entry ``k`` (at byte
``16 * k``) is ``<u64 offset where event k+1 starts (= where event k ends)><u64 hash of event
k's id>``; entry 0 is ``(0, 0)``. So the version is ``size(idx) / 16 - 1``, event ``N`` starts
at the offset stored at byte ``16 * (N - 1)``, and a read of any range costs two ``pread`` of
the index and one of the log: nothing is scanned.

Every operation holds an ``flock`` on ``log`` (exclusive to append or repair, shared to read)
plus an in-process mutex, because ``flock`` does not exclude threads sharing one descriptor.
Both waits are bounded by the store's ``lock_timeout`` (then ``StorageUnavailable``), so a
process frozen while holding a run's lock cannot block the run's other users forever.
The log is the truth and the index is derived: an append writes the log, then the index, then
``fdatasync``s the log only. Whenever the files' sizes differ from what this process last saw,
the index's tail is checked against the log (O(1)); on the first access in a process the last
record is also checksummed. A disagreement is repaired under the exclusive lock: index entries
that point past the log or at a bad record are dropped, complete records after the last indexed
one are indexed, and a torn final record is cut off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import struct
import sys
import threading
import time
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TypeVar
from zlib import crc32

from pyworkflow._rows import decode_many, event
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import loads, to_micros
from pyworkflow.errors import ConflictError, SchemaError
from pyworkflow.models import Event

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
    safe_name,
    scan_frames,
    unlock_fd,
    write_all,
)

__all__ = ["ENTRY", "RunLog", "RunLogs", "id_hash"]

T = TypeVar("T")

ENTRY = 16
_IDX = struct.Struct("<QQ")
_CHUNK = 4096  # events decoded per read of the log
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def id_hash(event_id: str) -> int:
    """64-bit hash of an event id, kept in the index to find duplicate ids without the log."""
    return int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=8).digest(), "little")


def _json_str(text: str) -> str:
    # Ids and types are validated (no control characters); only quote and backslash need escaping.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RunLog:
    """The files of one run's event log, opened lazily, with this process's view of them."""

    def __init__(self, events_dir: str, run_id: str, durability: Durability) -> None:
        self.run_id = run_id
        self.events_dir = events_dir
        self.dir = os.path.join(events_dir, safe_name(run_id))
        self.log_path = os.path.join(self.dir, "log")
        self.idx_path = os.path.join(self.dir, "idx")
        self.durability = durability
        self.mutex = threading.Lock()
        self.users = 0  # callers between RunLogs.get and RunLogs.put (guarded by RunLogs)
        self.log_fd = -1
        self.idx_fd = -1
        self._ino = 0
        self._known: tuple[int, int] | None = None  # (log size, idx size) last seen consistent
        self._ids: dict[int, int] | None = None  # id hash -> sequence, loaded on first append

    # -- opening and locking ----------------------------------------------------------------

    def _open(self, create: bool) -> bool:
        if create:
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.dir)
        try:
            log_fd = os.open(self.log_path, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
        except (FileNotFoundError, NotADirectoryError):
            return False
        self.log_fd = log_fd
        self.idx_fd = os.open(self.idx_path, os.O_RDWR | os.O_CREAT, 0o644)
        self._ino = os.fstat(log_fd).st_ino
        self._known = None
        self._ids = None
        if create and self.durability is Durability.FSYNC:
            # Once per process and run: the new directory and files must survive a power cut
            # before anything written into them is acknowledged.
            fsync_dir(self.dir)
            fsync_dir(self.events_dir)
        return True

    def close(self) -> None:
        for fd in (self.log_fd, self.idx_fd):
            if fd >= 0:
                if self.durability is Durability.FLUSH:
                    os.fsync(fd)
                os.close(fd)
        self.log_fd = self.idx_fd = -1

    def lock(self, exclusive: bool, create: bool, deadline: float) -> bool:
        """Take the mutex and the file lock; ``False`` (holding nothing) if the run has no log
        and ``create`` is false. The caller must :meth:`unlock` after a ``True``.
        ``StorageUnavailable`` (holding nothing) if either is not free by ``deadline``
        (:func:`time.monotonic`)."""
        acquire_mutex(self.mutex, deadline, self.log_path)
        try:
            while True:
                if self.log_fd < 0 and not self._open(create):
                    self.mutex.release()
                    return False
                lock_fd(self.log_fd, exclusive, deadline, self.log_path)
                try:
                    same = os.stat(self.log_path).st_ino == self._ino
                except FileNotFoundError:
                    same = False
                if same:
                    return True
                # Retention moved this log away after we opened it: start on the new one.
                unlock_fd(self.log_fd)
                self.close()
        except BaseException:
            self.mutex.release()
            raise

    def unlock(self) -> None:
        try:
            if self.log_fd >= 0:
                unlock_fd(self.log_fd)
        finally:
            self.mutex.release()

    # -- consistency -------------------------------------------------------------------------

    def _entries(self, first: int, count: int) -> list[tuple[int, int]]:
        data = read_exact(self.idx_fd, count * ENTRY, first * ENTRY)
        return [_IDX.unpack_from(data, i) for i in range(0, len(data) - ENTRY + 1, ENTRY)]

    def _record(self, start: int, end: int) -> list[object]:
        payload = check_frame(read_exact(self.log_fd, end - start, start), start, self.log_path)
        value = loads(payload)
        if not isinstance(value, list) or len(value) != 5:
            raise SchemaError(f"malformed event record in {self.log_path} at byte {start}")
        return value

    def _tail_ok(self, log_size: int, idx_size: int, verify: bool) -> bool:
        if idx_size == 0:
            return log_size == 0
        if idx_size % ENTRY:
            return False
        version = idx_size // ENTRY - 1
        if version == 0:
            return log_size == 0 and self._entries(0, 1) == [(0, 0)]
        (start, _), (end, _) = self._entries(version - 1, 2)
        if end != log_size or not start < end:
            return False
        if verify:
            try:
                return self._record(start, end)[0] == version
            except SchemaError:
                return False
        return True

    def sync(self, exclusive: bool) -> bool:
        """Bring this process's view up to date; ``False`` if a repair is needed and only a
        shared lock is held."""
        log_size = os.fstat(self.log_fd).st_size
        idx_size = os.fstat(self.idx_fd).st_size
        known = self._known
        if known == (log_size, idx_size):
            return True
        if self._tail_ok(log_size, idx_size, verify=known is None):
            if self._ids is not None and known is not None and known[1] <= idx_size:
                self._add_ids(known[1] // ENTRY, idx_size // ENTRY)
            else:
                self._ids = None
            self._known = (log_size, idx_size)
            return True
        if not exclusive:
            return False
        self._repair(log_size, idx_size)
        return True

    def _repair(self, log_size: int, idx_size: int) -> None:
        entries = self._entries(0, idx_size // ENTRY)
        good = len(entries) - 1 if entries and entries[0] == (0, 0) else 0
        while good > 0:  # drop index entries that point past the log or at a bad record
            start, end = entries[good - 1][0], entries[good][0]
            if start < end <= log_size:
                try:
                    if self._record(start, end)[0] == good:
                        break
                except SchemaError:
                    pass
            good -= 1
        del entries[good + 1 :]
        if not entries:
            entries.append((0, 0))
        base = entries[-1][0]
        scan = FrameScan()
        data = read_exact(self.log_fd, log_size - base, base)
        for offset, payload in scan_frames(data, base, self.log_path, scan):
            seq, eid = loads(payload)[:2]
            if seq != len(entries):
                raise SchemaError(
                    f"event log {self.log_path} has sequence {seq} at byte {offset}, "
                    f"expected {len(entries)}"
                )
            entries.append((offset + len(payload) + 8, id_hash(eid)))
        if scan.torn:  # a write cut short by a crash: never acknowledged, so drop it
            os.ftruncate(self.log_fd, scan.end)
        os.ftruncate(self.idx_fd, 0)
        write_all(self.idx_fd, b"".join(_IDX.pack(*e) for e in entries), 0)
        if self.durability is Durability.FSYNC:
            os.fdatasync(self.log_fd)
            os.fdatasync(self.idx_fd)
        self._known = (scan.end, len(entries) * ENTRY)
        self._ids = None

    def _add_ids(self, first: int, stop: int) -> None:
        assert self._ids is not None
        for seq, (_, h) in enumerate(self._entries(first, stop - first), first):
            if seq > 0:
                self._ids.setdefault(h, seq)

    # -- operations (call between lock() and unlock()) ---------------------------------------

    def version(self) -> int:
        assert self._known is not None
        return max(self._known[1] // ENTRY - 1, 0)

    def _has_id(self, event_id: str, h: int) -> bool:
        if self._ids is None:
            self._ids = {}
            self._add_ids(0, self.version() + 1)
        seq = self._ids.get(h)
        if seq is None:
            return False
        (start, _), (end, _) = self._entries(seq - 1, 2)
        if self._record(start, end)[1] == event_id:
            return True
        # A 64-bit hash collision between different ids: settle it by reading the log.
        return any(e.id == event_id for e in self.read(0, None, None))

    def append(self, events: list[EncodedEvent], expected: int) -> int:
        version = self.version()
        if version != expected:
            raise ConflictError(f"run {self.run_id!r} is at version {version}, not {expected}")
        assert self._known is not None
        log_size, idx_size = self._known
        hashes = [id_hash(e.id) for e in events]
        for e, h in zip(events, hashes, strict=True):
            if self._has_id(e.id, h):
                raise ConflictError(f"event id {e.id!r} is already in run {self.run_id!r}")
        frames: list[bytes] = []
        entries: list[bytes] = [_IDX.pack(0, 0)] if idx_size == 0 else []
        end = log_size
        for seq, (e, h) in enumerate(zip(events, hashes, strict=True), expected + 1):
            text = f"[{seq},{_json_str(e.id)},{_json_str(e.type)},{to_micros(e.timestamp)},"
            frame = encode_frame(f"{text}{e.data}]".encode())
            frames.append(frame)
            end += len(frame)
            entries.append(_IDX.pack(end, h))
        index = b"".join(entries)
        try:
            write_all(self.log_fd, b"".join(frames), log_size)
            write_all(self.idx_fd, index, idx_size)
            if self.durability is Durability.FSYNC:
                os.fdatasync(self.log_fd)
        except BaseException:
            # Not acknowledged: take it back so a retry finds the log as it was.
            self._known = None
            os.ftruncate(self.log_fd, log_size)
            os.ftruncate(self.idx_fd, idx_size)
            raise
        self._known = (end, idx_size + len(index))
        if self._ids is not None:
            for seq, h in enumerate(hashes, expected + 1):
                self._ids.setdefault(h, seq)
        return expected + len(events)

    def _offsets(self, first: int, count: int) -> array[int]:
        """The start offsets stored in entries ``first .. first + count - 1``."""
        words = array("Q", read_exact(self.idx_fd, count * ENTRY, first * ENTRY))
        if sys.byteorder != "little":
            words.byteswap()
        return words[0::2]

    def read(self, after: int, limit: int | None, types: frozenset[str] | None) -> list[Event]:
        version = self.version()
        out: list[Event] = []
        seq = after
        unpack, hsize = HEADER.unpack_from, HEADER.size
        last_ts: int | None = None
        when = _EPOCH
        while seq < version and (limit is None or len(out) < limit):
            stop = min(version, seq + _CHUNK)
            if types is None and limit is not None:
                stop = min(stop, seq + limit - len(out))
            bounds = self._offsets(seq, stop - seq + 1)
            base = bounds[0]
            view = memoryview(read_exact(self.log_fd, bounds[-1] - base, base))
            payloads: list[memoryview] = []
            add = payloads.append
            for start, end in pairwise([b - base for b in bounds]):
                length, crc = unpack(view, start)
                payload = view[start + hsize : end]
                if (
                    length != end - start - hsize
                    or crc32(payload, crc32(view[start : start + 4])) != crc
                ):
                    raise SchemaError(
                        f"corrupt record in {self.log_path} at byte {base + start}: "
                        "checksum mismatch"
                    )
                add(payload)
            # Each payload is one record's JSON array, decoded as json.loads would (orjson
            # for all but the texts it reads differently, see pyworkflow._rows).
            records = decode_many(payloads)
            for expected, (num, eid, etype, ts, body) in enumerate(records, seq + 1):
                if num != expected:
                    raise SchemaError(
                        f"event log {self.log_path} has sequence {num} where the index "
                        f"says {expected}"
                    )
                if types is not None and etype not in types:
                    continue
                if ts != last_ts:  # a batch shares one timestamp: convert it once
                    when, last_ts = _EPOCH + ts * _MICRO, ts
                out.append(event(self.run_id, num, eid, etype, body, when))
                if limit is not None and len(out) >= limit:
                    break
            seq = stop
        return out

    def destroy(self, trash_dir: str) -> None:
        """Move the log out of ``events/`` (atomic) and delete it. Call under the exclusive
        lock; afterwards this object is closed and reopens a new log if used again."""
        target = os.path.join(trash_dir, f"{os.path.basename(self.dir)}.{uuid.uuid4().hex}")
        os.rename(self.dir, target)
        if self.durability is Durability.FSYNC:
            fsync_dir(self.events_dir)
        shutil.rmtree(target, ignore_errors=True)


class RunLogs:
    """This process's open run logs: at most ``max_open`` idle ones stay open (LRU)."""

    def __init__(
        self, events_dir: str, durability: Durability, max_open: int, lock_timeout: float
    ) -> None:
        self.events_dir = events_dir
        self.lock_timeout = lock_timeout
        self.durability = durability
        self.max_open = max_open
        self._open: OrderedDict[str, RunLog] = OrderedDict()
        self._mutex = threading.Lock()

    def __len__(self) -> int:
        return len(self._open)

    def close(self) -> None:
        with self._mutex:
            for log in self._open.values():
                with log.mutex:
                    log.close()
            self._open.clear()

    def _get(self, run_id: str) -> RunLog:
        """The run's log object, marked in use (give it back with :meth:`_put`)."""
        with self._mutex:
            log = self._open.get(run_id)
            if log is None:
                log = self._open[run_id] = RunLog(self.events_dir, run_id, self.durability)
            else:
                self._open.move_to_end(run_id)
            log.users += 1
            if len(self._open) > self.max_open:
                for key, idle in list(self._open.items()):
                    if len(self._open) <= self.max_open:
                        break
                    if idle.users == 0 and idle.mutex.acquire(blocking=False):
                        try:
                            idle.close()
                        finally:
                            idle.mutex.release()
                        del self._open[key]
            return log

    def _put(self, log: RunLog) -> None:
        with self._mutex:
            log.users -= 1

    def use(
        self, run_id: str, exclusive: bool, create: bool, fn: Callable[[RunLog], T], empty: T
    ) -> T:
        """``fn(log)`` under the run's lock (exclusive or shared) with an up-to-date view;
        ``empty`` if the run has no log and ``create`` is false."""
        deadline = time.monotonic() + self.lock_timeout
        log = self._get(run_id)
        try:
            if not log.lock(exclusive, create, deadline):
                return empty
            held = True
            try:
                if not log.sync(exclusive):  # needs a repair: take the exclusive lock
                    log.unlock()
                    held = False
                    held = log.lock(True, create, deadline)
                    if not held:
                        return empty
                    log.sync(True)
                return fn(log)
            finally:
                if held:
                    log.unlock()
        finally:
            self._put(log)

    def destroy(self, run_id: str, trash: str) -> None:
        """Delete the run's log (see :meth:`RunLog.destroy`); no sync first, so a damaged log
        can still be deleted."""
        log = self._get(run_id)
        try:
            if log.lock(True, False, time.monotonic() + self.lock_timeout):
                try:
                    log.destroy(trash)
                finally:
                    log.close()  # also drops the flock; the mutex is released next
                    log.unlock()
        finally:
            self._put(log)
