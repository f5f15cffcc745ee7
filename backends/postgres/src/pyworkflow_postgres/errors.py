"""The one place where asyncpg exceptions become pyworkflow errors.

Transient (:class:`StorageUnavailable`, the caller may retry): SQLSTATE classes 08
(connection), 53 (insufficient resources), 57P (operator intervention, such as a shutdown or
a server still starting) and 58 (system error), and a lost or refused connection. Permanent:
serialization failures and deadlocks are lost races (:class:`ConflictError`); 54000 is
:class:`PayloadTooLarge`; a missing table or schema is :class:`SchemaError`; and setup
mistakes are :class:`ConfigurationError`: refused credentials (class 28), a database that
does not exist (3D000), missing privileges (42501), a TLS mode the server cannot satisfy
(``sslmode=require`` or stronger against a server without TLS, a certificate that does not
verify, a root certificate that cannot be read). Messages go through the backend's
redaction; the caller keeps the driver exception as ``__cause__``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import asyncpg
from pyworkflow.errors import (
    ConfigurationError,
    ConflictError,
    PayloadTooLarge,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)

__all__ = ["TLS_REQUIRED", "translate"]

#: The sslmode values that refuse a connection without TLS.
TLS_REQUIRED = ("require", "verify-ca", "verify-full")
_UNAVAILABLE_STATES = ("08", "53", "57P", "58")
_CONFIGURATION_STATES = ("28", "3D000", "42501")
# asyncpg's text when the server answers "no" to the TLS request (a server without TLS).
_NO_TLS = "rejected SSL upgrade"


def translate(exc: BaseException, redact: Callable[[str], str], sslmode: str) -> PyWorkflowError:
    """The pyworkflow error for driver exception ``exc`` (message redacted by ``redact``)."""
    if isinstance(exc, PyWorkflowError):
        return exc
    text = redact(f"{type(exc).__name__}: {exc}")
    state = getattr(exc, "sqlstate", None) or ""
    if isinstance(exc, asyncpg.UniqueViolationError) or state in ("40001", "40P01"):
        return ConflictError(text)
    if state.startswith(_UNAVAILABLE_STATES):
        return StorageUnavailable(text)
    if state == "54000":  # program_limit_exceeded: row/index entry too large
        return PayloadTooLarge(text)
    if state in ("42P01", "3F000"):  # undefined table / schema
        return SchemaError(text)
    if state.startswith(_CONFIGURATION_STATES):
        return ConfigurationError(text)
    if isinstance(exc, ConnectionError) and _NO_TLS in str(exc) and sslmode in TLS_REQUIRED:
        return ConfigurationError(
            f"the server does not offer TLS, and sslmode={sslmode} requires it: enable TLS on "
            f"the server, or use sslmode=prefer or disable ({text})"
        )
    if isinstance(exc, ssl.SSLCertVerificationError | asyncpg.ClientConfigurationError):
        return ConfigurationError(f"TLS setup failed with sslmode={sslmode}: {text}")
    if isinstance(
        exc,
        asyncpg.InterfaceError
        | asyncpg.PostgresConnectionError
        | asyncpg.exceptions.InternalClientError
        | OSError
        | TimeoutError,
    ):
        # Lost or refused connection, pool closing, server gone: transient. A server that
        # shuts down mid-operation can also leave a connection's protocol state broken
        # ("another operation is in progress"), raised before anything is sent.
        return StorageUnavailable(text)
    return StorageError(text)
