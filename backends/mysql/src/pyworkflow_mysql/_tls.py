"""Refuse plaintext when the URL requires TLS.

aiomysql (like PyMySQL) given an SSL context still connects in plaintext when the server
does not offer TLS. With ``ssl=true`` that must fail instead, before any credentials are
sent: :func:`server_offers_tls` reads the server's greeting (sent before the client says
anything) and checks its ``CLIENT_SSL`` capability; every pooled connection is checked again
when it is acquired (:func:`require_tls`), in case a later connection reached a server
without TLS.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymysql.constants import CLIENT
from pyworkflow.errors import ConfigurationError

__all__ = ["no_tls_error", "require_tls", "server_offers_tls"]


async def server_offers_tls(host: str, port: int, seconds: float) -> bool | None:
    """Whether the server at ``host:port`` offers TLS; ``None`` if its greeting is an error
    packet or unreadable (the real connect then reports why). Connection errors propagate."""
    async with asyncio.timeout(seconds):
        reader, writer = await asyncio.open_connection(host, port)
    try:
        async with asyncio.timeout(seconds):
            header = await reader.readexactly(4)
            payload = await reader.readexactly(int.from_bytes(header[:3], "little"))
    except (asyncio.IncompleteReadError, TimeoutError):
        return None
    finally:
        writer.close()
    # Protocol::HandshakeV10: version byte 10, server version NUL-terminated, 4-byte
    # connection id, 8 bytes of scramble, a filler byte, then the low 2 capability bytes.
    if not payload or payload[0] != 10:
        return None
    end = payload.find(b"\0", 1)
    offset = end + 1 + 4 + 8 + 1
    if end < 0 or len(payload) < offset + 2:
        return None
    capabilities = int.from_bytes(payload[offset : offset + 2], "little")
    return bool(capabilities & CLIENT.SSL)


def no_tls_error(where: str) -> ConfigurationError:
    return ConfigurationError(
        f"the MySQL server at {where} does not offer TLS, and the URL requires it (ssl=true): "
        "enable TLS on the server, or drop ssl=true to connect in plaintext"
    )


def require_tls(conn: Any, where: str) -> None:
    """Raise (and close ``conn``) if the pooled connection ``conn`` is not encrypted."""
    if not getattr(conn, "_secure", False):  # aiomysql sets it once TLS is negotiated
        conn.close()
        raise no_tls_error(where)
