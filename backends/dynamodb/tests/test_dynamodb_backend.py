"""DynamoDB-only behaviour: URL options, key order past 10**5 events, paging, table creation,
retention resumption, against the moto server of conftest.py; stubs only for the faults moto
cannot produce (throttling, UnprocessedItems). Size limits: test_dynamodb_limits.py."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from pyworkflow import NewEvent, RunFilter, RunStatus, StorageBackend, Task, WorkflowRun
from pyworkflow.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInput,
    PayloadTooLarge,
    SchemaError,
    StorageError,
    StorageUnavailable,
)
from pyworkflow_dynamodb import DynamoDBBackend
from pyworkflow_dynamodb._client import Caller
from pyworkflow_dynamodb._items import pad, time_key

_n = count()


def _url(endpoint: str, **opts: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"region": "us-east-1", **opts}.items())
    return f"dynamodb://unit_{os.getpid()}_{next(_n)}?{query}&endpoint_url={endpoint}"


@pytest.fixture
async def db(moto_endpoint: str) -> AsyncIterator[DynamoDBBackend]:
    backend = DynamoDBBackend(_url(moto_endpoint, page_size=2))
    async with backend:
        yield backend


def _error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "stub"}, **extra}, "Op")


# -- URL and options -------------------------------------------------------------------------


def test_url_gives_table_and_options() -> None:
    b = DynamoDBBackend("dynamodb://my-table.x?region=eu-west-1&endpoint_url=http://h:1&timeout=2")
    assert (b.table, b._region, b._endpoint, b._timeout) == (
        "my-table.x",
        "eu-west-1",
        "http://h:1",
        2.0,
    )
    assert StorageBackend.from_url("dynamodb://tbl?region=us-east-1").__class__ is DynamoDBBackend


@pytest.mark.parametrize(
    "url",
    [
        "dynamodb://tbl?colour=blue",  # unknown option
        "dynamodb://tbl?page_size=-1",
        "dynamodb://tbl?throttle_retries=x",
        "dynamodb://ab",  # too short for a table name
        "dynamodb://bad$name",
        "dynamodb://tbl/extra",
        "dynamodb://t1,t2",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        DynamoDBBackend(url)


async def test_credentials_in_the_url_are_refused(moto_endpoint: str) -> None:
    b = DynamoDBBackend(f"dynamodb://key:secretvalue@tbl?endpoint_url={moto_endpoint}")
    with pytest.raises(InvalidInput) as info:
        await b.connect()
    assert "secretvalue" not in str(info.value)
    assert "secretvalue" not in repr(b)


def test_repr_has_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "S3cr3tMarker")
    b = DynamoDBBackend("dynamodb://tbl?region=us-east-1")
    assert "S3cr3tMarker" not in repr(b)
    assert "tbl" in repr(b)


async def test_errors_have_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "S3cr3tMarker")
    b = DynamoDBBackend(
        "dynamodb://tbl?region=us-east-1&endpoint_url=http://127.0.0.1:9&timeout=0.5"
    )
    with pytest.raises(StorageError) as info:
        await b.connect()
    assert isinstance(info.value, StorageUnavailable)
    assert "S3cr3tMarker" not in str(info.value)
    assert info.value.__cause__ is not None


# -- keys ------------------------------------------------------------------------------------


def test_padding_orders_like_numbers() -> None:
    values = [0, 9, 10, 99_999, 100_000, 100_001, 10**12, 10**20 - 1]
    assert sorted(map(pad, values)) == [pad(v) for v in values]
    assert all(len(pad(v)) == 20 for v in values)
    old = datetime(1900, 1, 1, tzinfo=UTC)
    times = [old, datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)]
    assert sorted(map(time_key, times)) == [time_key(t) for t in times]


async def test_order_past_100000_events(db: DynamoDBBackend) -> None:
    # Appending 10**5 events on moto takes too long; seed the log's tail items directly
    # (exactly what append writes) and let append/read continue from there.
    run = "long"
    first = 99_990
    c = db._c
    for seq in range(first, 100_000):
        await c.call(
            "put_item",
            TableName=db.table,
            Item={
                "pk": {"S": "E#" + run},
                "sk": {"S": f"I#e{seq}"},
                "q": {"S": pad(seq)},
                "t": {"S": "seed"},
                "d": {"S": "{}"},
                "ts": {"N": "0"},
            },
        )
    await c.call(
        "put_item",
        TableName=db.table,
        Item={"pk": {"S": "E#" + run}, "sk": {"S": "V"}, "v": {"N": "99999"}},
    )
    assert await db.version(run) == 99_999
    version = 99_999
    for i in range(4):  # 100,000 .. 100,003, one of them a batch
        batch = [NewEvent(type="new", data={"i": i}, id=f"n{i}{j}") for j in range(1 + i % 2)]
        version = await db.append(run, batch, expected_version=version)
    events = await db.read(run, after=99_995)
    seqs = [e.sequence for e in events]
    assert seqs == list(range(99_996, version + 1))
    assert version == 100_005
    assert [e.sequence for e in await db.read(run, after=99_999, types={"new"})] == list(
        range(100_000, 100_006)
    )
    with pytest.raises(ConflictError):
        await db.append(run, [NewEvent(type="x")], expected_version=99_999)


# -- paging (page_size=2 forces several Query pages everywhere) ----------------------------


async def test_queries_follow_pages(db: DynamoDBBackend) -> None:
    await db.append(
        "r",
        [NewEvent(type="a" if i % 3 else "b", data={"i": i}) for i in range(9)],
        expected_version=0,
    )
    assert [e.sequence for e in await db.read("r")] == list(range(1, 10))
    assert [e.sequence for e in await db.read("r", types={"b"})] == [1, 4, 7]
    assert [e.sequence for e in await db.read("r", after=2, limit=3)] == [3, 4, 5]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(7):
        status = RunStatus.COMPLETED if i % 2 else RunStatus.RUNNING
        await db.create_run(
            WorkflowRun(
                id=f"run{i}",
                workflow_name="wf",
                status=status,
                created_at=base + timedelta(seconds=i),
            )
        )
    done = await db.list_runs(RunFilter(statuses=frozenset({RunStatus.COMPLETED})), limit=2)
    assert [r.id for r in done.items] == ["run5", "run3"]
    rest = await db.list_runs(
        RunFilter(statuses=frozenset({RunStatus.COMPLETED})), limit=2, cursor=done.next_cursor
    )
    assert [r.id for r in rest.items] == ["run1"]
    assert rest.next_cursor is None
    now = datetime.now(UTC)
    for i in range(5):
        await db.enqueue(
            Task(id=f"t{i}", run_id="r", kind="k", due_at=now - timedelta(seconds=10 - i))
        )
    leases = await db.claim("w", lease=60, limit=4)
    assert [lease.task.id for lease in leases] == ["t0", "t1", "t2", "t3"]
    assert [lease.task.id for lease in await db.claim("w2", lease=60, limit=4)] == ["t4"]


# -- table creation ----------------------------------------------------------------------------


async def test_concurrent_openers_create_one_table(moto_endpoint: str) -> None:
    url = _url(moto_endpoint)
    backends = [DynamoDBBackend(url) for _ in range(4)]
    await asyncio.gather(*(b.connect() for b in backends))
    try:
        await backends[0].append("x", [NewEvent(type="t")], expected_version=0)
        assert await backends[3].version("x") == 1
    finally:
        for b in backends:
            await b.close()


async def test_missing_table_without_create_is_a_schema_error(moto_endpoint: str) -> None:
    with pytest.raises(SchemaError):
        await DynamoDBBackend(_url(moto_endpoint, create_table="false")).connect()


async def test_foreign_table_is_refused(db: DynamoDBBackend, moto_endpoint: str) -> None:
    name = f"foreign_{os.getpid()}_{next(_n)}"
    await db._c.call(
        "create_table",
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    with pytest.raises(SchemaError):
        await DynamoDBBackend(
            f"dynamodb://{name}?region=us-east-1&endpoint_url={moto_endpoint}"
        ).connect()


# -- retention resumes an interrupted purge --------------------------------------------------


async def test_interrupted_purge_is_finished_by_the_next_sweep(db: DynamoDBBackend) -> None:
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    await db.create_run(
        WorkflowRun(id="old", workflow_name="wf", status=RunStatus.COMPLETED, completed_at=long_ago)
    )
    await db.append("old", [NewEvent(type="t") for _ in range(5)], expected_version=0)
    await db.enqueue(Task(run_id="old", kind="k", due_at=long_ago))
    real_purge = db._purge
    calls: list[str] = []

    async def crash(run_id: str) -> None:
        calls.append(run_id)
        raise StorageUnavailable("simulated crash between the two steps")

    db._purge = crash  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable):
        await db.delete_runs(older_than=long_ago + timedelta(days=1))
    assert calls == ["old"]
    assert await db.get_run("old") is None
    db._purge = real_purge  # type: ignore[method-assign]
    assert await db.delete_runs(older_than=long_ago + timedelta(days=1)) == 0
    assert await db.read("old") == []
    assert await db.version("old") == 0
    assert await db.claim("w", lease=10, now=long_ago + timedelta(days=2)) == []
    marker = await db._get("X#old", "X")
    assert marker is None


# -- faults moto cannot produce (stubbed client) ----------------------------------------------


class _Stub:
    def __init__(self, *results: Any) -> None:
        self.results = list(results)
        self.calls = 0

    async def _next(self, **_: Any) -> Any:
        self.calls += 1
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, BaseException):
            raise result
        return result

    transact_write_items = batch_write_item = get_item = query = _next


async def test_throttling_is_retried_then_unavailable(db: DynamoDBBackend) -> None:
    stub = _Stub(_error("ProvisionedThroughputExceededException"))
    db._c = Caller(stub, db.table, retries=3, page_size=None)
    db.retries = 0  # the base class's own append retry, off here to count ours exactly
    with pytest.raises(StorageUnavailable) as info:
        await db.append("t", [NewEvent(type="t")], expected_version=0)
    assert stub.calls == 4
    assert isinstance(info.value.__cause__, ClientError)


async def test_throttling_then_success(db: DynamoDBBackend) -> None:
    conflict = _error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "TransactionConflict"}, {"Code": "None"}],
    )
    stub = _Stub(_error("ThrottlingException"), conflict, {})
    db._c = Caller(stub, db.table, retries=3, page_size=None)
    assert await db.append("t", [NewEvent(type="t")], expected_version=0) == 1
    assert stub.calls == 3


async def test_unprocessed_items_are_retried() -> None:
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    pending = {"UnprocessedItems": {"tbl": [{"DeleteRequest": {"Key": key}}]}}
    stub = _Stub(pending, pending, {"UnprocessedItems": {}})
    await Caller(stub, "tbl", retries=5, page_size=None).delete_keys([key] * 30)
    assert stub.calls == 4  # two chunks (25 + 5); the first needed two retries
    stuck = _Stub(pending)
    with pytest.raises(StorageUnavailable):
        await Caller(stuck, "tbl", retries=2, page_size=None).delete_keys([key])
    assert stuck.calls == 3


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            _error(
                "TransactionCanceledException",
                CancellationReasons=[{"Code": "ConditionalCheckFailed"}],
            ),
            ConflictError,
        ),
        (_error("ConditionalCheckFailedException"), ConflictError),
        (_error("ValidationException"), StorageError),
        (
            ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "Item size has exceeded the maximum allowed size",
                    }
                },
                "PutItem",
            ),
            PayloadTooLarge,
        ),
        (
            ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "Transaction request cannot exceed 4 MB.",
                    }
                },
                "TransactWriteItems",
            ),
            PayloadTooLarge,
        ),
        (_error("ResourceNotFoundException"), SchemaError),
        (_error("ThrottlingException"), StorageUnavailable),
        (EndpointConnectionError(endpoint_url="http://x"), StorageUnavailable),
        # Issue 14: setup mistakes are permanent, not the transient StorageUnavailable.
        (_error("UnrecognizedClientException"), ConfigurationError),
        (_error("AccessDeniedException"), ConfigurationError),
        (NoCredentialsError(), ConfigurationError),
        (NoRegionError(), ConfigurationError),
    ],
)
def test_error_translation(exc: Exception, expected: type) -> None:
    translated = DynamoDBBackend("dynamodb://tbl")._translate_error(exc)
    assert type(translated) is expected
