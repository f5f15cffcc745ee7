"""Where the conformance suite finds each backend's server, and how each test gets a fresh store.

One resolution order for every backend, done once per session per backend name:

1. an explicit URL: ``PYWORKFLOW_TEST_<NAME>_URL`` or ``--pyworkflow-url`` (``--backend-url``);
2. the well-known local service, if it answers on its port;
3. testcontainers, if a Docker daemon answers;
4. otherwise ``pytest.skip`` with a message naming the three ways above.

Then every test gets a fresh, empty store on that server (a per-test schema, database,
keyspace, table or directory). Everything the session created is dropped at its end, and every
name carries a per-session id (pid + random) so parallel runs never collide. Drivers are
imported lazily: testing SQLite never needs asyncpg.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import secrets
import socket
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyworkflow.urls import StorageURL

__all__ = ["SCHEME_TO_NAME", "SERVICES", "Service", "Services", "name_for_url"]


@dataclass(frozen=True, slots=True)
class Service:
    """A backend name's server: its local well-known address and its Docker image."""

    name: str
    port: int | None = None  # the well-known local port (None: no local server to look for)
    local_url: str | None = None  # admin URL of the local service
    image: str | None = None  # testcontainers image


SERVICES: dict[str, Service] = {
    "memory": Service("memory"),
    "sqlite": Service("sqlite"),
    "files": Service("files"),
    "postgres": Service(
        "postgres", 5432, "postgresql://root@127.0.0.1:5432/postgres", "postgres:15"
    ),
    "mysql": Service("mysql", 3306, "mysql://root@127.0.0.1:3306/", "mariadb:10.11"),
    # The "local service" of DynamoDB is a moto server the session starts itself.
    "dynamodb": Service("dynamodb", None, None, "amazon/dynamodb-local"),
    "cassandra": Service(
        "cassandra", 9042, "cassandra://127.0.0.1:9042/pwt?local_dc=dc1", "cassandra:5.0"
    ),
}

#: URL scheme -> backend name (for ``--pyworkflow-url``).
SCHEME_TO_NAME = {
    "memory": "memory",
    "sqlite": "sqlite",
    "file": "files",
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "dynamodb": "dynamodb",
    "cassandra": "cassandra",
}

SERVERLESS = frozenset({"memory", "sqlite", "files"})


def name_for_url(url: str) -> str:
    """The backend name for ``url``'s scheme (an unknown scheme names itself)."""
    scheme = StorageURL.parse(url).scheme
    return SCHEME_TO_NAME.get(scheme, scheme)


def _answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _with(url: StorageURL, *, path: str | None = None, **query: str) -> str:
    """``url`` with another path and extra query options, rendered WITH its password."""
    merged = {**url.query, **query}
    new = dataclasses.replace(url, path=url.path if path is None else path, query=merged)
    return new.render(hide_password=False)


class Services:
    """Session state: resolved servers, created databases, and what to drop at the end."""

    def __init__(self, explicit: dict[str, str] | None = None) -> None:
        self.session_id = f"{os.getpid()}_{secrets.token_hex(3)}"
        self._explicit = dict(explicit or {})
        self._base: dict[str, str | BaseException] = {}
        self._counter = itertools.count(1)
        self._cleanups: list[Callable[[], None]] = []
        self._pg_schemas: list[str] | None = None  # schema fallback without CREATE DATABASE
        self._mysql: Any = None  # one admin connection per session
        self._moto_endpoint: str | None = None  # the moto server this session started

    # -- resolution -------------------------------------------------------------------------

    def explicit_url(self, name: str) -> str | None:
        return os.environ.get(f"PYWORKFLOW_TEST_{name.upper()}_URL") or self._explicit.get(name)

    def base_url(self, name: str) -> str:
        """The server URL for ``name`` (resolved once; a skip or error is remembered too)."""
        if name not in self._base:
            try:
                self._base[name] = self._resolve(name)
            except BaseException as exc:  # the skip (or failure) repeats for every test
                self._base[name] = exc
        found = self._base[name]
        if isinstance(found, BaseException):
            raise found
        return found

    def _resolve(self, name: str) -> str:
        explicit = self.explicit_url(name)
        if explicit:
            return self._prepare(name, explicit)
        if name in SERVERLESS:
            # The backend name is not always its scheme ("files" is served by file://).
            scheme = next(s for s, n in SCHEME_TO_NAME.items() if n == name)
            return f"{scheme}://"
        service = SERVICES.get(name)
        if service is None:
            pytest.fail(
                f"unknown backend name {name!r}: give an explicit URL "
                f"(PYWORKFLOW_TEST_{name.upper()}_URL or --pyworkflow-url) or override the "
                "backend_url fixture",
                pytrace=False,
            )
        if name == "dynamodb" and self._moto_available():
            return self._start_moto()
        if service.port is not None and service.local_url and _answers("127.0.0.1", service.port):
            return self._prepare(name, service.local_url)
        if service.image and _docker_answers():
            return self._prepare(name, self._start_container(service))
        where = f"on 127.0.0.1:{service.port}" if service.port else "locally"
        pytest.skip(
            f"no {name} server: run `compose/servers start` (in pyworkflow's repository) to "
            f"start it {where}, set PYWORKFLOW_TEST_{name.upper()}_URL=<url> (or pass "
            "--pyworkflow-url), or start a Docker daemon so testcontainers can run one"
        )

    def _prepare(self, name: str, url: str) -> str:
        """Session-level setup on a resolved server (e.g. the Postgres session database)."""
        if name == "postgres":
            return self._pg_session_database(url)
        return url

    # -- fresh stores ---------------------------------------------------------------------------

    def fresh_url(self, name: str, tmp_path: Path) -> str:
        """The URL of a fresh, empty store for one test."""
        base = self.base_url(name)
        n = next(self._counter)
        parsed = StorageURL.parse(base)
        if name == "memory":
            return base
        if name == "sqlite":
            return _with(parsed, path=f"/{tmp_path}/store.db")
        if name == "files":
            return _with(parsed, path=f"/{tmp_path}/store")
        if name == "postgres":
            if self._pg_schemas is not None:
                schema = f"pwt_{self.session_id}_{n}"
                self._pg_schemas.append(schema)
            else:
                schema = f"t_{n}"
            return _with(parsed, schema=schema)
        if name == "mysql":
            return _with(parsed, path="/" + self._mysql_database(parsed, n))
        if name == "dynamodb":
            # The table name is the URL's host part.
            table = dataclasses.replace(parsed, hosts=((f"pwt_{self.session_id}_{n}", None),))
            return table.render(hide_password=False)
        if name == "cassandra":
            keyspace = self._cassandra_keyspace(parsed, n)
            extra = {} if "replication_factor" in parsed.query else {"replication_factor": "1"}
            return _with(parsed, path="/" + keyspace, **extra)
        # A backend without a known freshness recipe: every test shares the given store.
        return base

    # -- postgres --------------------------------------------------------------------------------

    def _pg_session_database(self, url: str) -> str:
        import asyncpg

        parsed = StorageURL.parse(url)
        dbname = f"pwt_{self.session_id}"
        admin_db = parsed.database or "postgres"

        async def connect() -> Any:
            return await asyncpg.connect(
                host=parsed.host or "127.0.0.1",
                port=parsed.port or 5432,
                user=parsed.username,
                password=parsed.password,
                database=admin_db,
            )

        async def create() -> bool:
            conn = await connect()
            try:
                await conn.execute(f'CREATE DATABASE "{dbname}"')
                return True
            except asyncpg.InsufficientPrivilegeError:
                return False
            finally:
                await conn.close()

        async def drop() -> None:
            conn = await connect()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            finally:
                await conn.close()

        async def drop_schemas() -> None:
            conn = await connect()
            try:
                for schema in self._pg_schemas or ():
                    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            finally:
                await conn.close()

        if asyncio.run(create()):
            self._cleanups.append(lambda: asyncio.run(drop()))
            return _with(parsed, path="/" + dbname)
        # No CREATE DATABASE privilege: per-test schemas in the given database instead.
        self._pg_schemas = []
        self._cleanups.append(lambda: asyncio.run(drop_schemas()))
        return url

    # -- mysql -----------------------------------------------------------------------------------

    def _mysql_database(self, parsed: StorageURL, n: int) -> str:
        # pymysql is the synchronous core of aiomysql (always installed with it).
        import pymysql

        if self._mysql is None:
            self._mysql = pymysql.connect(
                host=parsed.host or "127.0.0.1",
                port=parsed.port or 3306,
                user=parsed.username or "root",
                password=parsed.password or "",
                autocommit=True,
            )
            created: list[str] = []
            self._mysql_created = created

            def drop_all() -> None:
                with self._mysql.cursor() as cur:
                    for db in created:
                        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
                self._mysql.close()

            self._cleanups.append(drop_all)
        dbname = f"pwt_{self.session_id}_{n}"
        with self._mysql.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{dbname}` CHARACTER SET utf8mb4")
        self._mysql_created.append(dbname)
        return dbname

    # -- dynamodb --------------------------------------------------------------------------------

    @staticmethod
    def _moto_available() -> bool:
        try:
            import moto.server  # noqa: F401
        except ImportError:
            return False
        return True

    def _start_moto(self) -> str:
        """Start the session's moto server: serialized, so each request is atomic.

        Stock moto is not (see :mod:`pyworkflow_conformance.moto_server`): two concurrent
        guarded transactions could both win, and the contention tests would fail for moto's
        reasons rather than the backend's.
        """
        from .moto_server import AWS_TEST_ENV, start

        # moto accepts any credentials; set dummies so no real AWS key is ever sent anywhere.
        saved = {k: os.environ.get(k) for k in AWS_TEST_ENV}
        os.environ.update(AWS_TEST_ENV)
        endpoint, stop_server = start()

        def stop() -> None:
            stop_server()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

        self._cleanups.append(stop)
        self._moto_endpoint = endpoint
        # moto answers a Query over a 100,000-event partition in seconds (it sorts the whole
        # partition in Python for every page), so the client's read timeout is raised.
        return f"dynamodb://pwt?region=us-east-1&timeout=120&endpoint_url={endpoint}"

    def after_test(self, name: str) -> None:
        """Per-test cleanup once the test's backends are closed.

        The session's moto server is reset: it keeps every table in memory and slows down
        (then answers 500) as tests like the 100,000-event log pile up. Cassandra's keyspaces
        of the test are emptied for the next test (see :meth:`_cassandra_keyspace`).
        """
        if name == "cassandra":
            self._recycle_keyspaces()
        if name == "dynamodb" and self._moto_endpoint is not None:
            request = urllib.request.Request(f"{self._moto_endpoint}/moto-api/reset", method="POST")
            with urllib.request.urlopen(request, timeout=60):
                pass

    # -- cassandra ------------------------------------------------------------------------------

    def _cassandra_keyspace(self, parsed: StorageURL, n: int) -> str:
        """A keyspace for one test: an emptied one from an earlier test, else a new name.

        A node that keeps a keyspace of 19 tables per test until the session ends runs out
        of heap (about 1 MB per table) long before the suite does, and creating and dropping
        19 tables costs seconds per test (each schema change is flushed; each dropped table
        recycles the commit log). So after each test its keyspaces are TRUNCATEd table by
        table (about 1 s) and handed to the next test, whose backend finds the tables there
        (``CREATE TABLE IF NOT EXISTS`` is then a no-op); the session drops them at its end.
        """
        if not hasattr(self, "_keyspaces"):
            self._keyspaces: list[str] = []  # every keyspace of the session
            self._ks_free: list[str] = []  # emptied, ready for the next test
            self._ks_used: list[str] = []  # handed to the running test
            self._cassandra: Any = None  # (cluster, session) for TRUNCATE / DROP
            self._cassandra_url = parsed
            self._cleanups.append(self._close_cassandra)
        if self._ks_free:
            keyspace = self._ks_free.pop()
        else:
            keyspace = f"pwt_{self.session_id}_{n}"
            self._keyspaces.append(keyspace)
        self._ks_used.append(keyspace)
        return keyspace

    def _cassandra_session(self) -> Any:
        if self._cassandra is None:
            from cassandra.auth import PlainTextAuthProvider
            from cassandra.cluster import Cluster

            parsed = self._cassandra_url
            auth = (
                PlainTextAuthProvider(parsed.username, parsed.password or "")
                if parsed.username
                else None
            )
            cluster = Cluster(
                [h for h, _ in parsed.hosts] or ["127.0.0.1"],
                port=parsed.port or 9042,
                auth_provider=auth,
                protocol_version=4,  # as the backend: the driver's v5 framing can fail a connect
            )
            try:
                self._cassandra = (cluster, cluster.connect())
            except Exception:
                cluster.shutdown()
                raise
        return self._cassandra[1]

    def _cql(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        """Run an admin statement; on a connection error start over with a new session once.

        A test may restart the server (the Cassandra restart test): the session's driver then
        waits out its reconnection backoff, which can outlast the test.
        """
        try:
            return self._cassandra_session().execute(query, params, timeout=120)
        except Exception:
            if self._cassandra is not None:
                self._cassandra[0].shutdown()
                self._cassandra = None
            return self._cassandra_session().execute(query, params, timeout=120)

    def _recycle_keyspaces(self) -> None:
        """Empty the running test's keyspaces (every table) and make them reusable."""
        used, self._ks_used = getattr(self, "_ks_used", []), []
        for keyspace in used:
            tables = self._cql(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s",
                (keyspace,),
            )
            try:
                for row in tables:
                    self._cql(f'TRUNCATE "{keyspace}"."{row.table_name}"')
            except Exception:
                # Not reusable as a fresh store: drop it (dropped at the end otherwise).
                self._cql(f'DROP KEYSPACE IF EXISTS "{keyspace}"')
                self._keyspaces.remove(keyspace)
                raise
            self._ks_free.append(keyspace)

    def _close_cassandra(self) -> None:
        try:
            while self._keyspaces:
                self._cql(f'DROP KEYSPACE IF EXISTS "{self._keyspaces[-1]}"')
                self._keyspaces.pop()
        finally:
            if self._cassandra is not None:
                self._cassandra[0].shutdown()
                self._cassandra = None

    # -- testcontainers ---------------------------------------------------------------------------

    def _start_container(self, service: Service) -> str:
        from testcontainers.core.container import (
            DockerContainer,
        )
        from testcontainers.core.waiting_utils import (
            wait_for_logs,
        )

        assert service.image is not None
        inner = {"postgres": 5432, "mysql": 3306, "dynamodb": 8000, "cassandra": 9042}
        ready = {
            "postgres": "database system is ready to accept connections",
            "mysql": "ready for connections",
            "dynamodb": "Initializing DynamoDB Local",
            "cassandra": "Starting listening for CQL clients",
        }
        port = inner[service.name]
        container = DockerContainer(service.image).with_exposed_ports(port)
        if service.name == "postgres":
            container = container.with_env("POSTGRES_HOST_AUTH_METHOD", "trust")
        if service.name == "mysql":
            container = container.with_env("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1")
        container.start()
        self._cleanups.append(container.stop)
        wait_for_logs(container, ready[service.name], timeout=180)
        host = container.get_container_host_ip()
        mapped = int(container.get_exposed_port(port))
        if service.name == "postgres":
            return f"postgresql://postgres@{host}:{mapped}/postgres"
        if service.name == "mysql":
            return f"mysql://root@{host}:{mapped}/"
        if service.name == "dynamodb":
            return f"dynamodb://pwt?region=us-east-1&endpoint_url=http://{host}:{mapped}"
        return f"cassandra://{host}:{mapped}/pwt"

    # -- teardown ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Drop everything this session created (last created, first dropped)."""
        errors: list[BaseException] = []
        while self._cleanups:
            try:
                self._cleanups.pop()()
            except Exception as exc:  # keep dropping the rest
                errors.append(exc)
        if errors:
            raise errors[0]
