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


async def start_moto() -> tuple[str, Cleanup]:
    """Start a moto DynamoDB server in a child process; return its endpoint URL.

    The server is the conformance package's (:mod:`pyworkflow_conformance.moto_server`): every
    request is serialized, so each one is atomic, as on DynamoDB. Stock moto applies a
    TransactWriteItems without any lock, so two concurrent guarded requests can both pass
    their conditions: 16 contenders issuing the backend's exact guarded request through the
    bare client stored duplicate sequences (measured: 120 acknowledged, 102 distinct).

    A child process, not a thread of ours: an in-process server would share our GIL and our
    ``process_time``, so it would slow the client down and be counted as client CPU. Dummy
    AWS credentials are put in the environment (moto accepts any).
    """
    from pyworkflow_conformance.moto_server import AWS_TEST_ENV

    for key, value in AWS_TEST_ENV.items():
        os.environ.setdefault(key, value)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pyworkflow_conformance.moto_server",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        # The child prints its endpoint once it listens, then serves until stdin closes.
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
    except TimeoutError:
        line = b""
    endpoint = line.decode().strip()
    if not endpoint.startswith("http://"):
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        raise RuntimeError("moto server did not start")

    async def stop() -> None:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    return endpoint, stop
