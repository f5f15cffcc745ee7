"""SQLite's runs indexes: partial where a new run has no value, and every listing still indexed.

``create_run`` writes one B-tree per index of the runs table. A new run has no parent and no
completion time, so schema version 4 makes those two indexes partial (``WHERE ... IS NOT
NULL``). These tests pin that shape (on a fresh file and on one upgraded from version 3) and
check with ``EXPLAIN QUERY PLAN`` that no ``list_runs`` filter, nor retention, falls back to a
scan of the table.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pyworkflow.models import RunFilter, RunStatus, WorkflowRun
from pyworkflow_sql.statements import Sql
from pyworkflow_sql.testing import open_sql
from pyworkflow_sqlite import SqliteBackend

PARTIAL = {
    "ix_pyworkflow_runs_parent": "WHERE parent_id IS NOT NULL",
    "ix_pyworkflow_runs_completed": "WHERE completed_at IS NOT NULL",
}


def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/store.db"


async def index_sql(b: SqliteBackend) -> dict[str, str]:
    rows = await b._query("SELECT name, sql FROM sqlite_master WHERE type = 'index'", ())
    return {name: sql or "" for name, sql in rows}


@pytest.mark.parametrize("start", [None, 3], ids=["fresh", "upgraded-from-3"])
async def test_parent_and_retention_indexes_are_partial(tmp_path: Path, start: int | None) -> None:
    if start is not None:
        async with open_sql(url(tmp_path), target=start) as old:
            assert await old.schema_version() == start
            await old.create_run(WorkflowRun(id="p", workflow_name="wf"))
            await old.create_run(WorkflowRun(id="c", workflow_name="wf", parent_id="p"))
    async with SqliteBackend(url(tmp_path)) as b:
        found = await index_sql(b)
        for name, where in PARTIAL.items():
            assert found[name].endswith(where), found[name]
        if start is not None:  # the rebuilt index still finds the rows written before
            runs = await b.list_runs(RunFilter(parent_id="p"))
            assert [r.id for r in runs.items] == ["c"]


async def test_every_list_runs_filter_and_retention_query_uses_an_index(tmp_path: Path) -> None:
    async with SqliteBackend(url(tmp_path)) as b:
        await b.create_run(WorkflowRun(id="p", workflow_name="wf", status=RunStatus.COMPLETED))
        for combo in itertools.product([False, True], [0, 1, 2], *([[False, True]] * 4)):
            sql = Sql.list_runs(*combo)
            plan = [r[3] for r in await b._query("EXPLAIN QUERY PLAN " + sql, [1] * sql.count("?"))]
            assert "USING INDEX" in plan[0] or "USING COVERING INDEX" in plan[0], (combo, plan)
            if combo[4]:  # parent filter: served by the partial parent index
                assert "ix_pyworkflow_runs_parent" in plan[0], (combo, plan)
        for sql in (Sql.doomed(2), Sql.delete_run(2)):
            plan = [r[3] for r in await b._query("EXPLAIN QUERY PLAN " + sql, [1] * sql.count("?"))]
            assert "USING INDEX" in plan[0], (sql, plan)
