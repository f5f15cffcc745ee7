"""Tasks (durable timers and work queue), hooks and schedules of the DynamoDB backend.

Items (see the README for the whole table):

- task ``T#<id>``/``T``: the task's fields; ``g1pk="DUE"``, ``g1sk="<due_at>#<id>"`` (due
  tasks, earliest first); ``g2pk="TR#<run>"`` (tasks of a run, for retention); lease attributes
  ``lt`` (token), ``lw`` (worker), ``lx`` (expiry, epoch micros), absent when not leased.
- hook ``H#<token>``/``H``; ``g2pk="HR#<run>"``.
- schedule ``S#<id>``/``S``; ``g1pk="SCH"`` (all, by id), ``g2pk="SS#<status>"`` (by status).

A claim queries the due-tasks index, then takes each candidate with a conditional
``UpdateItem`` (due, and not leased or lease expired); a failed condition means another worker
got it first, so the candidate is skipped. The index is only a hint: the condition on the base
item is what guarantees that no two workers hold one task while a lease holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pyworkflow._ids import new_token
from pyworkflow.codec import record_changes, to_micros
from pyworkflow.errors import ConflictError, NotFound
from pyworkflow.models import (
    JSON,
    Hook,
    HookStatus,
    Lease,
    Schedule,
    ScheduleStatus,
    Task,
)
from pyworkflow.storage import StorageBackend

from ._client import Caller, error_code
from ._items import (
    GSI_CREATED,
    GSI_GROUP,
    TIME_BIAS,
    Item,
    _n,
    _s,
    attr,
    from_item,
    pad,
    time_key,
    to_item,
    update_parts,
)

__all__ = ["QueueMixin"]

_CCF_EXC = "ConditionalCheckFailedException"
_NOT_EXISTS = "attribute_not_exists(pk)"


def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": _s(pk), "sk": _s(sk)}


def _failed(exc: ClientError) -> bool:
    return error_code(exc) == _CCF_EXC


class QueueMixin(StorageBackend):
    """Task, hook and schedule primitives; mixed into :class:`DynamoDBBackend`."""

    _c: Caller
    table: str

    async def _get(self, pk: str, sk: str) -> Item | None:
        got = await self._c.call(
            "get_item", TableName=self.table, Key=_key(pk, sk), ConsistentRead=True
        )
        item: Item | None = got.get("Item")
        return item

    async def _put_new(self, item: Item) -> bool:
        """PutItem if the key is free; ``False`` if it exists."""
        try:
            await self._c.call(
                "put_item", TableName=self.table, Item=item, ConditionExpression=_NOT_EXISTS
            )
        except ClientError as exc:
            if _failed(exc):
                return False
            raise
        return True

    async def _update(self, key: dict[str, Any], cond: str, **params: Any) -> bool | None:
        """A conditional UpdateItem/DeleteItem: True if done, False if the item exists but the
        condition failed, None if there is no such item. ``op`` defaults to update_item."""
        op = params.pop("op", "update_item")
        try:
            await self._c.call(
                op,
                TableName=self.table,
                Key=key,
                ConditionExpression=cond,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **params,
            )
        except ClientError as exc:
            if _failed(exc):
                return False if exc.response.get("Item") else None
            raise
        return True

    # -- tasks ---------------------------------------------------------------------------------

    async def _enqueue(self, task: Task) -> bool:
        item = to_item(
            task,
            pk="T#" + task.id,
            sk="T",
            g1pk="DUE",
            g1sk=f"{time_key(task.due_at)}#{task.id}",
            g2pk="TR#" + task.run_id,
            g2sk=task.id,
        )
        return await self._put_new(item)

    async def _claim(
        self, worker: str, now: datetime, expires_at: datetime, limit: int
    ) -> list[Lease]:
        now_n = _n(to_micros(now))
        leases: list[Lease] = []
        async for cand in self._c.query(
            IndexName=GSI_CREATED,
            KeyConditionExpression="g1pk = :due AND g1sk < :hi",
            FilterExpression="attribute_not_exists(lx) OR lx <= :now",
            ExpressionAttributeValues={
                ":due": _s("DUE"),
                ":hi": _s(pad(to_micros(now) + TIME_BIAS + 1)),
                ":now": now_n,
            },
        ):
            token = new_token()
            try:
                got = await self._c.call(
                    "update_item",
                    TableName=self.table,
                    Key={"pk": cand["pk"], "sk": cand["sk"]},
                    UpdateExpression="SET attempts = attempts + :one, lt = :t, lw = :w, lx = :x",
                    ConditionExpression=(
                        "attribute_exists(pk) AND due_at <= :now"
                        " AND (attribute_not_exists(lx) OR lx <= :now)"
                    ),
                    ExpressionAttributeValues={
                        ":one": _n(1),
                        ":t": _s(token),
                        ":w": _s(worker),
                        ":x": _n(to_micros(expires_at)),
                        ":now": now_n,
                    },
                    ReturnValues="ALL_NEW",
                )
            except ClientError as exc:
                if _failed(exc):
                    continue  # another worker took it (or it was completed) meanwhile
                raise
            task = from_item(Task, got["Attributes"])
            leases.append(Lease(task=task, worker=worker, token=token, expires_at=expires_at))
            if len(leases) >= limit:
                break
        return leases

    async def _complete(self, task_id: str, token: str) -> bool:
        return bool(
            await self._update(
                _key("T#" + task_id, "T"),
                "lt = :t",
                op="delete_item",
                ExpressionAttributeValues={":t": _s(token)},
            )
        )

    async def _extend(self, task_id: str, token: str, expires_at: datetime) -> bool:
        return bool(
            await self._update(
                _key("T#" + task_id, "T"),
                "lt = :t",
                UpdateExpression="SET lx = :x",
                ExpressionAttributeValues={":t": _s(token), ":x": _n(to_micros(expires_at))},
            )
        )

    async def _release(self, task_id: str, token: str, due_at: datetime) -> bool:
        return bool(
            await self._update(
                _key("T#" + task_id, "T"),
                "lt = :t",
                UpdateExpression="SET due_at = :d, g1sk = :k REMOVE lt, lw, lx",
                ExpressionAttributeValues={
                    ":t": _s(token),
                    ":d": _n(to_micros(due_at)),
                    ":k": _s(f"{time_key(due_at)}#{task_id}"),
                },
            )
        )

    # -- hooks ---------------------------------------------------------------------------------

    async def _create_hook(self, hook: Hook) -> None:
        item = to_item(
            hook, pk="H#" + hook.token, sk="H", g2pk="HR#" + hook.run_id, g2sk=hook.token
        )
        if not await self._put_new(item):
            raise ConflictError("a hook with this token exists already")

    async def _get_hook(self, token: str) -> Hook | None:
        item = await self._get("H#" + token, "H")
        return None if item is None else from_item(Hook, item)

    async def _resolve_hook(self, token: str, payload: JSON, now: datetime) -> bool | None:
        return await self._update(
            _key("H#" + token, "H"),
            "#st = :pending AND (attribute_not_exists(expires_at) OR expires_at > :now)",
            UpdateExpression="SET #st = :received, payload = :p, received_at = :now",
            ExpressionAttributeNames={"#st": "status"},
            ExpressionAttributeValues={
                ":pending": _s(HookStatus.PENDING.value),
                ":received": _s(HookStatus.RECEIVED.value),
                ":p": attr(payload, Hook, "payload"),
                ":now": _n(to_micros(now)),
            },
        )

    # -- schedules -----------------------------------------------------------------------------

    async def _create_schedule(self, schedule: Schedule) -> None:
        item = to_item(
            schedule,
            pk="S#" + schedule.id,
            sk="S",
            g1pk="SCH",
            g1sk=schedule.id,
            g2pk="SS#" + schedule.status.value,
            g2sk=schedule.id,
        )
        if not await self._put_new(item):
            raise ConflictError(f"schedule {schedule.id!r} exists already")

    async def _get_schedule(self, schedule_id: str) -> Schedule | None:
        item = await self._get("S#" + schedule_id, "S")
        return None if item is None else from_item(Schedule, item)

    async def _update_schedule(
        self, schedule_id: str, changes: dict[str, Any], expected_revision: int | None
    ) -> bool:
        extra: dict[str, dict[str, Any] | None] = {}
        if "status" in changes:
            extra["g2pk"] = _s("SS#" + ScheduleStatus(changes["status"]).value)
        expr, names, values = update_parts(
            Schedule, record_changes(Schedule, changes), extra, increment="revision"
        )
        cond = "attribute_exists(pk)"
        if expected_revision is not None:
            cond += " AND #inc = :rev"
            values[":rev"] = _n(expected_revision)
        done = await self._update(
            _key("S#" + schedule_id, "S"),
            cond,
            UpdateExpression=expr,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        if done is None:
            raise NotFound(f"schedule {schedule_id!r} does not exist")
        return done

    async def _delete_schedule(self, schedule_id: str) -> bool:
        got = await self._c.call(
            "delete_item",
            TableName=self.table,
            Key=_key("S#" + schedule_id, "S"),
            ReturnValues="ALL_OLD",
        )
        return bool(got.get("Attributes"))

    async def _list_schedules(
        self, status: ScheduleStatus | None, limit: int, after_id: str | None
    ) -> list[Schedule]:
        if status is None:
            index, (hk, sk), partition = GSI_CREATED, ("g1pk", "g1sk"), "SCH"
        else:
            index, (hk, sk), partition = GSI_GROUP, ("g2pk", "g2sk"), "SS#" + status.value
        cond = "#h = :h"
        values: dict[str, Any] = {":h": _s(partition)}
        if after_id is not None:
            cond += " AND #s > :a"
            values[":a"] = _s(after_id)
        out: list[Schedule] = []
        async for item in self._c.query(
            IndexName=index,
            KeyConditionExpression=cond,
            ExpressionAttributeNames={"#h": hk, "#s": sk} if after_id else {"#h": hk},
            ExpressionAttributeValues=values,
            Limit=limit,
        ):
            out.append(from_item(Schedule, item))
            if len(out) >= limit:
                break
        return out
