"""Calls through the one long-lived aioboto3 client: throttling retries, pagination, batches.

botocore's own retries are switched off (``max_attempts=1``) so that there is exactly one,
bounded and visible retry policy: :class:`Caller` retries throttling and transaction conflicts
with full jitter ``throttle_retries`` times, then lets the error through, and the backend's
``_translate_error`` turns it into :class:`~pyworkflow.errors.StorageUnavailable`. A retry of a
request DynamoDB refused for throttling is always safe: a refused request wrote nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from typing import Any

from botocore.exceptions import ClientError
from pyworkflow.errors import StorageUnavailable

__all__ = [
    "THROTTLE_CODES",
    "Caller",
    "cancellation_codes",
    "error_code",
    "is_throttle",
]

#: Error codes meaning "try again later"; nothing was written.
THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceeded",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "TransactionConflict",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
BATCH_SIZE = 25  # BatchWriteItem limit


def error_code(exc: BaseException) -> str | None:
    """The DynamoDB error code of a botocore ClientError, else ``None``."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or None
    return None


def cancellation_codes(exc: BaseException) -> list[str]:
    """Per-item reason codes of a TransactionCanceledException (``"None"`` for fine items)."""
    if not isinstance(exc, ClientError):
        return []
    reasons = exc.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]


def is_throttle(exc: BaseException) -> bool:
    """Whether ``exc`` is transient: throttled, or a transaction cancelled only by contention."""
    code = error_code(exc)
    if code in THROTTLE_CODES:
        return True
    if code == "TransactionCanceledException":
        codes = [c for c in cancellation_codes(exc) if c not in ("None", "")]
        return bool(codes) and all(c in THROTTLE_CODES for c in codes)
    return False


class Caller:
    """Wraps the client: bounded jittered retries of throttled calls, paging helpers."""

    def __init__(self, client: Any, table: str, retries: int, page_size: int | None) -> None:
        self.client = client
        self.table = table
        self.retries = retries
        self.page_size = page_size

    async def _backoff(self, attempt: int) -> None:
        await asyncio.sleep(random.uniform(0, min(1.0, 0.025 * 2**attempt)))

    async def call(self, op: str, **params: Any) -> dict[str, Any]:
        """``client.<op>(**params)``, retrying throttling up to ``retries`` times."""
        method = getattr(self.client, op)
        attempt = 0
        while True:
            try:
                result: dict[str, Any] = await method(**params)
                return result
            except ClientError as exc:
                if attempt >= self.retries or not is_throttle(exc):
                    raise
                attempt += 1
                await self._backoff(attempt)

    async def query(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item of a Query, following ``LastEvaluatedKey`` page after page."""
        params.setdefault("TableName", self.table)
        if self.page_size is not None:
            params["Limit"] = self.page_size
        while True:
            page = await self.call("query", **params)
            for item in page.get("Items", ()):
                yield item
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last

    async def delete_keys(self, keys: Sequence[dict[str, Any]]) -> None:
        """Delete items by key with BatchWriteItem, retrying ``UnprocessedItems``.

        Unprocessed items are retried with backoff ``retries`` times; if some are still
        unprocessed then, :class:`StorageUnavailable` is raised (deletes are idempotent, so
        the caller may simply run again).
        """
        for start in range(0, len(keys), BATCH_SIZE):
            requests: list[dict[str, Any]] = [
                {"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_SIZE]
            ]
            attempt = 0
            while requests:
                result = await self.call("batch_write_item", RequestItems={self.table: requests})
                requests = list((result.get("UnprocessedItems") or {}).get(self.table, ()))
                if not requests:
                    break
                if attempt >= self.retries:
                    raise StorageUnavailable(
                        f"{len(requests)} deletes still unprocessed after {attempt} retries"
                    )
                attempt += 1
                await self._backoff(attempt)
