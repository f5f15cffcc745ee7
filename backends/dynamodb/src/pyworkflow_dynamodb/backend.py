"""``DynamoDBBackend``: lifecycle, errors, the event log, runs and retention.

The table layout is described in this package's README (single table, one LSI, four GSIs).
Tasks, hooks and schedules live in :mod:`._queue`. Every request goes through one long-lived
aioboto3 client, opened in ``connect()`` and closed in ``close()``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import ClientError
from pyworkflow._encoded import RUN_JSON_FIELDS, EncodedRun
from pyworkflow._rows import decode_many, event
from pyworkflow._validate import EncodedEvent
from pyworkflow.codec import from_micros, record_changes, to_micros
from pyworkflow.errors import (
    ConflictError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PyWorkflowError,
)
from pyworkflow.features import Features
from pyworkflow.models import Event, RunFilter, RunStatus, WorkflowRun
from pyworkflow.urls import Options

from ._client import Caller, cancellation_codes, error_code
from ._items import (
    GSI_CREATED,
    GSI_DONE,
    GSI_GROUP,
    GSI_PARENT,
    LSI_SEQ,
    _n,
    _s,
    done_attrs,
    from_item,
    pad,
    run_index_attrs,
    time_key,
    to_item,
    update_parts,
)
from ._limits import (
    ITEM_LIMIT,
    MAX_BATCH,
    MAX_EVENT_BYTES,
    TRANSACTION_LIMIT,
    event_footprint,
    item_size,
)
from ._queue import QueueMixin
from ._table import ensure_table
from ._task_list import TaskListing
from .errors import CONDITION_FAILED as _CCF
from .errors import translate

__all__ = ["DynamoDBBackend"]

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


class DynamoDBBackend(TaskListing, QueueMixin):
    """Stores everything in one DynamoDB table, through one long-lived aioboto3 client.

    URL: ``dynamodb://TABLE?region=...&endpoint_url=...``; credentials come from the standard
    AWS chain (environment, profile, instance role), never from the URL. Options:
    ``region``, ``endpoint_url``, ``create_table`` (default true), ``throttle_retries``
    (default 8), ``timeout`` (seconds, default 10), ``page_size`` (Query page size; for tests).
    """

    schemes = ("dynamodb",)
    #: Both limits are derived from DynamoDB's documented sizes in :mod:`._limits`: an event
    #: item and its LSI entry share 400 KB, and a whole append is one transaction of <= 4 MB.
    features = Features(max_event_bytes=MAX_EVENT_BYTES, max_batch=MAX_BATCH)

    def _configure(self, options: Options) -> None:
        table = self.url.host or self.url.database
        if not _TABLE_NAME.match(table or "") or len(self.url.hosts) > 1 or self.url.port:
            raise InvalidInput(
                f"bad DynamoDB table in {self.url.render()!r}: expected dynamodb://TABLE with "
                "3-255 characters from A-Z a-z 0-9 _ . -"
            )
        if self.url.host and self.url.database:
            raise InvalidInput(f"dynamodb://TABLE takes no path: {self.url.render()!r}")
        self.table = table
        self._region = options.take_str("region")
        self._endpoint = options.take_str("endpoint_url")
        self._create = options.take_bool("create_table", True)
        self._throttle_retries = options.take_int("throttle_retries", 8, minimum=0)
        self._timeout = options.take_float("timeout", 10.0, minimum=0.001)
        page = options.take_int("page_size", 0, minimum=0)
        self._page_size = page or None

    # -- lifecycle and errors ------------------------------------------------------------------

    async def _connect(self) -> None:
        # Refused here rather than in the constructor so that a URL object can still be built
        # and shown (redacted); it can never be used.
        if self.url.username is not None or self.url.password is not None:
            raise InvalidInput(
                "a dynamodb:// URL takes no credentials; they come from the AWS credential "
                "chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role)"
            )
        config = Config(
            retries={"max_attempts": 1, "mode": "standard"},  # our Caller retries, visibly
            connect_timeout=self._timeout,
            read_timeout=self._timeout,
            max_pool_connections=64,
        )
        self._cm = aioboto3.Session().client(
            "dynamodb", region_name=self._region, endpoint_url=self._endpoint, config=config
        )
        client = await self._cm.__aenter__()
        self._c = Caller(client, self.table, self._throttle_retries, self._page_size)
        try:
            await ensure_table(self._c, self._create)
        except BaseException:
            await self._cm.__aexit__(None, None, None)
            raise

    async def _close(self) -> None:
        await self._cm.__aexit__(None, None, None)

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        return translate(exc, self._redact, self.table, self._throttle_retries)

    # -- event log ---------------------------------------------------------------------------
    # Partition "E#<run>": the version item (sk "V", attribute v = last sequence) and one item
    # per event keyed by its id (sk "I#<id>"), with the sequence as the LSI sort key q.

    async def _append(self, run_id: str, events: list[EncodedEvent], expected_version: int) -> int:
        pk = _s("E#" + run_id)
        new = expected_version + len(events)
        guard: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": pk, "sk": _s("V")},
            "UpdateExpression": "SET v = :n",
        }
        if expected_version == 0:
            guard["ConditionExpression"] = "attribute_not_exists(v)"
            guard["ExpressionAttributeValues"] = {":n": _n(new)}
        else:
            guard["ConditionExpression"] = "v = :e"
            guard["ExpressionAttributeValues"] = {":n": _n(new), ":e": _n(expected_version)}
        actions: list[dict[str, Any]] = [{"Update": guard}]
        # The transaction's items: the version item as it will be, then the events.
        total = item_size({"pk": pk, "sk": _s("V"), "v": _n(new)})
        for seq, e in enumerate(events, expected_version + 1):
            item = {
                "pk": pk,
                "sk": _s("I#" + e.id),
                "q": _s(pad(seq)),
                "t": _s(e.type),
                "d": _s(e.data),
                "ts": _n(to_micros(e.timestamp)),
            }
            # Checked here, before sending: moto enforces neither rule, and DynamoDB would
            # refuse the request anyway. Within max_event_bytes and max_batch neither fires;
            # they keep the item layout and the declared features honest.
            size = item_size(item)
            footprint = event_footprint(item, size)
            if footprint > ITEM_LIMIT:
                raise PayloadTooLarge(
                    f"event {e.id!r}: its item and its index entry take {footprint} bytes; "
                    f"DynamoDB allows {ITEM_LIMIT} (400 KB) together"
                )
            total += size
            actions.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        if total > TRANSACTION_LIMIT:
            raise PayloadTooLarge(
                f"{len(events)} events take {total} bytes; one DynamoDB transaction allows "
                f"{TRANSACTION_LIMIT} (4 MB)"
            )
        try:
            await self._c.call("transact_write_items", TransactItems=actions)
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == _CCF:
                raise ConflictError(f"run {run_id!r} is not at version {expected_version}") from exc
            if _CCF in codes:
                dup = events[codes.index(_CCF, 1) - 1].id
                raise ConflictError(f"event id {dup!r} is already in run {run_id!r}") from exc
            raise
        return new

    async def _read(
        self, run_id: str, after: int, limit: int | None, types: frozenset[str] | None
    ) -> list[Event]:
        params: dict[str, Any] = {
            "IndexName": LSI_SEQ,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :p AND q > :a",
            "ExpressionAttributeValues": {":p": _s("E#" + run_id), ":a": _s(pad(after))},
        }
        if types is not None and len(types) <= 100:  # IN takes at most 100 operands
            names = sorted(types)
            params["FilterExpression"] = (
                "t IN (" + ", ".join(f":t{i}" for i in range(len(names))) + ")"
            )
            params["ExpressionAttributeValues"].update(
                {f":t{i}": _s(t) for i, t in enumerate(names)}
            )
        elif limit is not None:
            params["Limit"] = limit
        items: list[dict[str, Any]] = []
        async for item in self._c.query(**params):
            if types is not None and item["t"]["S"] not in types:
                continue
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
        # All data texts decoded at once (orjson, json.loads as the reference), events built by
        # the shared slot builder: what Event(...) builds, at a fraction of the CPU.
        datas = decode_many([item["d"]["S"] for item in items])
        return [
            event(
                run_id,
                int(item["q"]["S"]),
                item["sk"]["S"][2:],
                item["t"]["S"],
                data,
                from_micros(int(item["ts"]["N"])),
            )
            for item, data in zip(items, datas, strict=True)
        ]

    async def _version(self, run_id: str) -> int:
        got = await self._c.call(
            "get_item",
            TableName=self.table,
            Key={"pk": _s("E#" + run_id), "sk": _s("V")},
            ConsistentRead=True,
            ProjectionExpression="v",
        )
        item = got.get("Item")
        return int(item["v"]["N"]) if item else 0

    # -- runs ------------------------------------------------------------------------------
    # Run "R#<id>"/"R" with GSI keys (see run_index_attrs); idempotency key "K#<key>"/"K".

    async def _create_run(self, new: EncodedRun) -> tuple[WorkflowRun, bool]:
        run = new.run
        item = to_item(
            run,
            dict(zip(RUN_JSON_FIELDS, new[1:], strict=True)),  # as validation encoded them
            pk="R#" + run.id,
            sk="R",
            **run_index_attrs(
                run.id, run.created_at, run.workflow_name, run.parent_id, run.completed_at
            ),
        )
        put = {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        key = run.idempotency_key
        try:
            if key is None:
                await self._c.call("put_item", **put)
            else:
                claim = {
                    "TableName": self.table,
                    "Item": {"pk": _s("K#" + key), "sk": _s("K"), "run": _s(run.id)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
                await self._c.call(
                    "transact_write_items", TransactItems=[{"Put": put}, {"Put": claim}]
                )
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if key is not None and len(codes) == 2 and codes[1] == _CCF:
                existing = await self._by_key(key)
                if existing is not None:
                    return existing, False
            if error_code(exc) == "ConditionalCheckFailedException" or _CCF in codes:
                raise ConflictError(f"run {run.id!r} exists already") from exc
            raise
        return run, True

    async def _by_key(self, key: str) -> WorkflowRun | None:
        got = await self._get(f"K#{key}", "K")
        return None if got is None else await self._get_run(got["run"]["S"])

    async def _get_run(self, run_id: str) -> WorkflowRun | None:
        item = await self._get("R#" + run_id, "R")
        return None if item is None else from_item(WorkflowRun, item)

    async def _update_run(
        self, run_id: str, changes: dict[str, Any], expected_status: RunStatus | None
    ) -> bool:
        extra: dict[str, dict[str, Any] | None] = {}
        if "completed_at" in changes:
            done = changes["completed_at"]
            attrs = {} if done is None else done_attrs(run_id, done)
            extra = {k: (_s(attrs[k]) if k in attrs else None) for k in ("g4pk", "g4sk")}
        expr, names, values = update_parts(WorkflowRun, record_changes(WorkflowRun, changes), extra)
        cond = "attribute_exists(pk)"
        if expected_status is not None:
            cond += " AND #st = :st"
            names["#st"] = "status"
            values[":st"] = _s(expected_status.value)
        try:
            await self._c.call(
                "update_item",
                TableName=self.table,
                Key={"pk": _s("R#" + run_id), "sk": _s("R")},
                UpdateExpression=expr,
                ConditionExpression=cond,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            if exc.response.get("Item"):
                return False
            raise NotFound(f"run {run_id!r} does not exist") from exc
        return True

    async def _list_runs(
        self, flt: RunFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[WorkflowRun]:
        if flt.statuses is not None and not flt.statuses:
            return []  # no status can match (and DynamoDB refuses an empty IN)
        if flt.parent_id is not None:
            index, (hk, sk), partition = GSI_PARENT, ("g3pk", "g3sk"), "P#" + flt.parent_id
        elif flt.workflow_name is not None:
            index, (hk, sk), partition = GSI_GROUP, ("g2pk", "g2sk"), "W#" + flt.workflow_name
        else:
            index, (hk, sk), partition = GSI_CREATED, ("g1pk", "g1sk"), "RUN"
        # Sort keys are "<created>#<id>": an exclusive upper bound from the cursor (the cursor's
        # own item is dropped below) or created_before (a bare prefix, equal to no item).
        uppers = [f"{time_key(after[0])}#{after[1]}"] if after else []
        if flt.created_before is not None:
            uppers.append(time_key(flt.created_before))
        hi = min(uppers) if uppers else None
        lo = None if flt.created_after is None else time_key(flt.created_after)
        values: dict[str, Any] = {":h": _s(partition)}
        cond = "#h = :h"
        if lo is not None and hi is not None:
            if lo > hi:
                return []
            cond += " AND #s BETWEEN :lo AND :hi"
            values |= {":lo": _s(lo), ":hi": _s(hi)}
        elif hi is not None:
            cond += " AND #s < :hi"
            values[":hi"] = _s(hi)
        elif lo is not None:
            cond += " AND #s >= :lo"
            values[":lo"] = _s(lo)
        names = {"#h": hk}
        if hi is not None or lo is not None:
            names["#s"] = sk
        params: dict[str, Any] = {"IndexName": index, "ScanIndexForward": False}
        filters = []
        if flt.statuses is not None:
            names["#st"] = "status"
            ops = [f":st{i}" for i in range(len(flt.statuses))]
            values |= {op: _s(s.value) for op, s in zip(ops, sorted(flt.statuses), strict=True)}
            filters.append(f"#st IN ({', '.join(ops)})")
        if flt.parent_id is not None and flt.workflow_name is not None:
            names["#wf"] = "workflow_name"
            values[":wf"] = _s(flt.workflow_name)
            filters.append("#wf = :wf")
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        else:
            params["Limit"] = limit + 1
        out: list[WorkflowRun] = []
        async for item in self._c.query(
            KeyConditionExpression=cond,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            **params,
        ):
            if hi is not None and item[sk]["S"] == hi:
                continue
            out.append(from_item(WorkflowRun, item))
            if len(out) >= limit:
                break
        return out

    # -- retention -----------------------------------------------------------------------------

    async def _delete_runs(self, older_than: datetime, statuses: frozenset[RunStatus]) -> int:
        """Delete qualifying runs: first, atomically, the run item and its idempotency key
        together with a purge marker (so the run is gone from every read at once), then the
        run's events, tasks and hooks, then the marker. A sweep interrupted after the first
        step leaves the marker, and the next sweep finishes the purge before anything else."""
        async for marker in self._c.query(
            IndexName=GSI_CREATED,
            KeyConditionExpression="g1pk = :d",
            ExpressionAttributeValues={":d": _s("DEL")},
        ):
            await self._purge(marker["g1sk"]["S"])
        ops = [f":st{i}" for i in range(len(statuses))]
        values: dict[str, Any] = {
            op: _s(s.value) for op, s in zip(ops, sorted(statuses), strict=True)
        }
        status_in = f"#st IN ({', '.join(ops)})"
        candidates = [
            item
            async for item in self._c.query(
                IndexName=GSI_DONE,
                KeyConditionExpression="g4pk = :done AND g4sk < :cut",
                FilterExpression=status_in,
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={
                    ":done": _s("DONE"),
                    ":cut": _s(time_key(older_than)),
                    **values,
                },
            )
        ]
        deleted = 0
        for item in candidates:
            run_id = item["id"]["S"]
            actions: list[dict[str, Any]] = [
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": {"pk": _s("R#" + run_id), "sk": _s("R")},
                        # still qualifying: a concurrent update or sweep makes us skip it
                        "ConditionExpression": f"{status_in} AND completed_at < :cut",
                        "ExpressionAttributeNames": {"#st": "status"},
                        "ExpressionAttributeValues": {":cut": _n(to_micros(older_than)), **values},
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            "pk": _s("X#" + run_id),
                            "sk": _s("X"),
                            "g1pk": _s("DEL"),
                            "g1sk": _s(run_id),
                        },
                    }
                },
            ]
            if "idempotency_key" in item:
                key = {"pk": _s("K#" + item["idempotency_key"]["S"]), "sk": _s("K")}
                actions.append({"Delete": {"TableName": self.table, "Key": key}})
            try:
                await self._c.call("transact_write_items", TransactItems=actions)
            except ClientError as exc:
                if _CCF in cancellation_codes(exc):
                    continue
                raise
            deleted += 1
            await self._purge(run_id)
        return deleted

    async def _purge(self, run_id: str) -> None:
        """Delete the events, tasks and hooks of a run already removed, then its marker."""
        keys = [
            {"pk": item["pk"], "sk": item["sk"]}
            async for item in self._c.query(
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": _s("E#" + run_id)},
                ProjectionExpression="pk, sk",
                ConsistentRead=True,
            )
        ]
        for group in ("TR#", "HR#"):
            keys += [
                {"pk": item["pk"], "sk": item["sk"]}
                async for item in self._c.query(
                    IndexName=GSI_GROUP,
                    KeyConditionExpression="g2pk = :g",
                    ExpressionAttributeValues={":g": _s(group + run_id)},
                    ProjectionExpression="pk, sk",
                )
            ]
        await self._c.delete_keys(keys)
        await self._c.call(
            "delete_item", TableName=self.table, Key={"pk": _s("X#" + run_id), "sk": _s("X")}
        )
