"""The one place where cassandra-driver exceptions become pyworkflow errors.

Transient conditions (the caller may retry) -> :class:`StorageUnavailable`: a replica set
that cannot meet the consistency level (``Unavailable``), server-side timeouts
(``ReadTimeout``, ``WriteTimeout``), the client-side timeout (``OperationTimedOut``), no
reachable coordinator (``NoHostAvailable``), a dropped connection, an overloaded or
bootstrapping node. Refused credentials or permissions (``AuthenticationFailed``,
``Unauthorized``, and ``NoHostAvailable`` when every host refused the credentials) are
setup mistakes -> :class:`ConfigurationError`. Statements the server refuses
(``InvalidRequest``, ``SyntaxException``, ``ConfigurationException``) are bugs or schema
problems, not races -> :class:`SchemaError` when they concern the schema, else
:class:`StorageError`. Messages go through the backend's redaction so a password never
leaks; the caller keeps the driver exception as ``__cause__``.

A ``WriteTimeout`` on a *conditional* statement (``write_type`` CAS) has an unknown
outcome, and so has ``CAS_WRITE_UNKNOWN`` (error code 0x1700: a Paxos proposal accepted by
some replicas but not a quorum). Servers before protocol v5 send the latter as a CAS
``WriteTimeout``; on v5, which cassandra-driver negotiates with Cassandra 4.0+, it arrives as
a bare ``cassandra.protocol.ErrorMessage`` (the driver has no class for that code), so it is
recognized by its code. :func:`unknown_outcome` recognizes both so that the backend
resolves them by reading back, never by guessing; when that cannot be resolved it surfaces as
:class:`StorageUnavailable`, which the contract documents as "outcome unknown".
"""

from __future__ import annotations

from collections.abc import Callable

from cassandra import (
    AuthenticationFailed,
    ConfigurationException,
    CoordinationFailure,
    InvalidRequest,
    OperationTimedOut,
    ReadTimeout,
    Unauthorized,
    Unavailable,
    WriteTimeout,
    WriteType,
)
from cassandra.cluster import NoHostAvailable
from cassandra.connection import ConnectionException
from cassandra.protocol import (
    ErrorMessage,
    IsBootstrappingErrorMessage,
    OverloadedErrorMessage,
    ServerError,
    SyntaxException,
)
from pyworkflow.errors import (
    ConfigurationError,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)

__all__ = ["CAS_WRITE_UNKNOWN", "translate", "unknown_outcome"]

#: Protocol error code of ``CasWriteUnknownResultException`` (native protocol v5).
CAS_WRITE_UNKNOWN = 0x1700

_TRANSIENT: tuple[type[BaseException], ...] = (
    Unavailable,
    ReadTimeout,
    WriteTimeout,
    OperationTimedOut,
    NoHostAvailable,
    ConnectionException,
    CoordinationFailure,  # ReadFailure / WriteFailure: a replica failed, others may not
    OverloadedErrorMessage,
    IsBootstrappingErrorMessage,
    ConnectionError,
    TimeoutError,
)
_SCHEMA_WORDS = ("keyspace", "table", "column", "unconfigured", "undefined")


def unknown_outcome(exc: BaseException) -> bool:
    """Whether a failed *write* may nevertheless have been applied.

    True for a server ``WriteTimeout`` (any write type; CAS is the Paxos phase, SIMPLE or
    BATCH the commit phase of a conditional write), for ``CAS_WRITE_UNKNOWN`` and for the
    client-side ``OperationTimedOut`` (the request may have reached the coordinator).
    """
    return isinstance(exc, WriteTimeout | OperationTimedOut) or is_cas_write_unknown(exc)


def is_cas_write_unknown(exc: BaseException) -> bool:
    """The v5 ``CAS_WRITE_UNKNOWN`` error, which the driver raises as a bare ErrorMessage."""
    return isinstance(exc, ErrorMessage) and getattr(exc, "code", None) == CAS_WRITE_UNKNOWN


def is_cas_timeout(exc: BaseException) -> bool:
    """A lightweight transaction whose Paxos phase ended without a known result: a CAS
    ``WriteTimeout`` (protocol < v5) or ``CAS_WRITE_UNKNOWN`` (v5)."""
    if isinstance(exc, WriteTimeout):
        return bool(exc.write_type == WriteType.CAS)
    return is_cas_write_unknown(exc)


def _credentials_refused(exc: BaseException) -> bool:
    """A ``NoHostAvailable`` where every host refused the credentials (not a network error)."""
    errors = getattr(exc, "errors", None) if isinstance(exc, NoHostAvailable) else None
    if not isinstance(errors, dict) or not errors:
        return False
    return all(isinstance(e, AuthenticationFailed) for e in errors.values())


def translate(exc: BaseException, redact: Callable[[str], str]) -> PyWorkflowError:
    """The pyworkflow error for driver exception ``exc`` (message redacted by ``redact``)."""
    if isinstance(exc, PyWorkflowError):
        return exc
    text = redact(f"{type(exc).__name__}: {exc}")
    if is_cas_timeout(exc):
        return StorageUnavailable(f"outcome unknown: lightweight transaction timed out ({text})")
    if isinstance(exc, AuthenticationFailed | Unauthorized) or _credentials_refused(exc):
        return ConfigurationError(f"not allowed: {text}")
    if isinstance(exc, _TRANSIENT):
        return StorageUnavailable(text)
    if isinstance(exc, SyntaxException | ConfigurationException):
        return SchemaError(text)
    if isinstance(exc, InvalidRequest):
        lowered = str(exc).lower()
        if any(word in lowered for word in _SCHEMA_WORDS):
            return SchemaError(text)
        return StorageError(text)
    if isinstance(exc, ServerError):
        return StorageUnavailable(text)
    return StorageError(text)
