"""The shared conformance suite against the in-memory *model* of the tables (conftest.py).

This is NOT the conformance of the Cassandra backend (that needs a server:
test_cassandra_conformance.py). It exercises the backend's own logic (bucketing, the
compare-and-swap loops, idempotent create with roll-forward, index walking, claims,
retention) against a model of the CQL semantics it relies on, so that logic errors show up
here even where no server exists. It proves nothing about the CQL text, the driver or the
server: those are exactly what it replaces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from pyworkflow.storage import StorageBackend
from pyworkflow_conformance import BackendContract

from .conftest import FakeEvents, fake_backend

MODEL_URL = "cassandra://127.0.0.1/ks?bucket_size=256&max_batch=64"


async def _noop() -> None:
    return None


def _wired(store: FakeEvents, **options: Any) -> StorageBackend:
    backend = fake_backend(MODEL_URL, store, **options)
    backend._connect = _noop  # type: ignore[method-assign]
    backend._close = _noop  # type: ignore[method-assign]
    return backend


class TestCassandraLogicOnTableModel(BackendContract):
    # Not "cassandra": the per-area table must never show these as Cassandra's conformance.
    backend_name = "cassandra-table-model"

    @pytest.fixture
    def backend_url(self) -> str:
        return MODEL_URL

    @pytest.fixture
    def model(self) -> FakeEvents:
        return FakeEvents(page_size=5, threaded=False)

    @pytest_asyncio.fixture(loop_scope="function")
    async def backend(self, model: FakeEvents) -> AsyncIterator[StorageBackend]:
        yield _wired(model)

    @pytest_asyncio.fixture(loop_scope="function")
    async def open_backend(self, model: FakeEvents) -> AsyncIterator[Any]:
        async def factory(**options: Any) -> StorageBackend:
            return _wired(model, **options)

        yield factory

    # These open the store through its URL (in a subprocess, or with connect()), which needs
    # the real server the model stands in for; test_cassandra_conformance.py runs them there.
    _SERVER = "needs a real Cassandra server (opens the URL itself); see test_cassandra_conformance"

    @pytest.mark.skip(reason=_SERVER)
    def test_worker_killed_mid_step_loses_its_lease(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_acknowledged_appends_survive_sigkill(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_connect_creates_schema_and_reopen_keeps_data(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_instances_in_one_process_open_an_empty_store_at_once(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_four_processes_open_an_empty_store_at_once(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_a_worker_process_killed_at_a_call_is_taken_over(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_append_roundtrips_or_changes_nothing(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_read_filters_and_limits_or_refuses(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_runs_roundtrip_or_change_nothing(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_list_runs_pages_or_refuses(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_enqueue_roundtrips_or_changes_nothing(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_leases_follow_their_durations_or_change_nothing(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_hooks_roundtrip_or_change_nothing(self) -> None: ...

    @pytest.mark.skip(reason=_SERVER)
    def test_schedules_roundtrip_or_change_nothing(self) -> None: ...
