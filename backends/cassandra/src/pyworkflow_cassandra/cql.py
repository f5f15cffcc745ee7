"""Every CQL statement the backend runs, as text built from the keyspace name (no I/O).

Identifiers cannot be bound, so the keyspace name is validated (:func:`check_keyspace`) and
then quoted; every *value* is a bind marker of a prepared statement. Tables are qualified
with the keyspace so prepared statements carry it (token-aware routing needs it).

Data model (see README.md for the reasoning):

``events``      ((run_id, bucket), seq, eid), static ``version``. Event rows have ``seq >= 1``
                and ``eid`` = the event id; *id rows* have ``seq = 0``, ``eid`` = an event id
                and ``id_seq`` = its sequence, so a conditional batch can refuse a duplicate
                id in the same partition. ``version`` is the last sequence in the bucket.
``runs``        one row per run: ``doc`` (JSON record), ``status``, ``rev`` (CAS counter).
``run_keys``    idempotency key -> run id and the creating doc (roll-forward after a crash).
``runs_by_day`` / ``run_days``, ``runs_by_workflow`` / ``workflow_days``, ``runs_by_parent``:
                keys-only listing indexes, newest first.
``runs_by_completed`` / ``completed_days``: runs by ``completed_at`` day, for retention.
``tasks``       task doc + due_at, attempts, lease (lease_token, worker, lease_until; 0 = free);
                ``tasks_due`` (one partition, due_at asc) to find due work, scanned from the
                floor in ``tasks_floor`` (see tasks.py); ``tasks_by_run``.
``hooks``       hook_token -> doc, status; ``hooks_by_run``.
``schedules``   id -> doc, revision; ``schedule_ids`` (one partition, id asc) for listing.
``meta``        ``schema`` row: version; ``lock`` row: DDL lock held with an LWT and a TTL.

``token`` is a reserved CQL keyword (only allowed as a function name), so no column has that
name: the lease token is ``lease_token``, the hook token ``hook_token``.
"""

from __future__ import annotations

import re

__all__ = [
    "SCHEMA_VERSION",
    "check_keyspace",
    "keyspace_ddl",
    "meta_statements",
    "replication",
    "statements",
    "table_ddl",
]

SCHEMA_VERSION = 1
_KEYSPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")


def check_keyspace(name: str) -> str:
    """Return ``name`` if it is a valid keyspace name (1-48 of ``[A-Za-z0-9_]``, letter first).

    Raises ``ValueError`` otherwise (it is interpolated into CQL, so nothing else is allowed).
    """
    if not _KEYSPACE.match(name):
        raise ValueError(
            f"keyspace {name!r} must be 1-48 letters, digits or underscores, starting with a letter"
        )
    return name


def replication(replication_factor: int, local_dc: str | None) -> str:
    """The ``replication`` map: NetworkTopologyStrategy in ``local_dc`` if named, else Simple."""
    if replication_factor < 1:
        raise ValueError("replication_factor must be >= 1")
    if local_dc is None:
        return f"{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}"
    if "'" in local_dc or not local_dc.strip():
        raise ValueError(f"bad data center name {local_dc!r}")
    return f"{{'class': 'NetworkTopologyStrategy', '{local_dc}': {replication_factor}}}"


def keyspace_ddl(keyspace: str, replication_factor: int, local_dc: str | None) -> str:
    ks = check_keyspace(keyspace)
    return (
        f'CREATE KEYSPACE IF NOT EXISTS "{ks}" WITH replication = '
        f"{replication(replication_factor, local_dc)}"
    )


def _desc(*cols: str) -> str:
    return "WITH CLUSTERING ORDER BY (" + ", ".join(f"{c} DESC" for c in cols) + ")"


def table_ddl(keyspace: str) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for every table of schema version 1, in order."""
    k = f'"{check_keyspace(keyspace)}"'
    return [
        f"CREATE TABLE IF NOT EXISTS {k}.meta (name text PRIMARY KEY, version int, owner text)",
        f"CREATE TABLE IF NOT EXISTS {k}.events (run_id text, bucket bigint, seq bigint, "
        "eid text, version bigint STATIC, type text, data text, ts bigint, id_seq bigint, "
        "PRIMARY KEY ((run_id, bucket), seq, eid))",
        f"CREATE TABLE IF NOT EXISTS {k}.runs (id text PRIMARY KEY, status text, rev bigint, "
        "doc text)",
        f"CREATE TABLE IF NOT EXISTS {k}.run_keys (key text PRIMARY KEY, run_id text, doc text)",
        f"CREATE TABLE IF NOT EXISTS {k}.runs_by_day (day bigint, created_at bigint, id text, "
        f"PRIMARY KEY ((day), created_at, id)) {_desc('created_at', 'id')}",
        f"CREATE TABLE IF NOT EXISTS {k}.run_days (shard int, day bigint, "
        f"PRIMARY KEY ((shard), day)) {_desc('day')}",
        f"CREATE TABLE IF NOT EXISTS {k}.runs_by_workflow (workflow_name text, day bigint, "
        "created_at bigint, id text, PRIMARY KEY ((workflow_name, day), created_at, id)) "
        f"{_desc('created_at', 'id')}",
        f"CREATE TABLE IF NOT EXISTS {k}.workflow_days (workflow_name text, day bigint, "
        f"PRIMARY KEY ((workflow_name), day)) {_desc('day')}",
        f"CREATE TABLE IF NOT EXISTS {k}.runs_by_parent (parent_id text, created_at bigint, "
        f"id text, PRIMARY KEY ((parent_id), created_at, id)) {_desc('created_at', 'id')}",
        f"CREATE TABLE IF NOT EXISTS {k}.runs_by_completed (day bigint, completed_at bigint, "
        "id text, PRIMARY KEY ((day), completed_at, id))",
        f"CREATE TABLE IF NOT EXISTS {k}.completed_days (shard int, day bigint, "
        "PRIMARY KEY ((shard), day))",
        f"CREATE TABLE IF NOT EXISTS {k}.tasks (id text PRIMARY KEY, doc text, due_at bigint, "
        "attempts bigint, lease_token text, worker text, lease_until bigint)",
        f"CREATE TABLE IF NOT EXISTS {k}.tasks_due (shard int, due_at bigint, id text, "
        "written bigint, PRIMARY KEY ((shard), due_at, id))",
        f"CREATE TABLE IF NOT EXISTS {k}.tasks_floor (shard int PRIMARY KEY, floor bigint, "
        "epoch text)",
        f"CREATE TABLE IF NOT EXISTS {k}.tasks_by_run (run_id text, id text, "
        "PRIMARY KEY ((run_id), id))",
        f"CREATE TABLE IF NOT EXISTS {k}.hooks (hook_token text PRIMARY KEY, status text, "
        "doc text)",
        f"CREATE TABLE IF NOT EXISTS {k}.hooks_by_run (run_id text, hook_token text, "
        "PRIMARY KEY ((run_id), hook_token))",
        f"CREATE TABLE IF NOT EXISTS {k}.schedules (id text PRIMARY KEY, revision bigint, "
        "doc text)",
        f"CREATE TABLE IF NOT EXISTS {k}.schedule_ids (shard int, id text, "
        "PRIMARY KEY ((shard), id))",
    ]


def meta_statements(keyspace: str) -> dict[str, str]:
    """The schema-version and DDL-lock statements (simple statements, ``%s`` parameters).

    The lock is a row taken with ``IF NOT EXISTS`` and a TTL, so a holder that dies frees it
    after two minutes; it is dropped only by its owner (``IF owner = ...``).
    """
    k = f'"{check_keyspace(keyspace)}"'
    return {
        "version_get": f"SELECT version FROM {k}.meta WHERE name = 'schema'",
        "version_set": f"UPDATE {k}.meta SET version = %s WHERE name = 'schema'",
        "lock_take": f"INSERT INTO {k}.meta (name, owner) VALUES ('lock', %s) IF NOT EXISTS "
        "USING TTL 120",
        "lock_drop": f"DELETE FROM {k}.meta WHERE name = 'lock' IF owner = %s",
        "floor_init": f"INSERT INTO {k}.tasks_floor (shard, floor, epoch) VALUES (0, %s, 'new') "
        "IF NOT EXISTS",
    }


def statements(keyspace: str) -> dict[str, str]:
    """Name -> CQL text of every statement prepared at connect."""
    k = f'"{check_keyspace(keyspace)}"'
    ev = f"{k}.events"
    return {
        # -- events: the conditional batch members (run_id, bucket first, always)
        "ev_open": f"INSERT INTO {ev} (run_id, bucket, version) VALUES (?, ?, ?) IF NOT EXISTS",
        "ev_bump": f"UPDATE {ev} SET version = ? WHERE run_id = ? AND bucket = ? IF version = ?",
        "ev_row": f"INSERT INTO {ev} (run_id, bucket, seq, eid, type, data, ts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        "ev_id": f"INSERT INTO {ev} (run_id, bucket, seq, eid, id_seq) VALUES (?, ?, 0, ?, ?)",
        "ev_id_new": f"INSERT INTO {ev} (run_id, bucket, seq, eid, id_seq) "
        "VALUES (?, ?, 0, ?, ?) IF NOT EXISTS",
        # -- events: reads
        "ev_read": f"SELECT seq, eid, type, data, ts, version FROM {ev} "
        "WHERE run_id = ? AND bucket = ? AND seq > ?",
        "ev_read_n": f"SELECT seq, eid, type, data, ts, version FROM {ev} "
        "WHERE run_id = ? AND bucket = ? AND seq > ? LIMIT ?",
        "ev_range": f"SELECT seq, eid FROM {ev} WHERE run_id = ? AND bucket = ? "
        "AND seq > ? AND seq <= ?",
        "ev_version": f"SELECT version FROM {ev} WHERE run_id = ? AND bucket = ? LIMIT 1",
        "ev_ids": f"SELECT eid, id_seq FROM {ev} WHERE run_id = ? AND bucket = ? AND seq = 0 "
        "AND eid IN ?",
        "ev_ids_all": f"SELECT eid FROM {ev} WHERE run_id = ? AND bucket = ? AND seq = 0",
        "ev_ids_in": f"SELECT eid, id_seq FROM {ev} WHERE run_id = ? AND bucket IN ? "
        "AND seq = 0 AND eid IN ?",
        # Retention: a partition delete cannot be conditional, so it carries the timestamp
        # of the partition's last write (the last append's Paxos ballot, read with ev_stamp):
        # it removes every event written so far and never shadows a later append.
        "ev_stamp": f"SELECT WRITETIME(version) AS stamp FROM {ev} WHERE run_id = ? AND bucket = ? "
        "LIMIT 1",
        "ev_drop": f"DELETE FROM {ev} USING TIMESTAMP ? WHERE run_id = ? AND bucket = ?",
        # -- runs
        "run_get": f"SELECT doc, status, rev FROM {k}.runs WHERE id = ?",
        "run_new": f"INSERT INTO {k}.runs (id, status, rev, doc) VALUES (?, ?, 0, ?) IF NOT EXISTS",
        "run_cas": f"UPDATE {k}.runs SET doc = ?, status = ?, rev = ? WHERE id = ? IF rev = ?",
        # Rows written by lightweight transactions are deleted by lightweight transactions
        # too (ballot timestamps): a plain delete with a client timestamp can shadow a later
        # LWT write of the same key (a re-created run, a reused idempotency key).
        "run_drop": f"DELETE FROM {k}.runs WHERE id = ? IF EXISTS",
        "key_new": f"INSERT INTO {k}.run_keys (key, run_id, doc) VALUES (?, ?, ?) IF NOT EXISTS",
        "key_undo": f"DELETE FROM {k}.run_keys WHERE key = ? IF run_id = ?",
        "day_add": f"INSERT INTO {k}.run_days (shard, day) VALUES (0, ?)",
        "day_list": f"SELECT day FROM {k}.run_days WHERE shard = 0 AND day <= ? AND day >= ?",
        "by_day_add": f"INSERT INTO {k}.runs_by_day (day, created_at, id) VALUES (?, ?, ?)",
        "by_day_drop": f"DELETE FROM {k}.runs_by_day WHERE day = ? AND created_at = ? AND id = ?",
        "by_day_list": f"SELECT created_at, id FROM {k}.runs_by_day WHERE day = ? "
        "AND (created_at, id) < (?, ?)",
        "wf_day_add": f"INSERT INTO {k}.workflow_days (workflow_name, day) VALUES (?, ?)",
        "wf_day_list": f"SELECT day FROM {k}.workflow_days WHERE workflow_name = ? "
        "AND day <= ? AND day >= ?",
        "by_wf_add": f"INSERT INTO {k}.runs_by_workflow (workflow_name, day, created_at, id) "
        "VALUES (?, ?, ?, ?)",
        "by_wf_drop": f"DELETE FROM {k}.runs_by_workflow WHERE workflow_name = ? AND day = ? "
        "AND created_at = ? AND id = ?",
        "by_wf_list": f"SELECT created_at, id FROM {k}.runs_by_workflow WHERE workflow_name = ? "
        "AND day = ? AND (created_at, id) < (?, ?)",
        "by_parent_add": f"INSERT INTO {k}.runs_by_parent (parent_id, created_at, id) "
        "VALUES (?, ?, ?)",
        "by_parent_drop": f"DELETE FROM {k}.runs_by_parent WHERE parent_id = ? "
        "AND created_at = ? AND id = ?",
        "by_parent_list": f"SELECT created_at, id FROM {k}.runs_by_parent WHERE parent_id = ? "
        "AND (created_at, id) < (?, ?)",
        "done_add": f"INSERT INTO {k}.runs_by_completed (day, completed_at, id) VALUES (?, ?, ?)",
        "done_day_add": f"INSERT INTO {k}.completed_days (shard, day) VALUES (0, ?)",
        "done_days": f"SELECT day FROM {k}.completed_days WHERE shard = 0 AND day <= ?",
        "done_list": f"SELECT completed_at, id FROM {k}.runs_by_completed WHERE day = ? "
        "AND completed_at < ?",
        "done_drop": f"DELETE FROM {k}.runs_by_completed WHERE day = ? AND completed_at = ? "
        "AND id = ?",
        # -- tasks
        "task_new": f"INSERT INTO {k}.tasks (id, doc, due_at, attempts, lease_until) "
        "VALUES (?, ?, ?, ?, 0) IF NOT EXISTS",
        "task_get": f"SELECT doc, due_at, attempts, lease_token, worker, lease_until "
        f"FROM {k}.tasks WHERE id = ?",
        "task_claim": f"UPDATE {k}.tasks SET attempts = ?, lease_token = ?, worker = ?, "
        "lease_until = ? WHERE id = ? IF attempts = ? AND lease_until <= ? AND due_at = ?",
        "task_extend": f"UPDATE {k}.tasks SET lease_until = ? WHERE id = ? IF lease_token = ?",
        "task_release": f"UPDATE {k}.tasks SET due_at = ?, lease_token = null, worker = null, "
        "lease_until = 0 WHERE id = ? IF lease_token = ?",
        "task_done": f"DELETE FROM {k}.tasks WHERE id = ? IF lease_token = ?",
        "task_drop": f"DELETE FROM {k}.tasks WHERE id = ? IF EXISTS",
        "due_add": f"INSERT INTO {k}.tasks_due (shard, due_at, id, written) VALUES (0, ?, ?, ?)",
        "due_drop": f"DELETE FROM {k}.tasks_due WHERE shard = 0 AND due_at = ? AND id = ?",
        "due_list": f"SELECT due_at, id, written FROM {k}.tasks_due WHERE shard = 0 "
        "AND due_at >= ? AND due_at <= ?",
        # list_tasks (see task_list.py): the due index from a (due_at, id) position on
        "due_from": f"SELECT due_at, id FROM {k}.tasks_due WHERE shard = 0 "
        "AND (due_at, id) >= (?, ?)",
        "due_after": f"SELECT due_at, id FROM {k}.tasks_due WHERE shard = 0 "
        "AND (due_at, id) > (?, ?)",
        # -- the floor of tasks_due (see tasks.py)
        "floor_get": f"SELECT floor, epoch FROM {k}.tasks_floor WHERE shard = 0",
        "floor_touch": f"UPDATE {k}.tasks_floor SET epoch = ? WHERE shard = 0 IF floor <= ?",
        "floor_lower": f"UPDATE {k}.tasks_floor SET floor = ?, epoch = ? WHERE shard = 0 "
        "IF floor = ?",
        "floor_raise": f"UPDATE {k}.tasks_floor SET floor = ?, epoch = ? WHERE shard = 0 "
        "IF floor = ? AND epoch = ?",
        "trun_add": f"INSERT INTO {k}.tasks_by_run (run_id, id) VALUES (?, ?)",
        "trun_list": f"SELECT id FROM {k}.tasks_by_run WHERE run_id = ?",
        "trun_drop": f"DELETE FROM {k}.tasks_by_run WHERE run_id = ?",
        "trun_drop_one": f"DELETE FROM {k}.tasks_by_run WHERE run_id = ? AND id = ?",
        # -- hooks
        "hook_new": f"INSERT INTO {k}.hooks (hook_token, status, doc) VALUES (?, ?, ?) "
        "IF NOT EXISTS",
        "hook_get": f"SELECT status, doc FROM {k}.hooks WHERE hook_token = ?",
        "hook_set": f"UPDATE {k}.hooks SET status = ?, doc = ? WHERE hook_token = ? IF status = ?",
        "hook_drop": f"DELETE FROM {k}.hooks WHERE hook_token = ? IF EXISTS",
        "hrun_add": f"INSERT INTO {k}.hooks_by_run (run_id, hook_token) VALUES (?, ?)",
        "hrun_list": f"SELECT hook_token FROM {k}.hooks_by_run WHERE run_id = ?",
        "hrun_drop": f"DELETE FROM {k}.hooks_by_run WHERE run_id = ?",
        # -- schedules
        "sched_new": f"INSERT INTO {k}.schedules (id, revision, doc) VALUES (?, ?, ?) "
        "IF NOT EXISTS",
        "sched_get": f"SELECT revision, doc FROM {k}.schedules WHERE id = ?",
        "sched_cas": f"UPDATE {k}.schedules SET revision = ?, doc = ? WHERE id = ? IF revision = ?",
        "sched_del": f"DELETE FROM {k}.schedules WHERE id = ? IF EXISTS",
        "sid_add": f"INSERT INTO {k}.schedule_ids (shard, id) VALUES (0, ?)",
        "sid_drop": f"DELETE FROM {k}.schedule_ids WHERE shard = 0 AND id = ?",
        "sid_list": f"SELECT id FROM {k}.schedule_ids WHERE shard = 0 AND id > ?",
    }
