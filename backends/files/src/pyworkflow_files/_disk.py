"""Low-level pieces shared by the event logs and the tables: framing, names, fsync, locks.

A *frame* is ``<u32 length><u32 crc32(length bytes + payload)><payload>`` (little endian).
The checksum covers the length field too, so a torn or flipped header is detected as well as
a torn payload. Frames are only ever appended; a damaged frame at the very end of a file is a
write that a crash cut short (it was never acknowledged) and is cut off, while a damaged frame
followed by more data is corruption and raises :class:`~pyworkflow.errors.SchemaError` naming
the file, because silently dropping acknowledged data is never acceptable.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from enum import StrEnum

from pyworkflow.errors import SchemaError, StorageUnavailable

__all__ = [
    "HEADER",
    "Durability",
    "FrameScan",
    "acquire_mutex",
    "atomic_write",
    "encode_frame",
    "fsync_dir",
    "lock_fd",
    "safe_name",
    "scan_frames",
    "unlock_fd",
]

HEADER = struct.Struct("<II")
_LEN = struct.Struct("<I")
_SAFE = re.compile(r"[a-z0-9_-]{1,64}")


class Durability(StrEnum):
    """When a write is acknowledged (the ``durability`` URL option)."""

    FSYNC = "fsync"  # fdatasync before acknowledging; directories fsynced when entries appear
    FLUSH = "flush"  # handed to the OS before acknowledging; fsynced at close
    NONE = "none"  # handed to the OS; never fsynced


def encode_frame(payload: bytes) -> bytes:
    """``payload`` framed with its length and checksum."""
    head = _LEN.pack(len(payload))
    return head + _LEN.pack(zlib.crc32(payload, zlib.crc32(head))) + payload


class FrameScan:
    """Result of :func:`scan_frames`: where the valid frames end and why scanning stopped."""

    __slots__ = ("end", "torn")

    def __init__(self) -> None:
        self.end = 0  # offset just past the last valid frame
        self.torn = False  # the data after ``end`` is an incomplete (torn) final frame


def scan_frames(data: bytes, base: int, path: str, scan: FrameScan) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, payload)`` for each valid frame of ``data`` (which starts at file
    offset ``base``); set ``scan.end`` and ``scan.torn``.

    A frame that is incomplete, or complete but damaged and the last thing in ``data``, ends the
    scan with ``torn`` set. A damaged frame followed by more bytes raises :class:`SchemaError`.
    """
    pos = 0
    size = len(data)
    scan.end = base
    scan.torn = False
    while pos < size:
        if size - pos < HEADER.size:
            scan.torn = True
            return
        length, crc = HEADER.unpack_from(data, pos)
        stop = pos + HEADER.size + length
        if stop > size:
            scan.torn = True
            return
        payload = data[pos + HEADER.size : stop]
        if zlib.crc32(payload, zlib.crc32(data[pos : pos + 4])) != crc:
            if stop == size or not any(data[stop:]):
                scan.torn = True
                return
            raise SchemaError(
                f"corrupt record in {path} at byte {base + pos}: checksum mismatch "
                "(the data after it is intact, so this is not a torn write; restore the file "
                "from a backup or truncate it at this offset by hand)"
            )
        yield base + pos, payload
        pos = stop
        scan.end = base + pos


def check_frame(data: bytes, offset: int, path: str) -> bytes:
    """The payload of the one frame that ``data`` (read at ``offset``) must be exactly."""
    if len(data) >= HEADER.size:
        length, crc = HEADER.unpack_from(data, 0)
        payload = data[HEADER.size :]
        if length == len(payload) and zlib.crc32(payload, zlib.crc32(data[:4])) == crc:
            return payload
    raise SchemaError(f"corrupt record in {path} at byte {offset}: checksum mismatch")


def safe_name(key: str) -> str:
    """A file name for an id: the id itself when it is short lowercase ``[a-z0-9_-]`` (ids
    from :func:`pyworkflow._ids.new_id` are), else ``=`` + its SHA-256 (``=`` is outside the
    plain alphabet, so the two forms never collide, also on case-insensitive filesystems)."""
    if _SAFE.fullmatch(key):
        return key
    return "=" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def fsync_dir(path: str) -> None:
    """Make the entries of directory ``path`` (new or renamed files) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, durable: bool) -> None:
    """Replace ``path`` with ``data`` atomically: temp file, fsync, rename, fsync directory."""
    tmp = f"{path}.tmp.{uuid.uuid4().hex}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if durable:
        fsync_dir(os.path.dirname(path) or ".")


def write_all(fd: int, data: bytes, offset: int) -> None:
    """``pwrite`` all of ``data`` at ``offset`` (a regular file may accept less per call)."""
    view = memoryview(data)
    while view:
        done = os.pwrite(fd, view, offset)
        view = view[done:]
        offset += done


def read_exact(fd: int, length: int, offset: int) -> bytes:
    """``pread`` exactly ``length`` bytes (fewer only at end of file)."""
    chunks = []
    while length > 0:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            break
        chunks.append(chunk)
        length -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


#: Polling interval bounds while another process holds a lock (see :func:`lock_fd`).
_POLL_FIRST = 0.0002
_POLL_MAX = 0.005


def lock_fd(fd: int, exclusive: bool, deadline: float, path: str) -> None:
    """Take a shared or exclusive ``flock`` on ``fd`` (call off the loop), waiting at most
    until ``deadline`` (a :func:`time.monotonic` time).

    A holder that dies releases its locks, but one that is frozen (SIGSTOP, a debugger, a
    paused VM) holds them for as long as it is frozen, and cannot be told apart from a slow
    one. Breaking the lock could let two writers interleave, so instead the wait is bounded:
    past the deadline :class:`StorageUnavailable` (transient) is raised, and the caller may
    retry later. ``flock`` has no timed form, so the lock is polled without blocking, from
    0.2 ms doubling to 5 ms between tries; an uncontended lock costs one call, as before.
    """
    op = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    delay = _POLL_FIRST
    while True:
        try:
            fcntl.flock(fd, op | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(path)
        time.sleep(min(delay, left))
        delay = min(delay * 2, _POLL_MAX)


def acquire_mutex(mutex: threading.Lock, deadline: float, path: str) -> None:
    """Take this process's ``mutex`` for ``path``, waiting at most until ``deadline``: the
    thread holding it may itself be waiting (boundedly) for another process's lock."""
    if not mutex.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
        raise _timed_out(path)


def _timed_out(path: str) -> StorageUnavailable:
    return StorageUnavailable(
        f"timed out waiting for the lock on {path}: another process has held it too long "
        "(is a process that uses this store stopped or frozen?); try again later"
    )


def unlock_fd(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
