"""The exceptions pyworkflow raises.

Every error a backend can produce is one of these; driver exceptions are translated in one
place per backend (``StorageBackend._translate_error``) and kept as ``__cause__``.

    PyWorkflowError
    ├── StorageError
    │   ├── ConflictError        (optimistic-concurrency loss, duplicate id)
    │   │   └── LeaseLost        (the task lease is no longer held by this caller)
    │   ├── NotFound
    │   ├── StorageUnavailable   (transient: the caller may retry)
    │   ├── PayloadTooLarge
    │   ├── InvalidInput         (also a ValueError; nothing was written)
    │   └── SchemaError          (schema missing, newer than this code, or migration failed)
    └── MissingDependency        (also an ImportError; names the pip line to run)
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
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


class PayloadTooLarge(StorageError):
    """A value is larger than the backend declares in ``features.max_event_bytes``."""


class InvalidInput(StorageError, ValueError):
    """An argument is malformed (bad id, naive datetime, non-JSON data...). Nothing was written."""


class SchemaError(StorageError):
    """The schema is missing, newer than this code understands, or a migration failed."""


class MissingDependency(PyWorkflowError, ImportError):
    """A backend's package is not installed, or no backend is registered for a URL scheme."""
