"""``cassandra://`` : pyworkflow storage on Apache Cassandra through cassandra-driver.

Lifecycle and the event log live here; runs, tasks, hooks, schedules and retention in
:mod:`.records`. Every query goes through :class:`~.aio.Runner` (``execute_async`` bridged to
asyncio); the blocking driver calls (``Cluster()``, which resolves contact points,
``Cluster.connect``, ``Session.prepare``, schema agreement and ``shutdown``) run in worker
threads. See README.md for the table design and why an append is atomic.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Sequence
from typing import Any

from cassandra import ConsistencyLevel
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, PreparedStatement, dict_factory
from pyworkflow._rows import events_from_rows
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import to_micros
from pyworkflow.errors import (
    ConflictError,
    InvalidInput,
    PyWorkflowError,
    SchemaError,
    StorageUnavailable,
)
from pyworkflow.features import Features
from pyworkflow.models import Event
from pyworkflow.urls import Options

from . import buckets, cql
from .aio import Runner, applied
from .closed_ids import ClosedIds
from .errors import translate, unknown_outcome
from .task_list import TaskListing
from .tasks import MIN_MICROS, TasksMixin

__all__ = ["CassandraBackend", "contact_points"]

CONSISTENCY = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE")
SERIAL = ("SERIAL", "LOCAL_SERIAL")
#: Largest ``max_batch * max_event_bytes`` accepted: half of Cassandra's default 16 MiB
#: mutation limit (``max_mutation_size``), which a single-partition batch must fit in.
MAX_BATCH_BYTES = 8 << 20
#: Client-side timeout of each schema statement at connect (seconds).
DDL_TIMEOUT = 60.0
#: Runs whose newest known event bucket is remembered (for the append's fast path).
KNOWN_BUCKETS = 4096
#: Closed buckets checked for duplicate ids by one query.
IDS_BUCKETS = 10


class CassandraBackend(TaskListing, TasksMixin):
    """Stores everything in one Cassandra keyspace (created at connect)."""

    schemes = ("cassandra",)
    features = Features(
        max_event_bytes=64 << 10,
        max_batch=100,
        durable=True,
        multi_process=True,
        multi_host=True,
        transactions=True,
        migrations=True,
    )

    # -- configuration -------------------------------------------------------------------

    def _configure(self, options: Options) -> None:
        url = self.url
        try:
            self.keyspace = cql.check_keyspace(url.database)
        except ValueError as exc:
            raise InvalidInput(f"{exc} (in {url})") from None
        if not url.hosts:
            raise InvalidInput(f"a cassandra URL names at least one host (in {url})")
        self.replication_factor = options.take_int("replication_factor", 1, minimum=1)
        self.local_dc = options.take_str("local_dc")
        consistency = options.take_choice("consistency", CONSISTENCY, "LOCAL_QUORUM")
        serial = options.take_choice("serial_consistency", SERIAL, "LOCAL_SERIAL")
        self.consistency = ConsistencyLevel.name_to_value[consistency.upper()]
        self.serial_consistency = ConsistencyLevel.name_to_value[serial.upper()]
        max_batch = options.take_int("max_batch", self.features.max_batch, minimum=1)
        max_bytes = options.take_int("max_event_bytes", self.features.max_event_bytes, minimum=1024)
        self.bucket_size = options.take_int("bucket_size", 10_000, minimum=1)
        self.page_size = options.take_int("page_size", 1000, minimum=1)
        self.request_timeout = options.take_float("request_timeout", 10.0, minimum=0.001)
        self.connect_timeout = options.take_float("connect_timeout", 10.0, minimum=0.001)
        self.schema_wait = options.take_float("schema_agreement_wait", 30.0, minimum=0.0)
        # Native protocol v4 unless asked: the driver's v5 framing (checksummed segments)
        # now and then fails a new connection with "CRC mismatch on header" (seen in our CI
        # against Cassandra 5.0), and nothing here needs v5 (see README, "Protocol").
        self.protocol_version = int(options.take_choice("protocol_version", ("4", "5"), "4"))
        try:
            buckets.check_sizes(self.bucket_size, max_batch)
            cql.replication(self.replication_factor, self.local_dc)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if max_batch * max_bytes > MAX_BATCH_BYTES:
            raise InvalidInput(
                f"max_batch * max_event_bytes = {max_batch * max_bytes} bytes may exceed "
                f"Cassandra's mutation size limit; keep it <= {MAX_BATCH_BYTES}"
            )
        self.features = Features(
            max_event_bytes=max_bytes,
            max_batch=max_batch,
            durable=True,
            multi_process=True,
            multi_host=True,
            transactions=True,
            migrations=True,
        )
        self._username = url.username or os.environ.get("PYWORKFLOW_CASSANDRA_USERNAME")
        self._password = url.password or os.environ.get("PYWORKFLOW_CASSANDRA_PASSWORD")
        if self._password:
            self._secrets.add(self._password)
        self._cluster: Any = None
        self._st: dict[str, PreparedStatement] = {}
        #: run id -> an event bucket > 0 known to exist, newest use last (bounded).
        self._opened: dict[str, int] = {}
        #: ids of closed buckets of the runs this process keeps appending to (bounded).
        self._closed = ClosedIds()
        self._days_written: set[tuple[str | None, int]] = set()

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        return translate(exc, self._redact)

    # -- lifecycle -----------------------------------------------------------------------

    def _make_cluster(self) -> Any:
        """Build the Cluster (blocking: it resolves the contact points). Thread only."""
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(self.local_dc or "")),
            consistency_level=self.consistency,
            serial_consistency_level=self.serial_consistency,
            request_timeout=self.request_timeout,
            row_factory=dict_factory,
        )
        auth = None
        if self._username is not None:
            auth = PlainTextAuthProvider(self._username, self._password or "")
        return Cluster(
            contact_points=contact_points(self.url.hosts),
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
            auth_provider=auth,
            connect_timeout=self.connect_timeout,
            max_schema_agreement_wait=max(1, int(self.schema_wait)),
            protocol_version=self.protocol_version,
        )

    async def _connect(self) -> None:
        cluster = await asyncio.to_thread(self._make_cluster)
        try:
            session = await asyncio.to_thread(cluster.connect)
            session.default_fetch_size = self.page_size
            self._cluster = cluster
            self._db = Runner(session, page_size=self.page_size)
            await self._ensure_schema()
            texts = cql.statements(self.keyspace)
            prepared = await asyncio.gather(
                *(asyncio.to_thread(session.prepare, text) for text in texts.values())
            )
            self._st = dict(zip(texts, prepared, strict=True))
        except BaseException:
            self._cluster = None
            await asyncio.to_thread(cluster.shutdown)
            raise

    async def _close(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            await asyncio.to_thread(cluster.shutdown)

    async def _ensure_schema(self) -> None:
        """Create the keyspace and tables (IF NOT EXISTS) under an LWT lock; check the version.

        The keyspace and the ``meta`` table are created first (idempotent DDL); then one
        connection at a time, holding the ``lock`` row (an LWT with a TTL, so a crashed
        holder does not block forever), creates the rest and records the version, and
        waits for schema agreement.
        """

        async def run(statement: str, params: Sequence[Any] | None = None) -> Any:
            return await self._db.execute(statement, params, request_timeout=DDL_TIMEOUT)

        await run(cql.keyspace_ddl(self.keyspace, self.replication_factor, self.local_dc))
        ddl = cql.table_ddl(self.keyspace)
        await run(ddl[0])
        await self._agree()
        meta = cql.meta_statements(self.keyspace)
        found = await run(meta["version_get"])
        current = found.rows[0]["version"] if found.rows else None
        if current == cql.SCHEMA_VERSION:
            return
        if current is not None and current > cql.SCHEMA_VERSION:
            raise SchemaError(
                f"keyspace {self.keyspace} has schema version {current}; this pyworkflow "
                f"understands up to {cql.SCHEMA_VERSION}: upgrade pyworkflow-cassandra"
            )
        owner = secrets.token_hex(8)
        for attempt in range(60):
            page = await run(meta["lock_take"], (owner,))
            if applied(page.rows):
                break
            await asyncio.sleep(min(1.0, 0.05 * (attempt + 1)))
        else:
            raise StorageUnavailable(f"the schema lock of keyspace {self.keyspace} is held")
        try:
            for statement in ddl[1:]:
                await run(statement)
            await self._agree()
            # The floor of the due index starts below everything (see tasks.py).
            await run(meta["floor_init"], (MIN_MICROS,))
            await run(meta["version_set"], (cql.SCHEMA_VERSION,))
        finally:
            await run(meta["lock_drop"], (owner,))

    async def _agree(self) -> None:
        agreed = await asyncio.to_thread(
            self._cluster.control_connection.wait_for_schema_agreement, wait_time=self.schema_wait
        )
        if agreed is False:
            raise SchemaError(
                f"the cluster did not reach schema agreement within {self.schema_wait}s"
            )

    # -- statement helpers ---------------------------------------------------------------

    def _serial(self, name: str, params: Sequence[Any]) -> Any:
        """A bound statement that reads at the serial consistency level (sees LWT results
        linearizably, completing any in-flight Paxos round first)."""
        bound = self._st[name].bind(params)
        bound.consistency_level = self.serial_consistency
        return bound

    # -- event log -----------------------------------------------------------------------

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        size = self.bucket_size
        bucket = buckets.append_bucket(expected_version, size)
        if bucket > 0 and self._opened.get(run_id) == bucket:
            # Bucket ``bucket`` exists (this process saw an append land in it), so bucket - 1
            # was closed before it was opened and every earlier bucket is immutable: the
            # serial read of bucket - 1 would only repeat that. The batch's own guard
            # (``IF version = E`` on this bucket) decides; see README, "Known buckets".
            await self._check_old_ids(run_id, bucket, [e.id for e in events])
            ok, rows = await self._apply(run_id, bucket, events, expected_version, False)
            if ok:
                return expected_version + len(events)
            if any(r.get("version") is not None for r in rows):
                raise ConflictError(_append_conflict(run_id, expected_version, rows))
            # The bucket is gone (the run was purged meanwhile): forget it, check afresh.
            self._opened.pop(run_id, None)
            self._closed.forget(run_id)
        opening = expected_version == 0
        if bucket > 0:
            # Earlier buckets are immutable once bucket-1 is closed, which the SERIAL read
            # proves; only then is the duplicate-id check against them race-free.
            prev = await self._db.execute(self._serial("ev_version", (run_id, bucket - 1)))
            prev_version = prev.rows[0]["version"] if prev.rows else None
            if not buckets.is_closed(bucket - 1, prev_version, size) or (
                prev_version is not None and prev_version > expected_version
            ):
                have = "no events" if prev_version is None else f"version {prev_version}"
                raise ConflictError(
                    f"run {run_id!r} is not at version {expected_version} (bucket "
                    f"{bucket - 1} has {have})"
                )
            await self._check_old_ids(run_id, bucket, [e.id for e in events])
            opening = prev_version == expected_version
        ok, rows = await self._apply(run_id, bucket, events, expected_version, opening)
        if not ok:
            raise ConflictError(_append_conflict(run_id, expected_version, rows))
        if bucket > 0:
            self._remember_bucket(run_id, bucket)
        return expected_version + len(events)

    async def _apply(
        self, run_id: str, bucket: int, events: list[EncodedEvent], expected: int, opening: bool
    ) -> tuple[bool, list[dict[str, Any]]]:
        """Send the append's conditional batch: ``(applied, rows of the answer)``.

        An unknown outcome (a timeout after the Paxos proposal) is resolved by a serial
        read: applied if exactly these events landed, otherwise the error goes on
        (translated to StorageUnavailable: the base class retries, and the retry's own
        condition decides).
        """
        batch = self._append_batch(run_id, bucket, events, expected, opening)
        try:
            return await self._db.lwt(batch)
        except Exception as exc:
            if not unknown_outcome(exc):
                raise
            if await self._landed_serial(run_id, bucket, events, expected):
                return True, []
            raise

    def _remember_bucket(self, run_id: str, bucket: int) -> None:
        """Record that ``bucket`` of ``run_id`` exists (an append of ours landed in it)."""
        known = self._opened
        known.pop(run_id, None)  # move to the newest end
        known[run_id] = bucket
        if len(known) > KNOWN_BUCKETS:
            del known[next(iter(known))]

    def _append_batch(
        self,
        run_id: str,
        bucket: int,
        events: list[EncodedEvent],
        expected: int,
        opening: bool,
    ) -> BatchStatement:
        """The single-partition conditional batch of an append (see README, "Append")."""
        st = self._st
        new_version = expected + len(events)
        batch = self._batch()
        if opening:
            batch.add(st["ev_open"], (run_id, bucket, new_version))
        else:
            batch.add(st["ev_bump"], (new_version, run_id, bucket, expected))
        for seq, e in enumerate(events, expected + 1):
            batch.add(
                st["ev_row"], (run_id, bucket, seq, e.id, e.type, e.data, to_micros(e.timestamp))
            )
            # A new bucket has no id rows yet, so only an existing one needs the condition.
            batch.add(st["ev_id" if opening else "ev_id_new"], (run_id, bucket, e.id, seq))
        return batch

    async def _check_old_ids(self, run_id: str, bucket: int, ids: list[str]) -> None:
        """ConflictError if any of ``ids`` is in a (closed) bucket before ``bucket``.

        Called only once buckets ``0 .. bucket-1`` are known closed. Answered from the ids
        this process holds for the run when it can (:mod:`.closed_ids`); otherwise, and to
        confirm a hit, one query per ``IDS_BUCKETS`` buckets (``bucket IN ?``), all at once:
        one request instead of one per bucket, and a bounded IN product (``IDS_BUCKETS *
        max_batch`` partition-and-row combinations) for a server that limits it.
        """
        closed = self._closed
        upto = closed.covered(run_id)
        if upto is None:
            if closed.want(run_id, bucket, self.bucket_size):
                upto = await self._hold_ids(run_id, 0, bucket)
        elif upto < bucket:  # the run went on into newer buckets: add the ones now closed
            upto = await self._hold_ids(run_id, upto, bucket)
        if upto is not None and not closed.may_hold(run_id, ids):
            return
        spans = [
            list(range(b, min(b + IDS_BUCKETS, bucket))) for b in range(0, bucket, IDS_BUCKETS)
        ]
        found = await asyncio.gather(
            *(self._db.execute(self._st["ev_ids_in"], (run_id, span, ids)) for span in spans)
        )
        for page in found:
            if page.rows:
                raise ConflictError(
                    f"event id {page.rows[0]['eid']!r} is already in run {run_id!r}"
                )

    async def _hold_ids(self, run_id: str, start: int, bucket: int) -> int | None:
        """Read the ids of the closed buckets ``start .. bucket-1`` into :attr:`_closed`;
        return what is then held (``None`` if it was not kept)."""
        found = await asyncio.gather(
            *(self._db.all(self._st["ev_ids_all"], (run_id, b)) for b in range(start, bucket))
        )
        self._closed.add(run_id, start, bucket, (row["eid"] for rows in found for row in rows))
        return self._closed.covered(run_id)

    async def _landed_serial(
        self, run_id: str, bucket: int, events: list[EncodedEvent], expected: int
    ) -> bool:
        """After an unknown outcome: are exactly these ids at ``expected + 1 ...``?

        Read at SERIAL, which first completes any accepted Paxos proposal, so a batch that
        was committed (or is being committed) is seen. A miss is not proof that it never
        will land; the caller then reports StorageUnavailable and the retry's own
        condition decides.
        """
        try:
            page = await self._db.execute(
                self._serial("ev_read_n", (run_id, bucket, expected, len(events)))
            )
        except Exception:
            return False
        got = [(r["seq"], r["eid"]) for r in page.rows]
        return got == [(expected + i, e.id) for i, e in enumerate(events, 1)]

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        return await self._read_paged(run_id, after, limit, types)

    async def _read_paged(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        """The plain paged read (a ``limit`` needs rows in order, stopping early)."""
        # The rows are collected first and their data decoded together at the end
        # (``events_from_rows``: one orjson pass, slot-built events), as the SQL backends do.
        size = self.bucket_size
        out: list[tuple[int, str, str, str, int]] = []
        bucket = buckets.read_start(after, size)
        while True:
            seen_rows = False
            version: int | None = None
            params: tuple[Any, ...] = (run_id, bucket, after)
            stmt = self._st["ev_read"]
            if limit is not None and types is None:
                # CQL's LIMIT is a 32-bit int; a bucket never holds more than ``size`` events,
                # so that is the most one bucket's read can need.
                stmt, params = self._st["ev_read_n"], (*params, min(limit - len(out), size))
            async for row in self._db.rows(stmt, params):
                seen_rows = True
                version = row["version"]
                if types is not None and row["type"] not in types:
                    continue
                out.append((row["seq"], row["eid"], row["type"], row["data"], row["ts"]))
                if limit is not None and len(out) >= limit:
                    return events_from_rows(run_id, out)
            if seen_rows:
                if not buckets.is_closed(bucket, version, size):
                    break
            elif not buckets.continue_after_empty(bucket, after, size):
                break
            bucket += 1
        return events_from_rows(run_id, out)

    async def _version(self, run_id: str) -> int:
        """The static version of the last bucket (buckets are contiguous: gallop, then bisect)."""
        size = self.bucket_size

        async def version_of(b: int) -> int | None:
            page = await self._db.execute(self._st["ev_version"], (run_id, b))
            return page.rows[0]["version"] if page.rows else None

        first = await version_of(0)
        if first is None:
            return 0
        if not buckets.is_closed(0, first, size):
            return int(first)
        last, last_version, step = 0, int(first), 1
        missing: int | None = None
        while missing is None:  # gallop: 1, 2, 4, ... past the last existing bucket
            probe = last + step
            v = await version_of(probe)
            if v is None:
                missing = probe
            else:
                last, last_version, step = probe, int(v), step * 2
        while missing - last > 1:  # bisect between an existing and a missing bucket
            mid = (last + missing) // 2
            v = await version_of(mid)
            if v is None:
                missing = mid
            else:
                last, last_version = mid, int(v)
        return last_version


def contact_points(hosts: Sequence[tuple[str, int | None]]) -> list[tuple[str, int]]:
    """``(host, port)`` pairs; a host without a port takes the first port given, else 9042
    (so ``cassandra://a,b:9042/ks`` means port 9042 for both)."""
    default = next((port for _, port in hosts if port is not None), 9042)
    return [(host, default if port is None else port) for host, port in hosts]


def _append_conflict(run_id: str, expected: int, rows: list[dict[str, Any]]) -> str:
    """The message for a refused append batch, from the ``[applied] = false`` answer rows.

    Cassandra answers with the current values of what the conditions named: the static
    ``version`` and any id row (``seq`` 0) that already exists. The outcome is a conflict
    either way; the rows only make the message precise.
    """
    version = next((r.get("version") for r in rows if r.get("version") is not None), None)
    dup = next((r["eid"] for r in rows if r.get("seq") == 0 and r.get("eid")), None)
    if dup is not None and version == expected:
        return f"event id {dup!r} is already in run {run_id!r}"
    found = "no events" if version is None else f"version {version}"
    return f"run {run_id!r} is not at version {expected} (append refused; bucket has {found})"
