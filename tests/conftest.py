"""Fixtures shared by the cross-package tests."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

_PASSWORD = "Plain-PG-pw-7"  # of the private server's postgres role


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def plain_postgres() -> Iterator[str]:
    """A private PostgreSQL server for this session, with **no TLS** and password (SCRAM)
    authentication, on a free loopback port: ``postgresql://postgres:PASSWORD@host:port``
    (add ``/database``).

    The shared local server has TLS and trusts every loopback login, so it can show neither
    ``sslmode=require`` against a server without TLS nor a refused password. Needs the
    PostgreSQL server binaries (``initdb``, ``pg_ctl``); skipped, saying so, without them.
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        pytest.skip("no PostgreSQL server binaries (initdb) for a private server without TLS")
    bindir = os.path.dirname(initdb)
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run a server as")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = tempfile.mkdtemp(prefix="pyworkflow-plain-pg-")
    if as_user:
        shutil.chown(base, "postgres")
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w", encoding="utf-8") as f:
        f.write(_PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    data = os.path.join(base, "data")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(initdb, "-D", data, "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={pwfile}", "-N")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c ssl=off -c fsync=off"
    run(f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", f"{base}/log", "-w", "start")
    try:
        yield f"postgresql://postgres:{_PASSWORD}@127.0.0.1:{port}"
    finally:
        run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
