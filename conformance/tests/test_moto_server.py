"""The suite's moto server serializes requests: a guarded race has exactly one winner.

Stock moto (``ThreadedMotoServer``) fails this test: concurrent guarded TransactWriteItems
can both be acknowledged, and a cancelled transaction's whole-table restore can erase or
resurrect other requests' writes, so a round stores more (or fewer) events than it
acknowledged.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pyworkflow.urls import StorageURL
from pyworkflow_conformance.moto_server import AWS_TEST_ENV
from pyworkflow_conformance.services import Services

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from botocore.config import Config  # noqa: E402 - after the importorskip above
from botocore.exceptions import ClientError  # noqa: E402

TABLE = "race"
CONTENDERS = 16
ROUNDS = 6
#: Items in another partition: a table this size makes stock moto's per-transaction
#: whole-table backup slow enough that its races show in every run, not one in ten.
FILL = 400


def _client(endpoint: str) -> object:
    config = Config(retries={"max_attempts": 1}, max_pool_connections=CONTENDERS)
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=AWS_TEST_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=AWS_TEST_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_TEST_ENV["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def race(endpoint: str) -> list[tuple[int, int]]:
    """Per round: (acknowledged appenders, event items stored) when CONTENDERS threads each
    append the first event of one log with the backend's guarded request (the version item
    must not exist yet; the event item must be new)."""
    admin = _client(endpoint)
    admin.create_table(  # type: ignore[attr-defined]
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    for chunk in range(FILL // 25):
        puts = [
            {"PutRequest": {"Item": {"pk": {"S": "fill"}, "sk": {"S": f"{chunk}.{i}"}}}}
            for i in range(25)
        ]
        admin.batch_write_item(RequestItems={TABLE: puts})  # type: ignore[attr-defined]
    clients = [_client(endpoint) for _ in range(CONTENDERS)]
    results = []
    for round_ in range(ROUNDS):
        pk = {"S": f"E#run{round_}"}
        start = threading.Barrier(CONTENDERS)

        def append(i: int, pk: dict[str, str] = pk, start: threading.Barrier = start) -> bool:
            guard = {
                "TableName": TABLE,
                "Key": {"pk": pk, "sk": {"S": "V"}},
                "UpdateExpression": "SET v = :n",
                "ConditionExpression": "attribute_not_exists(v)",
                "ExpressionAttributeValues": {":n": {"N": "1"}},
            }
            event = {
                "TableName": TABLE,
                "Item": {"pk": pk, "sk": {"S": f"I#{i}"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            start.wait(30)
            try:
                clients[i].transact_write_items(  # type: ignore[attr-defined]
                    TransactItems=[{"Update": guard}, {"Put": event}]
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "TransactionCanceledException":
                    return False
                raise
            return True

        with ThreadPoolExecutor(CONTENDERS) as pool:
            won = sum(pool.map(append, range(CONTENDERS)))
        stored = admin.query(  # type: ignore[attr-defined]
            TableName=TABLE,
            KeyConditionExpression="pk = :p AND begins_with(sk, :i)",
            ExpressionAttributeValues={":p": pk, ":i": {"S": "I#"}},
            ConsistentRead=True,
        )["Count"]
        results.append((won, stored))
    return results


def test_suite_moto_server_has_one_winner_per_guarded_race(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYWORKFLOW_TEST_DYNAMODB_URL", raising=False)
    services = Services()
    try:
        url = StorageURL.parse(services.fresh_url("dynamodb", tmp_path))
        assert race(str(url.query["endpoint_url"])) == [(1, 1)] * ROUNDS
    finally:
        services.close()


def test_module_serves_until_its_stdin_closes() -> None:
    # The benchmarks run the server this way, in a child process.
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyworkflow_conformance.moto_server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, **AWS_TEST_ENV},
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        endpoint = proc.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:")
        tables = _client(endpoint).list_tables()  # type: ignore[attr-defined]
        assert tables["TableNames"] == []
        proc.stdin.close()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
