"""The exceptions pyworkflow raises.

Every error a backend can produce is one of these; driver exceptions are translated in one
place per backend (``StorageBackend._translate_error``) and kept as ``__cause__``.

Each error is of one of two kinds, told by its class attribute ``transient``: **transient**
(only :class:`StorageUnavailable`: the store could not be reached or timed out, and the same
call may succeed if retried) or **permanent** (every other error: retrying the same call
cannot help; fix the configuration, the schema or the input). docs/errors.md maps each
backend's driver errors to these classes.

    PyWorkflowError
    ├── StorageError
    │   ├── ConflictError        (optimistic-concurrency loss, duplicate id)
    │   │   └── LeaseLost        (the task lease is no longer held by this caller)
    │   ├── NotFound
    │   ├── StorageUnavailable   (transient: the caller may retry)
    │   ├── PayloadTooLarge
    │   ├── InvalidInput         (also a ValueError; nothing was written)
    │   ├── SchemaError          (schema missing, newer than this code, or migration failed)
    │   └── ConfigurationError   (the store cannot be used as configured: fix the URL/server)
    └── MissingDependency        (also an ImportError; names the pip line to run)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "InvalidConfiguration",
    "InvalidInput",
    "LeaseLost",
    "MissingDependency",
    "NotFound",
    "PayloadTooLarge",
    "PyWorkflowError",
    "SchemaError",
    "StorageError",
    "StorageUnavailable",
]


class PyWorkflowError(Exception):
    """Base class of every error raised by pyworkflow."""

    #: Whether retrying the same call may succeed (True only for :class:`StorageUnavailable`).
    transient: ClassVar[bool] = False


class StorageError(PyWorkflowError):
    """A storage operation failed."""


class ConflictError(StorageError):
    """A concurrent writer won: the expected version or status did not match, or the id exists.

    Nothing was written by the call that raised it.
    """


class LeaseLost(ConflictError):
    """The task lease is no longer held: it was completed, released, or re-claimed elsewhere."""


class NotFound(StorageError):
    """The id named by the call does not exist."""


class StorageUnavailable(StorageError):
    """The store could not be reached or timed out. Transient: the caller may retry.

    The outcome of a write that raised this is unknown; the base class resolves it for
    ``append`` by reading back the event ids.
    """

    transient = True


class PayloadTooLarge(StorageError):
    """A value is larger than the backend declares in ``features.max_event_bytes``."""


class InvalidInput(StorageError, ValueError):
    """An argument is malformed (bad id, naive datetime, non-JSON data...). Nothing was written."""


class SchemaError(StorageError):
    """The schema is missing, newer than this code understands, or a migration failed."""


class ConfigurationError(StorageError):
    """The store cannot be used as configured. Permanent: retrying will not help.

    Raised (mostly by ``connect``) for a setup mistake the server or the disk reports: the
    credentials are refused, the database or the directory of a SQLite file does not exist,
    the URL requires TLS (``sslmode=require`` and stronger, ``ssl=true``) and the server does
    not offer it or its certificate does not verify. The message says what to fix; it never
    holds the password.
    """


class InvalidConfiguration(ConfigurationError, ValueError):
    """A configuration key, file, environment variable or storage dict is wrong: an unknown
    key, unreadable YAML, an unknown storage ``type``. Raised before anything is opened or
    changed. A ``ValueError`` too, as the predecessor raised for the same mistakes."""


class MissingDependency(PyWorkflowError, ImportError):
    """A backend's package is not installed, or no backend is registered for a URL scheme."""
