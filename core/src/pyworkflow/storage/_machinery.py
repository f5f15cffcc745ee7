"""The machinery every public method of the storage contract shares: the open check, the
one place where driver errors are translated, the redaction of secrets, and the page of a
keyset listing (runs, tasks, schedules).

:class:`ContractBase` is the root of :class:`~pyworkflow.storage.StorageBackend` (see
:mod:`.base`); backends override :meth:`ContractBase._translate_error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pyworkflow._cursors import encode_cursor
from pyworkflow._primitives import BackendPrimitives
from pyworkflow.errors import PyWorkflowError, StorageError, StorageUnavailable
from pyworkflow.features import Features
from pyworkflow.models import Page

__all__ = ["MAX_PAGE", "ContractBase", "keyset_page"]

T = TypeVar("T")
#: the largest page a listing returns
MAX_PAGE = 1000


def keyset_page(rows: list[T], limit: int, position: Callable[[T], Sequence[Any]]) -> Page[T]:
    """The page of a keyset listing whose primitive was asked for ``limit + 1`` rows: the
    extra row only tells that a next page exists, and the cursor is the ``position`` of the
    last row shown."""
    if len(rows) <= limit:
        return Page(rows, None)
    return Page(rows[:limit], encode_cursor(*position(rows[limit - 1])))


class ContractBase(BackendPrimitives):
    """The state and helpers the public methods use (set up by ``StorageBackend.__init__``)."""

    features: Features  # the class attribute is documented on StorageBackend
    _open: bool
    _secrets: set[str]

    def _require_open(self) -> None:
        if not self._open:
            raise StorageError(
                f"{self!r} is not connected: use `async with backend:` or `await "
                "backend.connect()` first"
            )

    async def _call(self, awaitable: Awaitable[T]) -> T:
        """Await a primitive, translating any non-pyworkflow exception (keeping __cause__)."""
        try:
            return await awaitable
        except PyWorkflowError:
            raise
        except Exception as exc:
            raise self._translate_error(exc) from exc

    def _translate_error(self, exc: Exception) -> PyWorkflowError:
        """Map a driver exception to a pyworkflow error. Backends override this: the one
        place where their driver's errors are interpreted. The message must not carry the
        password (use :meth:`_redact`)."""
        text = self._redact(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, ConnectionError | TimeoutError | OSError):
            return StorageUnavailable(text)
        return StorageError(text)

    def _redact(self, text: str) -> str:
        """``text`` with every secret in ``self._secrets`` (the URL's password at least)
        replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
