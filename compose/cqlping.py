#!/usr/bin/env python3
"""Readiness check for Cassandra without any driver: one real CQL query over the native protocol.

    python3 compose/cqlping.py [HOST] [PORT] [TIMEOUT]

Speaks CQL native protocol v4 with the standard library only (compose/servers runs before the
project's dependencies are installed): STARTUP -> READY, then QUERY ``SELECT release_version
FROM system.local`` -> RESULT rows. Prints the release version and exits 0; on any failure
(refused, closed, an ERROR frame, a frame it does not expect) prints why and exits 1, so the
caller can poll it. A port that merely accepts connections is not "ready".
"""

from __future__ import annotations

import socket
import struct
import sys

__all__ = ["ping"]

VERSION = 0x04  # protocol v4: plain frames (v5 wraps frames in checksummed segments)
OP_ERROR, OP_STARTUP, OP_READY, OP_QUERY, OP_RESULT = 0x00, 0x01, 0x02, 0x07, 0x08
RESULT_ROWS = 0x0002
CONSISTENCY_ONE = 0x0001
QUERY = "SELECT release_version FROM system.local"


class CQLError(Exception):
    """The server answered, but not with what a ready node answers."""


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def _frame(stream: int, opcode: int, body: bytes) -> bytes:
    return struct.pack(">BBhBI", VERSION, 0, stream, opcode, len(body)) + body


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise CQLError("connection closed by the server")
        buf += chunk
    return buf


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    version, _flags, _stream, opcode, length = struct.unpack(">BBhBI", _recv_exactly(sock, 9))
    if version != (0x80 | VERSION):
        raise CQLError(f"unexpected protocol version byte 0x{version:02x}")
    body = _recv_exactly(sock, length)
    if opcode == OP_ERROR:
        code = struct.unpack(">i", body[:4])[0]
        (n,) = struct.unpack(">H", body[4:6])
        raise CQLError(f"server error 0x{code:04x}: {body[6 : 6 + n].decode(errors='replace')}")
    return opcode, body


def _first_text_cell(body: bytes) -> str:
    """The first cell of the first row of a ROWS result whose first column is text."""
    (kind,) = struct.unpack(">i", body[:4])
    if kind != RESULT_ROWS:
        raise CQLError(f"RESULT kind {kind}, expected rows")
    pos = 4
    flags, columns = struct.unpack(">ii", body[pos : pos + 8])
    pos += 8
    if flags & 0x0002:  # has_more_pages: a paging state follows
        (n,) = struct.unpack(">i", body[pos : pos + 4])
        pos += 4 + max(n, 0)
    if flags & 0x0004:  # no_metadata
        raise CQLError("RESULT without metadata")
    global_spec = flags & 0x0001

    def skip_string() -> None:
        nonlocal pos
        (n,) = struct.unpack(">H", body[pos : pos + 2])
        pos += 2 + n

    if global_spec:
        skip_string()
        skip_string()
    for _ in range(columns):
        if not global_spec:
            skip_string()
            skip_string()
        skip_string()  # column name
        (type_id,) = struct.unpack(">H", body[pos : pos + 2])
        pos += 2
        if type_id not in (0x0001, 0x000A, 0x000D):  # ascii, text, varchar: nothing follows
            raise CQLError(f"unexpected column type 0x{type_id:04x}")
    (rows,) = struct.unpack(">i", body[pos : pos + 4])
    pos += 4
    if rows < 1:
        raise CQLError("system.local returned no row")
    (n,) = struct.unpack(">i", body[pos : pos + 4])
    pos += 4
    return "" if n < 0 else body[pos : pos + n].decode()


def ping(host: str, port: int, timeout: float) -> str:
    """Run the query; return the server's release version (raises OSError or CQLError)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        options = struct.pack(">H", 1) + _string("CQL_VERSION") + _string("3.0.0")
        sock.sendall(_frame(1, OP_STARTUP, options))
        opcode, _ = _read_frame(sock)
        if opcode != OP_READY:  # AUTHENTICATE (0x03): a server with auth is not ours
            raise CQLError(f"STARTUP answered with opcode 0x{opcode:02x}, expected READY")
        query = struct.pack(">i", len(QUERY)) + QUERY.encode()
        query += struct.pack(">HB", CONSISTENCY_ONE, 0)
        sock.sendall(_frame(2, OP_QUERY, query))
        opcode, body = _read_frame(sock)
        if opcode != OP_RESULT:
            raise CQLError(f"QUERY answered with opcode 0x{opcode:02x}, expected RESULT")
        return _first_text_cell(body)


def main(argv: list[str]) -> int:
    host = argv[1] if len(argv) > 1 else "127.0.0.1"
    port = int(argv[2]) if len(argv) > 2 else 9042
    timeout = float(argv[3]) if len(argv) > 3 else 5.0
    try:
        print(ping(host, port, timeout))
    except (OSError, CQLError) as exc:
        print(f"{host}:{port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
