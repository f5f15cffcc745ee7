"""The DynamoDB-protocol server for this package's tests.

Unless ``PYWORKFLOW_TEST_DYNAMODB_URL`` names a server already, this conftest starts the
conformance package's serialized moto server (:mod:`pyworkflow_conformance.moto_server`: every
request atomic, as on DynamoDB; stock moto is not) and points that variable at it, so the
conformance plugin and this package's own tests share one server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from pyworkflow_conformance.moto_server import AWS_TEST_ENV, start

_ENV = "PYWORKFLOW_TEST_DYNAMODB_URL"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The endpoint of a DynamoDB-protocol server: the explicit URL's, or a locked moto."""
    saved = {k: os.environ.get(k) for k in (*AWS_TEST_ENV, _ENV)}
    for key, value in AWS_TEST_ENV.items():
        os.environ.setdefault(key, value)
    explicit = os.environ.get(_ENV)
    endpoint: str
    stop: Callable[[], None] | None = None
    if explicit:
        from pyworkflow.urls import StorageURL

        endpoint = str(StorageURL.parse(explicit).query.get("endpoint_url", ""))
    else:
        endpoint, stop = start()
        # moto answers a Query over a 100,000-event partition in seconds (it sorts the whole
        # partition in Python per page), so the read timeout is raised for this test server.
        os.environ[_ENV] = f"dynamodb://pwt?region=us-east-1&timeout=120&endpoint_url={endpoint}"
    yield endpoint
    if stop is not None:
        stop()
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


@pytest.fixture(scope="session", autouse=True)
def _dynamodb_server(moto_endpoint: str) -> str:
    """Every test here (the conformance class included) runs against that server."""
    return moto_endpoint


#: Conformance tests whose request count is large (16 contending appenders x 100 events is
#: ~50,000 requests; 100,050 events are ~1,000 transactions of 100 items), which a single
#: Python moto process on a shared 2-core machine serves in minutes, not seconds.
_HEAVY = ("concurrent_appenders", "100000_events")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "dynamodb" in str(item.path) and any(h in item.name for h in _HEAVY):
            item.add_marker(pytest.mark.timeout(1200))
