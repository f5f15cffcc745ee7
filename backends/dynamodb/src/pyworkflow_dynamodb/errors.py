"""The one place where botocore/DynamoDB errors become pyworkflow errors.

Transient (:class:`StorageUnavailable`): throttling that outlasted the retries, a connection
or HTTP failure, a timeout. Permanent: a failed condition (:class:`ConflictError`), an item
or transaction over DynamoDB's size limits (:class:`PayloadTooLarge`), a missing table
(:class:`SchemaError`, with ``create_table=false``), and setup mistakes
(:class:`ConfigurationError`): no credentials or region, credentials or signatures the
service refuses, missing permissions. Messages go through the backend's redaction; the
caller keeps the driver exception as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from pyworkflow.errors import (
    ConfigurationError,
    ConflictError,
    PayloadTooLarge,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)

from ._client import cancellation_codes, error_code, is_throttle

__all__ = ["CONDITION_FAILED", "translate"]

#: The cancellation reason of a failed condition inside a transaction.
CONDITION_FAILED = "ConditionalCheckFailed"
#: Refused credentials or permissions: no retry fixes them.
_CONFIGURATION = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        "MissingAuthenticationTokenException",
        "InvalidClientTokenId",
    }
)


def translate(
    exc: BaseException, redact: Callable[[str], str], table: str, throttle_retries: int
) -> PyWorkflowError:
    """The pyworkflow error for ``exc`` (message redacted by ``redact``)."""
    if isinstance(exc, PyWorkflowError):
        return exc
    text = redact(f"{type(exc).__name__}: {exc}")
    code = error_code(exc)
    if code == "TransactionCanceledException" and CONDITION_FAILED in cancellation_codes(exc):
        return ConflictError(text)
    if code == "ConditionalCheckFailedException":
        return ConflictError(text)
    if is_throttle(exc):
        return StorageUnavailable(f"throttled after {throttle_retries} retries: {text}")
    # "Item size has exceeded...", "Transaction request cannot exceed 4 MB"
    lowered = text.lower()
    if code in ("ValidationException", "TransactionCanceledException") and (
        "size" in lowered or "cannot exceed" in lowered
    ):
        return PayloadTooLarge(f"{text} (DynamoDB items are limited to 400 KB)")
    if code == "ResourceNotFoundException":
        return SchemaError(f"DynamoDB table {table!r} is missing: {text}")
    if code in _CONFIGURATION or isinstance(exc, NoCredentialsError | NoRegionError):
        return ConfigurationError(f"{text}: configure the AWS credential chain / region option")
    if isinstance(exc, BotoConnectionError | HTTPClientError | OSError | TimeoutError):
        return StorageUnavailable(text)
    if isinstance(exc, ClientError | BotoCoreError):
        return StorageError(text)
    return StorageError(text)
