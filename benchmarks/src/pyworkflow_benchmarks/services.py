"""Local servers for the default run: a scratch database on Postgres / MariaDB, a moto server.

Each helper returns a cleanup coroutine function; the caller runs it at the end whatever
happened. Scratch names carry a random suffix so concurrent runs never collide.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

__all__ = ["Cleanup", "answers", "scratch_mysql", "scratch_postgres", "start_moto"]

Cleanup = Callable[[], Awaitable[None]]


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _name() -> str:
    return f"pwbench_{secrets.token_hex(4)}"


async def scratch_postgres(
    host: str = "127.0.0.1", port: int = 5432, user: str = "root"
) -> tuple[str, Cleanup]:
    """Create a fresh database; return its URL and a cleanup that drops it."""
    import asyncpg

    name = _name()
    admin = await asyncpg.connect(host=host, port=port, user=user, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(host=host, port=port, user=user, database="postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    return f"postgresql://{user}@{host}:{port}/{name}", drop


async def scratch_mysql(
    host: str = "127.0.0.1", port: int = 3306, user: str = "root"
) -> tuple[str, Cleanup]:
    """Create a fresh MariaDB/MySQL database; return its URL and a cleanup that drops it."""
    import aiomysql

    name = _name()

    async def run(sql: str) -> None:
        conn = await aiomysql.connect(host=host, port=port, user=user, password="", autocommit=True)
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql)
        finally:
            conn.close()

    await run(f"CREATE DATABASE `{name}`")
    return f"mysql://{user}@{host}:{port}/{name}", lambda: run(f"DROP DATABASE IF EXISTS `{name}`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ThreadedMotoServer's own setup (same WSGI app, handler and threaded werkzeug server), with
# one change: requests are handled one at a time. moto applies a TransactWriteItems without
# any lock, so two concurrent requests can both pass their conditions: 16 contenders issuing
# the backend's exact guarded request through the bare client stored duplicate sequences
# (measured: 120 acknowledged, 102 distinct). Real DynamoDB is atomic per request; so is a
# serialized moto. Threads still keep HTTP/1.1 keep-alive, so one long-lived client stays one
# connection.
_MOTO = """
import sys, threading
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
inner = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def app(environ, start_response):
    with lock:
        return list(inner(environ, start_response))
server = make_server("127.0.0.1", {port}, app, True, request_handler=MotoRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()  # serve until the parent closes our stdin (or dies)
server.shutdown()
"""


async def start_moto() -> tuple[str, Cleanup]:
    """Start a moto DynamoDB server in a child process; return its endpoint URL.

    A child process, not a thread of ours: an in-process server would share our GIL and our
    ``process_time``, so it would slow the client down and be counted as client CPU. Its
    requests are serialized (see ``_MOTO``) so each one is atomic, as on DynamoDB. Dummy AWS
    credentials are put in the environment (moto accepts any).
    """
    for key, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(key, value)
    port = _free_port()
    code = _MOTO.format(port=port)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not answers("127.0.0.1", port, 0.2):
        if proc.returncode is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("moto server did not start")
        await asyncio.sleep(0.1)

    async def stop() -> None:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    return f"http://127.0.0.1:{port}", stop
