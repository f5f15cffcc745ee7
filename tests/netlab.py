"""A tiny network lab for partition tests (not a test module): network namespaces joined by
veth pairs, and a private PostgreSQL server in one of them.

Topology: one "server" namespace and ``n`` "worker" namespaces; worker ``i`` is joined to the
server by its own veth pair on ``10.77.i.0/24`` (server ``.1``, worker ``.2``). Cutting worker
``i`` off takes the server's end of its pair down: the worker's packets then vanish silently
(its own link stays up, so nothing fails fast: calls hang, as in a real partition), and
bringing the end up again heals the link with the TCP connections intact.

PostgreSQL is started from the Debian binaries (``initdb`` into a temporary directory, as the
``postgres`` user: the server refuses to run as root), listening on the server namespace's
addresses and on a Unix socket in that directory, which the test process (in no namespace of
its own) uses to observe. Nothing here touches the host's interfaces or another server; every
name carries the process id. :meth:`NetLab.close` removes everything, also after a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

__all__ = ["PG_BIN", "NetLab", "unavailable"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_PORT = 5432
INITDB = ("--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
#: a scratch server: no durability needed, little memory
SETTINGS = (
    *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
    *("-c", "max_connections=60", "-c", "shared_buffers=16MB"),
)


def unavailable() -> str | None:
    """Why the lab cannot run here (to skip with), or ``None``."""
    if os.name != "posix" or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "network namespaces need root (run as root, e.g. in CI)"
    if shutil.which("ip") is None:
        return "the ip command is missing (Debian: apt-get install iproute2)"
    if shutil.which("runuser") is None:
        return "runuser is missing (Debian: util-linux)"
    for tool in ("initdb", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"{PG_BIN / tool} is missing (Debian: apt-get install postgresql-15)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user to run the private server as"
    probe = f"pwprobe{os.getpid()}"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return f"cannot create a network namespace here: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class NetLab:
    """Namespaces, links and a private PostgreSQL server. Use as a context manager."""

    def __init__(self, workers: int) -> None:
        tag = f"{os.getpid()}{secrets.token_hex(2)}"
        self.server_ns = f"pwl{tag}s"
        self.worker_ns = [f"pwl{tag}w{i}" for i in range(workers)]
        self.dir = Path(tempfile.mkdtemp(prefix="pwlab-"))
        self._made: list[str] = []
        self.pg: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NetLab:
        try:
            self._links()
            self._postgres()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- topology ------------------------------------------------------------------------------

    def _links(self) -> None:
        for ns in (self.server_ns, *self.worker_ns):
            _ip("netns", "add", ns)
            self._made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        for i, ns in enumerate(self.worker_ns):
            _ip(
                "-n", self.server_ns,
                "link", "add", f"s{i}", "type", "veth", "peer", "name", f"w{i}", "netns", ns,
            )  # fmt: skip
            _ip("-n", self.server_ns, "addr", "add", f"10.77.{i}.1/24", "dev", f"s{i}")
            _ip("-n", self.server_ns, "link", "set", f"s{i}", "up")
            _ip("-n", ns, "addr", "add", f"10.77.{i}.2/24", "dev", f"w{i}")
            _ip("-n", ns, "link", "set", f"w{i}", "up")

    def cut(self, i: int) -> None:
        """Partition worker ``i`` from the server (packets are dropped, nothing is refused)."""
        _ip("-n", self.server_ns, "link", "set", f"s{i}", "down")

    def heal(self, i: int) -> None:
        _ip("-n", self.server_ns, "link", "set", f"s{i}", "up")

    def in_worker_ns(self, i: int, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside worker ``i``'s namespace."""
        return ["ip", "netns", "exec", self.worker_ns[i], *argv]

    # -- the private server --------------------------------------------------------------------

    def _postgres(self) -> None:
        user = pwd.getpwnam("postgres")
        os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.dir.chmod(0o755)
        data, self.socket_dir = self.dir / "data", self.dir / "sock"
        as_pg = ["runuser", "-u", "postgres", "--"]
        subprocess.run(["runuser", "-u", "postgres", "--", "mkdir", str(self.socket_dir)])
        done = subprocess.run(
            [*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "-U", "root", *INITDB],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        with (data / "pg_hba.conf").open("a") as hba:  # the workers' links, nothing else
            hba.write("host all all 10.77.0.0/16 trust\n")
        addresses = ",".join(f"10.77.{i}.1" for i in range(len(self.worker_ns)))
        self.pg_log = self.dir / "postgres.log"
        with self.pg_log.open("wb") as log:
            self.pg = subprocess.Popen(
                [
                    *("ip", "netns", "exec", self.server_ns, *as_pg, str(PG_BIN / "postgres")),
                    *("-D", str(data), "-p", str(_PORT)),
                    *("-c", f"listen_addresses={addresses}"),
                    *("-c", f"unix_socket_directories={self.socket_dir}"),
                    *SETTINGS,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not (self.socket_dir / f".s.PGSQL.{_PORT}").exists():
            if self.pg.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not start: {self.pg_log.read_text()[-2000:]}")
            time.sleep(0.05)

    def observer_url(self, schema: str) -> str:
        """The server through its Unix socket (from the test process, in no namespace)."""
        return f"postgresql://root@{quote(str(self.socket_dir), safe='')}:{_PORT}/postgres" + (
            f"?schema={schema}"
        )

    def worker_url(self, i: int, schema: str) -> str:
        """The server as worker ``i`` reaches it, over its link."""
        return f"postgresql://root@10.77.{i}.1:{_PORT}/postgres?schema={schema}&sslmode=disable"

    # -- cleanup -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the server, delete the namespaces (their links go with them) and the files."""
        if self.pg is not None and self.pg.poll() is None:
            self.pg.terminate()  # ip netns exec -> runuser -> postgres: signals reach it
            try:
                self.pg.wait(10)
            except subprocess.TimeoutExpired:
                self.pg.kill()
                self.pg.wait()
        # runuser forwards SIGTERM to the postmaster; if it somehow outlived that, end it
        # (only if that pid really is our postmaster: its command line names our directory)
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
            if str(self.dir) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                os.kill(pid, signal.SIGKILL)
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self._made.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
