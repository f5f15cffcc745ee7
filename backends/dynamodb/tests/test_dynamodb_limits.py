"""Size limits: the declared features against AWS's documented DynamoDB limits.

moto enforces neither the LSI rule (an item plus its entries in all LSIs must fit in 400 KB
together) nor the 4 MB total of a transaction, so these tests compute sizes themselves, with
AWS's rules restated here independently of the backend's own code, and check what was stored.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from math import ceil
from typing import Any

import pytest
from pyworkflow import NewEvent, WorkflowRun
from pyworkflow._validate import EncodedEvent
from pyworkflow.errors import PayloadTooLarge
from pyworkflow_dynamodb import DynamoDBBackend

#: AWS: "The maximum item size in DynamoDB is 400 KB"; DynamoDB's units are binary.
ITEM_LIMIT = 400 * 1024
#: AWS: "The aggregate size of the items in the transaction cannot exceed 4 MB."
TRANSACTION_LIMIT = 4 * 1024 * 1024
#: AWS: a TransactWriteItems request holds at most 100 actions.
TRANSACTION_ACTIONS = 100

_n = count()


def _aws_size(item: dict[str, dict[str, str]]) -> int:
    """AWS's item size: UTF-8 bytes of names and string values; a number counted generously
    (every digit, one byte per two, plus one, plus one for a sign)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        else:
            text = value["N"]
            size += ceil(sum(c.isdigit() for c in text) / 2) + 1 + text.startswith("-")
    return size


def _with_lsi(item: dict[str, dict[str, str]]) -> int:
    """The item plus its entry in the one LSI (projection ALL): all of its attributes, its
    key values (pk, sk and the index key q) counted again, and 100 bytes of entry overhead."""
    keys = {k: item[k] for k in ("pk", "sk", "q")}
    return _aws_size(item) + _aws_size(item) + _aws_size(keys) + 100


def _text(n: int) -> str:
    """``n`` UTF-8 bytes of mixed 1-, 2- and 3-byte characters."""
    unit = "a\u00e9\u20ac"  # 1 + 2 + 3 bytes
    return unit * (n // 6) + "a" * (n % 6)


def _long_id(tag: str) -> str:
    """An id of exactly 255 UTF-8 bytes (the longest the contract allows) ending in ``tag``."""
    rest = 255 - len(tag.encode())
    return "\u00e9" * (rest // 2) + "z" * (rest % 2) + tag


#: The timestamp with the most digits in epoch microseconds, and a sign.
OLDEST = datetime(1, 1, 1, tzinfo=UTC)


def _data(size: int) -> dict[str, str]:
    data = {"x": _text(size - 8)}  # '{"x":"' + text + '"}'
    assert len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()) == size
    return data


def _worst_item(run: str, event_id: str, data_bytes: int) -> dict[str, dict[str, str]]:
    """The event item the backend writes (see its README), at its largest."""
    return {
        "pk": {"S": "E#" + run},
        "sk": {"S": "I#" + event_id},
        "q": {"S": "9" * 20},
        "t": {"S": _long_id("t")},
        "d": {"S": "x" * data_bytes},
        "ts": {"N": "-62135596800000000"},
    }


@pytest.fixture
async def db(moto_endpoint: str) -> AsyncIterator[DynamoDBBackend]:
    url = f"dynamodb://lim_{os.getpid()}_{next(_n)}?region=us-east-1&endpoint_url={moto_endpoint}"
    async with DynamoDBBackend(url) as backend:
        yield backend


async def _nothing_written(db: DynamoDBBackend, run: str) -> None:
    assert await db.version(run) == 0
    assert await db.read(run) == []
    scan = await db._c.call("scan", TableName=db.table, Select="COUNT")
    assert scan["Count"] == 0


def test_declared_limits_are_the_largest_aws_accepts() -> None:
    features = DynamoDBBackend("dynamodb://tbl").features
    limit, batch = features.max_event_bytes, features.max_batch
    run, eid = _long_id("r"), _long_id("e")
    # The largest event data fits with its LSI entry; one more byte does not.
    assert _with_lsi(_worst_item(run, eid, limit)) <= ITEM_LIMIT
    assert _with_lsi(_worst_item(run, eid, limit + 1)) > ITEM_LIMIT
    assert limit == 203_671
    # max_batch such events and the version item fit one transaction (<= 100 actions, <= 4 MB).
    version = {"pk": {"S": "E#" + run}, "sk": {"S": "V"}, "v": {"N": "9" * 20}}
    full = _aws_size(version) + batch * _aws_size(_worst_item(run, eid, limit))
    assert full <= TRANSACTION_LIMIT
    assert batch + 1 <= TRANSACTION_ACTIONS
    assert full + _aws_size(_worst_item(run, eid, limit)) > TRANSACTION_LIMIT
    assert batch == 20


async def test_event_at_the_limit_is_stored_and_read_back_exactly(db: DynamoDBBackend) -> None:
    limit = db.features.max_event_bytes
    run, eid, etype = _long_id("r"), _long_id("e"), _long_id("t")
    data = _data(limit)
    event = NewEvent(type=etype, data=data, id=eid, timestamp=OLDEST)
    assert await db.append(run, [event], expected_version=0) == 1
    (stored,) = await db.read(run)
    assert (stored.sequence, stored.id, stored.type, stored.timestamp) == (1, eid, etype, OLDEST)
    assert stored.data == data
    # What DynamoDB would count for the item as stored, with its LSI entry: within 400 KB.
    key = {"pk": {"S": "E#" + run}, "sk": {"S": "I#" + eid}}
    raw = await db._c.call("get_item", TableName=db.table, Key=key)
    item: dict[str, Any] = raw["Item"]
    assert len(item["d"]["S"].encode()) == limit
    assert _with_lsi(item) <= ITEM_LIMIT


def _first_refused(run: str, event_id: str) -> int:
    """The smallest event data AWS refuses for the worst-case item (by its rules, not moto's)."""
    size = 0
    while _with_lsi(_worst_item(run, event_id, size)) <= ITEM_LIMIT:
        size += 1024
    while _with_lsi(_worst_item(run, event_id, size - 1)) > ITEM_LIMIT:
        size -= 1
    return size


async def test_event_one_byte_over_is_refused_before_sending(db: DynamoDBBackend) -> None:
    run = _long_id("r")
    first = _first_refused(run, _long_id("e"))
    assert first == db.features.max_event_bytes + 1  # the declared limit is AWS's, exactly
    over = _data(first)
    with pytest.raises(PayloadTooLarge):
        await db.append(run, [NewEvent(type="t", data=over, id=_long_id("e"))], expected_version=0)
    await _nothing_written(db, run)


async def test_the_backend_itself_refuses_an_item_over_the_lsi_rule(db: DynamoDBBackend) -> None:
    # Past the public API's check (max_event_bytes): the backend's own guard on the item it
    # builds. moto alone would store this item (it is under 400 KB without its LSI entry).
    run = _long_id("r")
    text = '{"x":"' + "y" * (db.features.max_event_bytes + 1 - 8) + '"}'
    event = EncodedEvent(_long_id("e"), _long_id("t"), text, OLDEST)
    with pytest.raises(PayloadTooLarge, match="400 KB"):
        await db._append(run, [event], 0)
    await _nothing_written(db, run)


def _largest_batch(size: int, limit: int) -> list[EncodedEvent]:
    text = '{"x":"' + "y" * (limit - 8) + '"}'
    return [EncodedEvent(_long_id(f"e{i}"), _long_id("t"), text, OLDEST) for i in range(size)]


async def test_a_full_batch_of_the_largest_events_is_one_transaction(db: DynamoDBBackend) -> None:
    limit, batch = db.features.max_event_bytes, db.features.max_batch
    run = _long_id("r")
    events = [
        NewEvent(type=e.type, data=_data(limit), id=e.id, timestamp=OLDEST)
        for e in _largest_batch(batch, limit)
    ]
    assert await db.append(run, events, expected_version=0) == batch
    # What DynamoDB counts for that transaction's items, as stored: within 4 MB.
    items = [
        item
        async for item in db._c.query(
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "E#" + run}},
            ConsistentRead=True,
        )
    ]
    assert len(items) == batch + 1  # the events and the version item
    assert sum(_aws_size(item) for item in items) <= TRANSACTION_LIMIT
    stored = await db.read(run)
    assert [(e.sequence, e.id) for e in stored] == [(i, e.id) for i, e in enumerate(events, 1)]
    assert all(e.data == events[0].data for e in stored)


async def test_the_backend_itself_refuses_a_transaction_over_4mb(db: DynamoDBBackend) -> None:
    # One event more than max_batch, each at max_event_bytes: the items total over 4 MB (the
    # public API refuses the count first; this is the backend's own guard on the total).
    run = _long_id("r")
    events = _largest_batch(db.features.max_batch + 1, db.features.max_event_bytes)
    with pytest.raises(PayloadTooLarge, match="4 MB"):
        await db._append(run, events, 0)
    await _nothing_written(db, run)


async def test_a_run_whose_values_fit_but_whose_item_does_not(db: DynamoDBBackend) -> None:
    # Each JSON value is within max_event_bytes; together they exceed DynamoDB's 400 KB item.
    value = "z" * (db.features.max_event_bytes - 2)  # encoded with its quotes: the limit
    run = WorkflowRun(id="r", workflow_name="wf", input=value, context=value, result=value)
    with pytest.raises(PayloadTooLarge):
        await db.create_run(run)
    assert await db.get_run("r") is None
