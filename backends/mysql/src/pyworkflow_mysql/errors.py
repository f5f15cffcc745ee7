"""The one place where aiomysql/PyMySQL exceptions become pyworkflow errors.

Transient (:class:`StorageUnavailable`, the caller may retry): the server cannot be reached,
went away, is shutting down or has too many connections. Permanent: a lost race
(:class:`ConflictError`), a value too large (:class:`PayloadTooLarge`), a missing table
(:class:`SchemaError`), and setup mistakes (:class:`ConfigurationError`): refused
credentials or privileges, an unknown database, a TLS certificate that does not verify.
Messages go through the backend's redaction; the caller keeps the driver exception as
``__cause__``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pymysql
from pyworkflow.errors import (
    ConfigurationError,
    ConflictError,
    PayloadTooLarge,
    PyWorkflowError,
    SchemaError,
    StorageError,
    StorageUnavailable,
)

__all__ = ["errno_of", "translate"]

_UNAVAILABLE = {
    1040,  # too many connections
    1053,  # server shutdown in progress
    1927,  # connection was killed (MariaDB)
    2002,
    2003,
    2006,
    2013,
    2014,
    2055,  # cannot connect, gone away, lost, out of sync
    4031,  # disconnected by the server (MySQL 8)
}
_CONFLICT = {1062, 1213, 1205}  # duplicate key, deadlock, lock wait timeout: a lost race
_TOO_LARGE = {1153, 1301, 1406}  # packet too large, result too large, data too long
_SCHEMA = {1146}  # no such table
_CONFIGURATION = {
    1044,  # access denied to the database
    1045,  # access denied (user or password)
    1049,  # unknown database
    1142,  # command denied (privileges)
    1227,  # access denied: needs a privilege
    1251,  # the server wants an authentication protocol the client lacks
    1698,  # access denied (MariaDB/MySQL: a user bound to another auth plugin)
    2026,  # TLS connection error
}


def errno_of(exc: BaseException) -> int | None:
    """The MySQL error number of a PyMySQL exception, else ``None``."""
    if isinstance(exc, pymysql.err.MySQLError) and exc.args and isinstance(exc.args[0], int):
        return exc.args[0]
    return None


def _tls_failure(exc: BaseException) -> BaseException | None:
    """The certificate error behind a failed connect (aiomysql wraps it in error 2003)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def translate(exc: BaseException, redact: Callable[[str], str]) -> PyWorkflowError:
    """The pyworkflow error for driver exception ``exc`` (message redacted by ``redact``)."""
    if isinstance(exc, PyWorkflowError):
        return exc
    text = redact(f"{type(exc).__name__}: {exc}")
    code = errno_of(exc)
    if code in _CONFLICT:
        return ConflictError(text)
    if code in _TOO_LARGE:
        return PayloadTooLarge(text)
    tls = _tls_failure(exc)
    if tls is not None:
        return ConfigurationError(
            f"the server's TLS certificate does not verify ({redact(str(tls))}): {text}"
        )
    if code in _CONFIGURATION:
        return ConfigurationError(text)
    if code in _UNAVAILABLE or isinstance(exc, pymysql.err.InterfaceError | OSError | TimeoutError):
        return StorageUnavailable(text)
    if code in _SCHEMA:
        return SchemaError(text)
    return StorageError(text)
