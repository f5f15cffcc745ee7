"""``list_tasks`` on DynamoDB: the due-tasks index for the order, the items for the state.

Without ``run_id`` the listing queries the due-tasks index (``gsi_created``, partition
``DUE``, sort key ``<due_at>#<id>``, which is exactly the contract's ``(due_at, id)`` order)
from the cursor, one Query page of about ``limit`` keys at a time. With ``run_id`` it queries
the run's tasks (``gsi_group``, ``TR#<run>``: a run has few) and sorts them. Either way the
candidates are then read again with a strongly consistent ``BatchGetItem``, because a global
secondary index is eventually consistent: the lease, state and due time shown are the item's
own. A candidate that is gone (completed) or whose ``due_at`` moved (released) is left out
here: it is listed at its new place. Only membership lags: a task enqueued or released a
moment ago may be missing from a page until the index catches up.

Cost: a page reads about ``limit`` index entries and ``limit`` items (more with a ``state``
filter, which skips the entries in other states): read units grow with the page, not the
table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pyworkflow.codec import from_micros
from pyworkflow.errors import StorageUnavailable
from pyworkflow.models import Task
from pyworkflow.task_views import TaskInfo, TaskState

from ._client import Caller
from ._items import GSI_CREATED, GSI_GROUP, Item, _s, from_item, time_key

__all__ = ["TaskListing"]

#: BatchGetItem takes at most 100 keys.
_GET_BATCH = 100


class TaskListing:
    """The ``_list_tasks`` primitive, mixed into :class:`pyworkflow_dynamodb.DynamoDBBackend`."""

    _c: Caller
    table: str

    async def _list_tasks(
        self,
        run_id: str | None,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        if run_id is not None:
            return await self._run_tasks(run_id, state, now, limit, after)
        out: list[TaskInfo] = []
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI_CREATED,
            "KeyConditionExpression": "g1pk = :due"
            + ("" if after is None else " AND g1sk > :after"),
            "ExpressionAttributeValues": {":due": _s("DUE")}
            | ({} if after is None else {":after": _s(f"{time_key(after[0])}#{after[1]}")}),
            "ProjectionExpression": "pk, sk, due_at",
        }
        while True:
            params["Limit"] = max(limit - len(out), 1) + 1
            page = await self._c.call("query", **params)
            for info in await self._fresh(page.get("Items", ()), now):
                if state is None or info.state is state:
                    out.append(info)
            if len(out) >= limit or not page.get("LastEvaluatedKey"):
                return out[:limit]
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def _run_tasks(
        self,
        run_id: str,
        state: TaskState | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[TaskInfo]:
        entries = [
            item
            async for item in self._c.query(
                IndexName=GSI_GROUP,
                KeyConditionExpression="g2pk = :run",
                ExpressionAttributeValues={":run": _s("TR#" + run_id)},
                ProjectionExpression="pk, sk, due_at",
            )
        ]
        found = await self._fresh(entries, now)
        found.sort(key=lambda i: (i.task.due_at, i.task.id))
        return [
            i
            for i in found
            if (after is None or (i.task.due_at, i.task.id) > after)
            and (state is None or i.state is state)
        ][:limit]

    async def _fresh(self, entries: Sequence[Item], now: datetime) -> list[TaskInfo]:
        """The tasks of these index entries, read consistently, in the entries' order; an
        entry whose task is gone or has another ``due_at`` now is dropped."""
        items: dict[str, Item] = {}
        keys = [{"pk": e["pk"], "sk": e["sk"]} for e in entries]
        for start in range(0, len(keys), _GET_BATCH):
            for item in await self._batch_get(keys[start : start + _GET_BATCH]):
                items[item["pk"]["S"]] = item
        out = []
        for entry in entries:
            found = items.get(entry["pk"]["S"])
            if found is None or found["due_at"] != entry["due_at"]:
                continue
            item = found
            expires = item.get("lx")
            out.append(
                TaskInfo.at(
                    from_item(Task, item),
                    item["lw"]["S"] if "lw" in item else None,
                    None if expires is None else from_micros(int(expires["N"])),
                    now,
                )
            )
        return out

    async def _batch_get(self, keys: list[dict[str, Any]]) -> list[Item]:
        """Consistent BatchGetItem of up to 100 keys, retrying ``UnprocessedKeys``."""
        got: list[Item] = []
        request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(self._c.retries + 1):
            answer = await self._c.call("batch_get_item", RequestItems=request)
            got.extend(answer.get("Responses", {}).get(self.table, ()))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return got
            await self._c._backoff(attempt + 1)
        raise StorageUnavailable("DynamoDB left keys of a task listing unprocessed; retry")
