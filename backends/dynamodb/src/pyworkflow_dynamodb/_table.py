"""The table definition and its idempotent creation at ``connect()``.

Several processes may open the same absent table at once: each calls ``CreateTable``; the ones
that lose get ``ResourceInUseException`` and, like the winner, wait with the ``table_exists``
waiter until the table is ACTIVE. An existing table is checked for the key schema and indexes
this code needs; a mismatch is a :class:`~pyworkflow.errors.SchemaError`, never a silent
rewrite.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pyworkflow.errors import SchemaError

from ._client import Caller, error_code
from ._items import GSI_CREATED, GSI_DONE, GSI_GROUP, GSI_PARENT, LSI_SEQ

__all__ = ["ensure_table", "table_spec"]

_GSIS = {
    GSI_CREATED: ("g1pk", "g1sk"),
    GSI_GROUP: ("g2pk", "g2sk"),
    GSI_PARENT: ("g3pk", "g3sk"),
    GSI_DONE: ("g4pk", "g4sk"),
}


def _keys(hash_key: str, range_key: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": hash_key, "KeyType": "HASH"},
        {"AttributeName": range_key, "KeyType": "RANGE"},
    ]


def table_spec(table: str) -> dict[str, Any]:
    """CreateTable parameters: on-demand billing, one LSI, four GSIs, all string keys."""
    names = ["pk", "sk", "q", *(n for pair in _GSIS.values() for n in pair)]
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in names],
        "KeySchema": _keys("pk", "sk"),
        "LocalSecondaryIndexes": [
            {"IndexName": LSI_SEQ, "KeySchema": _keys("pk", "q"), "Projection": _ALL}
        ],
        "GlobalSecondaryIndexes": [
            {"IndexName": name, "KeySchema": _keys(*pair), "Projection": _ALL}
            for name, pair in _GSIS.items()
        ],
    }


_ALL = {"ProjectionType": "ALL"}


async def ensure_table(caller: Caller, create: bool, wait_delay: float = 1.0) -> None:
    """Create the table (and wait for it) unless it exists; check an existing one's shape."""
    table = caller.table
    try:
        described = await caller.call("describe_table", TableName=table)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        if not create:
            raise SchemaError(
                f"DynamoDB table {table!r} does not exist (create_table=false)"
            ) from exc
        try:
            await caller.call("create_table", **table_spec(table))
        except ClientError as again:
            if error_code(again) != "ResourceInUseException":  # lost the race: fine, wait
                raise
        waiter = caller.client.get_waiter("table_exists")
        await waiter.wait(TableName=table, WaiterConfig={"Delay": wait_delay, "MaxAttempts": 120})
        described = await caller.call("describe_table", TableName=table)
    _check_shape(described["Table"])


def _check_shape(desc: dict[str, Any]) -> None:
    keys = {k["AttributeName"]: k["KeyType"] for k in desc.get("KeySchema", ())}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        raise SchemaError(
            f"DynamoDB table {desc.get('TableName')!r} has key schema {keys}; pyworkflow "
            "needs pk (HASH) and sk (RANGE): use another table name"
        )
    present = {i["IndexName"] for i in desc.get("GlobalSecondaryIndexes") or ()}
    present |= {i["IndexName"] for i in desc.get("LocalSecondaryIndexes") or ()}
    missing = sorted({LSI_SEQ, *_GSIS} - present)
    if missing:
        raise SchemaError(
            f"DynamoDB table {desc.get('TableName')!r} lacks the index(es) {missing}: it was "
            "not created by pyworkflow; use another table name"
        )
