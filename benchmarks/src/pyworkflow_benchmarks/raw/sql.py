"""What the three SQL ceilings share: table names, DDL of the same shape as the backends'
tables (pyworkflow_sql.schema), and the statements.

The raw tables mirror ``pyworkflow_events`` and ``pyworkflow_runs``: the same columns and
types (timestamps as BIGINT epoch microseconds, JSON as TEXT), the same primary key
(run_id, seq) and the same unique (run_id, id), so the database does the same index work for
both sides. Names carry a random suffix so concurrent benchmark runs never collide.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

__all__ = ["SqlNames", "ddl"]

RUN_STATUS = "pending"


@dataclass(frozen=True)
class SqlNames:
    events: str
    runs: str

    @classmethod
    def fresh(cls) -> SqlNames:
        tag = secrets.token_hex(4)
        return cls(f"pwbench_raw_events_{tag}", f"pwbench_raw_runs_{tag}")


def ddl(names: SqlNames, id_type: str, text_type: str, table_opts: str = "") -> list[str]:
    """CREATE TABLE statements for one dialect (``id_type`` carries its collation)."""
    e, r = names.events, names.runs
    return [
        f"CREATE TABLE {e} (run_id {id_type} NOT NULL, seq BIGINT NOT NULL, "
        f"id {id_type} NOT NULL, type {id_type} NOT NULL, data {text_type} NOT NULL, "
        f"ts BIGINT NOT NULL, PRIMARY KEY (run_id, seq), "
        f"CONSTRAINT uq_{e} UNIQUE (run_id, id)){table_opts}",
        f"CREATE TABLE {r} (id {id_type} NOT NULL PRIMARY KEY, workflow_name {id_type} NOT NULL,"
        f" status VARCHAR(32) NOT NULL, input {text_type} NOT NULL, result {text_type} NOT NULL,"
        f" error {text_type} NOT NULL, context {text_type} NOT NULL, "
        f"metadata {text_type} NOT NULL, idempotency_key {id_type}, created_at BIGINT NOT NULL,"
        f" updated_at BIGINT NOT NULL, CONSTRAINT uq_{r} UNIQUE (idempotency_key)){table_opts}",
        f"CREATE INDEX ix_{r} ON {r} (created_at, id)",
    ]


@dataclass(frozen=True)
class Statements:
    insert: str
    last: str
    replay: str
    create_run: str


def statements(names: SqlNames, style: str) -> Statements:
    """The four statements with the driver's placeholders: ``"$"`` ($1..), ``"%s"`` or ``"?"``.

    ``create_run`` takes (id, workflow_name, status, input, created_at, updated_at).
    """

    def ph(n: int) -> str:
        return ",".join(f"${i}" if style == "$" else style for i in range(1, n + 1))

    e, r = names.events, names.runs
    first = ph(1)
    return Statements(
        insert=f"INSERT INTO {e} (run_id, seq, id, type, data, ts) VALUES ({ph(6)})",
        last=f"SELECT COALESCE(MAX(seq), 0) FROM {e} WHERE run_id = {first}",
        replay=f"SELECT seq, id, type, data, ts FROM {e} WHERE run_id = {first} ORDER BY seq",
        create_run=(
            f"INSERT INTO {r} (id, workflow_name, status, input, created_at, updated_at, "
            f"result, error, context, metadata, idempotency_key) "
            f"VALUES ({ph(6)}, 'null', 'null', 'null', '{{}}', NULL)"
        ),
    )
