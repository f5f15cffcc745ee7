"""Which backends to benchmark: explicit ``--url``s, or every one reachable here.

Default run: memory, sqlite (temp file) and files (temp dir) always; Postgres and MariaDB on
their local ports in a scratch database created and dropped here; DynamoDB on a moto server
started here; Cassandra on its local port (127.0.0.1:9042) in a scratch keyspace. A backend
that cannot run is reported as skipped with the reason (package not installed, server not
answering, ...).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyworkflow.errors import MissingDependency
from pyworkflow.registry import resolve
from pyworkflow.urls import StorageURL

from . import services
from .services import Cleanup

__all__ = [
    "DEFAULT_BACKENDS",
    "MOTO_REPLAY_EVENTS",
    "NAMES",
    "Target",
    "default_targets",
    "explicit_target",
]

#: The default run's backends, in report order.
DEFAULT_BACKENDS = ("memory", "sqlite", "files", "postgres", "mysql", "dynamodb", "cassandra")

#: The local Cassandra's native port (compose/servers).
CASSANDRA_PORT = 9042

#: Replay size on the local moto server (see :func:`_moto_target`).
MOTO_REPLAY_EVENTS = 1000

#: URL scheme -> the backend's short name used in reports.
NAMES = {
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


@dataclass
class Target:
    """A backend to run (``skipped`` None) or a skip with its reason."""

    name: str
    url: str
    skipped: str | None = None
    cleanups: list[Cleanup] = field(default_factory=list)
    #: Scenarios not run on this target by default (name -> reason shown in the report).
    skip_scenarios: dict[str, str] = field(default_factory=dict)
    #: Events in the replay run, when this target needs fewer than ``--replay-events``.
    replay_events: int | None = None
    #: When set, each scenario runs on a fresh store at this URL (scenario name -> URL).
    store_per_scenario: Callable[[str], str] | None = None


def _installed(scheme: str) -> str | None:
    """``None`` if the scheme's backend class imports, else why not."""
    try:
        resolve(scheme)
    except MissingDependency as exc:
        return str(exc)
    return None


def explicit_target(url: str) -> Target:
    """A target for a URL given on the command line (its database must exist)."""
    parsed = StorageURL.parse(url)
    name = NAMES.get(parsed.scheme, parsed.scheme)
    return Target(name, url, _installed(parsed.scheme))


async def default_targets(tmp: Path, only: Sequence[str] | None = None) -> list[Target]:
    """Every backend this machine can run (or those of ``only``), in report order, with
    skips explained."""
    wanted = set(only or DEFAULT_BACKENDS)
    targets = [
        Target("memory", "memory://"),
        Target("sqlite", f"sqlite:///{tmp / 'bench.db'}", _installed("sqlite")),
        Target("files", f"file:///{tmp / 'store'}".replace("////", "///"), _installed("file")),
    ]
    targets = [t for t in targets if t.name in wanted]
    for name, scheme, port, make in (
        ("postgres", "postgresql", 5432, services.scratch_postgres),
        ("mysql", "mysql", 3306, services.scratch_mysql),
    ):
        if name not in wanted:
            continue
        why = _installed(scheme)
        if why is None and not services.answers("127.0.0.1", port):
            why = f"no server answering on 127.0.0.1:{port}"
        if why is not None:
            targets.append(Target(name, f"{scheme}://127.0.0.1:{port}", why))
            continue
        try:
            url, drop = await make()
        except Exception as exc:  # any failure to create the scratch database is a skip
            targets.append(
                Target(
                    name,
                    f"{scheme}://127.0.0.1:{port}",
                    f"could not create a scratch database: {exc}",
                )
            )
            continue
        targets.append(Target(name, url, cleanups=[drop]))
    why = _installed("dynamodb")
    if "dynamodb" not in wanted:
        pass
    elif why is None:
        try:
            endpoint, stop = await services.start_moto()
        except Exception as exc:
            targets.append(Target("dynamodb", "dynamodb://", f"moto server failed: {exc}"))
        else:
            targets.append(_moto_target(endpoint, stop))
    else:
        targets.append(Target("dynamodb", "dynamodb://", why))
    if "cassandra" in wanted:
        targets.append(await _cassandra_target())
    return targets


async def _cassandra_target() -> Target:
    """Cassandra on 127.0.0.1:9042 (compose/servers starts one) in a scratch keyspace that
    the backend creates at connect and the cleanup drops."""
    where = f"cassandra://127.0.0.1:{CASSANDRA_PORT}"
    why = _installed("cassandra")
    if why is None and not services.answers("127.0.0.1", CASSANDRA_PORT):
        why = f"no server answering on 127.0.0.1:{CASSANDRA_PORT} (compose/servers start cassandra)"
    if why is not None:
        return Target("cassandra", where, why)
    keyspace = f"pwbench_{secrets.token_hex(4)}"

    async def drop() -> None:
        import asyncio

        from cassandra.cluster import Cluster

        def run() -> None:
            cluster = Cluster(["127.0.0.1"], port=CASSANDRA_PORT, protocol_version=4)
            try:
                cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120)
            finally:
                cluster.shutdown()

        await asyncio.to_thread(run)

    return Target("cassandra", f"{where}/{keyspace}?local_dc=dc1", cleanups=[drop])


def _moto_target(endpoint: str, stop: Cleanup) -> Target:
    """The DynamoDB target on our moto server, shaped around moto's costs.

    Stock moto deep-copies the whole table for every TransactWriteItems (its rollback copy),
    so an append cost O(batch x table size) there. The shared server
    (pyworkflow_conformance.moto_server) no longer does, but the shaping is kept so moto runs
    stay short and comparable: each scenario gets a table of its own, the replay run is 1000
    events, and deep_append (100k events) is not run. None of this is DynamoDB's behaviour;
    an explicit --url runs everything.
    """
    base = f"pwbench_{secrets.token_hex(4)}"
    query = f"?region=us-east-1&endpoint_url={endpoint}"
    slow = {
        "deep_append": "not run on the moto server by default (100k events through a local "
        "Python server take too long for a default run); pass --url to run it"
    }
    return Target(
        "dynamodb",
        f"dynamodb://{base}{query}",
        cleanups=[stop],
        skip_scenarios=slow,
        replay_events=MOTO_REPLAY_EVENTS,
        store_per_scenario=lambda scenario: f"dynamodb://{base}_{scenario}{query}",
    )
