"""The shared conformance suite against the real MySQL/MariaDB server (a database per test)."""

import pytest
from pyworkflow_conformance import BackendContract
from pyworkflow_conformance.contracts.concurrency import ConcurrencyContract
from pyworkflow_conformance.contracts.events import EventsContract


class TestMySQLConformance(BackendContract):
    backend_name = "mysql"


class TestMySQLNoGroupCommitConformance(EventsContract, ConcurrencyContract):
    """The event-log areas again with ``group_commit=false`` (every append on its own; the
    crash contract is left to the default class: a lone append takes this path there too)
    and ``aggregate_reads=false`` (reads row by row, as MySQL 8 does)."""

    backend_name = "mysql"

    @pytest.fixture
    def backend_url(self, backend_url: str) -> str:
        sep = "&" if "?" in backend_url else "?"
        return backend_url + sep + "group_commit=false&aggregate_reads=false"
