"""Raw ceiling for DynamoDB: one long-lived aioboto3 client.

``insert`` is a ``PutItem`` with ``attribute_not_exists(pk)`` into a raw table keyed
(pk = run_id, sk = seq as a number): the cheapest guarded single-event write. The variant
"same request raw" issues the backend's exact request, a ``TransactWriteItems`` of the
version-guard ``Update`` plus the event ``Put`` (same attributes, same conditions), into the
backend's own table under run ids of its own, so the guard's cost is visible separately from
the library's. The batch is ``BatchWriteItem`` in 4 requests of 25 (the API's limit; not
atomic), as a raw client batches; replay is a paginated ``Query`` + ``json.loads``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aioboto3
from botocore.exceptions import ClientError
from pyworkflow.codec import to_micros
from pyworkflow.urls import StorageURL

from pyworkflow_benchmarks.payload import RawRow

from .base import RawCeiling, RawInsert

__all__ = ["DynamoDBRaw"]

_WIDTH = 20  # the backend's zero-padded sequence width (pyworkflow_dynamodb._items.pad)


def _s(v: str) -> dict[str, str]:
    return {"S": v}


def _n(v: int) -> dict[str, str]:
    return {"N": str(v)}


class DynamoDBRaw(RawCeiling):
    append_how = "aioboto3 PutItem with attribute_not_exists(pk), one long-lived client"
    batch_how = "aioboto3 BatchWriteItem, 4 requests of 25 items (not atomic)"
    create_how = "aioboto3 PutItem of a run item with attribute_not_exists(pk)"

    def __init__(self, url: StorageURL) -> None:
        # dynamodb://TABLE?... puts the table where a host would be.
        self.backend_table = url.host or url.database
        self.table = f"pwbench_raw_{secrets.token_hex(4)}"
        self.region = url.query.get("region") or "us-east-1"
        self.endpoint = url.query.get("endpoint_url")

    async def open(self) -> None:
        session = aioboto3.Session()
        self._cm = session.client("dynamodb", region_name=self.region, endpoint_url=self.endpoint)
        self.c: Any = await self._cm.__aenter__()
        await self.c.create_table(
            TableName=self.table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        await self.c.get_waiter("table_exists").wait(TableName=self.table)

    async def close(self) -> None:
        try:
            await self.c.delete_table(TableName=self.table)
        except ClientError:
            pass
        finally:
            await self._cm.__aexit__(None, None, None)

    def _item(self, run_id: str, seq: int, row: RawRow) -> dict[str, Any]:
        return {
            "pk": _s(run_id),
            "sk": _n(seq),
            "id": _s(row.id),
            "t": _s(row.type),
            "d": _s(row.data),
            "ts": _n(row.micros),
        }

    async def insert(self, run_id: str, seq: int, row: RawRow) -> bool:
        try:
            await self.c.put_item(
                TableName=self.table,
                Item=self._item(run_id, seq, row),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def insert_batch(self, run_id: str, first_seq: int, rows: Sequence[RawRow]) -> None:
        items = [self._item(run_id, s, r) for s, r in enumerate(rows, first_seq)]
        for i in range(0, len(items), 25):
            pending: Any = {self.table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
            while pending:
                out = await self.c.batch_write_item(RequestItems=pending)
                pending = out.get("UnprocessedItems") or None

    async def last_seq(self, run_id: str) -> int:
        out = await self.c.query(
            TableName=self.table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": _s(run_id)},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = out.get("Items", [])
        return int(items[0]["sk"]["N"]) if items else 0

    async def replay(self, run_id: str) -> int:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": _s(run_id)},
            "ConsistentRead": True,
        }
        decoded: list[tuple[str, str, Any]] = []
        while True:
            out = await self.c.query(**params)
            decoded.extend(
                (it["sk"]["N"], it["id"]["S"], json.loads(it["d"]["S"]))
                for it in out.get("Items", [])
            )
            if "LastEvaluatedKey" not in out:
                return len(decoded)
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    async def create_run(self, run_id: str, name: str, input_json: str, now: datetime) -> None:
        micros = to_micros(now)
        await self.c.put_item(
            TableName=self.table,
            ConditionExpression="attribute_not_exists(pk)",
            Item={
                "pk": _s("R#" + run_id),
                "sk": _n(0),
                "workflow_name": _s(name),
                "status": _s("pending"),
                "input": _s(input_json),
                "metadata": _s("{}"),
                "created_at": _n(micros),
                "updated_at": _n(micros),
            },
        )

    async def _same_request(self, run_id: str, seq: int, row: RawRow) -> bool:
        """The backend's append request for one event, verbatim, issued raw."""
        pk = _s("E#" + run_id)
        guard: dict[str, Any] = {
            "TableName": self.backend_table,
            "Key": {"pk": pk, "sk": _s("V")},
            "UpdateExpression": "SET v = :n",
        }
        if seq == 1:
            guard["ConditionExpression"] = "attribute_not_exists(v)"
            guard["ExpressionAttributeValues"] = {":n": _n(seq)}
        else:
            guard["ConditionExpression"] = "v = :e"
            guard["ExpressionAttributeValues"] = {":n": _n(seq), ":e": _n(seq - 1)}
        item = {
            "pk": pk,
            "sk": _s("I#" + row.id),
            "q": _s(str(seq).zfill(_WIDTH)),
            "t": _s(row.type),
            "d": _s(row.data),
            "ts": _n(row.micros),
        }
        try:
            await self.c.transact_write_items(
                TransactItems=[
                    {"Update": guard},
                    {
                        "Put": {
                            "TableName": self.backend_table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True

    def variants(self) -> dict[str, RawInsert]:
        return {"same request raw": self._same_request}

    async def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"endpoint": self.endpoint or "AWS", "region": self.region}
        if self.endpoint and ("127.0.0.1" in self.endpoint or "localhost" in self.endpoint):
            try:
                import moto

                facts["server_version"] = f"moto {moto.__version__} (local endpoint)"
            except ImportError:
                facts["server_version"] = "unknown local endpoint"
        return facts
