"""The shared conformance suite against the real PostgreSQL server (a fresh schema per test)."""

import pytest
from pyworkflow_conformance import BackendContract
from pyworkflow_conformance.contracts.concurrency import ConcurrencyContract
from pyworkflow_conformance.contracts.crash import CrashContract
from pyworkflow_conformance.contracts.events import EventsContract


class TestPostgresConformance(BackendContract):
    backend_name = "postgres"


class TestPostgresGroupCommitConformance(EventsContract, ConcurrencyContract, CrashContract):
    """The event-log areas again with ``group_commit=true`` (appends coalesced per call)."""

    backend_name = "postgres"

    @pytest.fixture
    def backend_url(self, backend_url: str) -> str:
        return backend_url + "&group_commit=true"
