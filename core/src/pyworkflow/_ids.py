"""Identifier generation and validation shared by every backend."""

from __future__ import annotations

import os
import re
import secrets
import time

from .errors import InvalidInput

__all__ = ["MAX_ID_BYTES", "check_id", "new_id", "new_token"]

#: Longest id, in UTF-8 bytes, accepted anywhere (fits an indexed VARCHAR(255) utf8mb4 column
#: on MySQL, a DynamoDB key, a file name component after encoding).
MAX_ID_BYTES = 255
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


#: Ids that passed :func:`check_id`: validity depends on the text alone, and the same run id
#: and event types come back on every append, so they are checked once. Only exact ``str``
#: values are added and looked up (an equal ``str`` is the same text); bounded by clearing
#: it when full.
_VALID: set[str] = set()
_VALID_MAX = 4096


def _remember(value: str) -> None:
    if len(_VALID) >= _VALID_MAX:
        _VALID.clear()
    _VALID.add(value)


def new_id() -> str:
    """A 32-hex-digit id that sorts by creation time (48-bit ms clock + 80 random bits).

    Time order keeps B-tree inserts local on the SQL backends; the random part keeps it unique.
    """
    return f"{int(time.time() * 1000):012x}{os.urandom(10).hex()}"


def new_token() -> str:
    """An unguessable token (256 bits of randomness, URL-safe), never starting with ``-``.

    One token in 64 would otherwise start with ``-`` and be read as an option by a command
    line (``pyworkflow hooks resume TOKEN``) or a shell tool; drawing again costs nothing.
    """
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def check_id(value: object, what: str, *, remember: bool = True) -> str:
    """Return ``value`` if it is a usable id, else raise :class:`InvalidInput`.

    An id is a non-empty ``str`` of at most :data:`MAX_ID_BYTES` UTF-8 bytes with no control
    characters. Any other character (unicode, quotes, SQL-looking text) is stored literally.
    ``remember=False`` for an id seen once (a fresh event id): caching it would only evict
    the run ids and event types that do come back.
    """
    if type(value) is str and value in _VALID:  # a run id or event type checked before
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a str, got {type(value).__name__}")
    if not value:
        raise InvalidInput(f"{what} must not be empty")
    if value.isascii():
        # The common case, on every append's hot path: an ASCII str is its own UTF-8 (and
        # ``isascii`` is O(1)), so neither encoding below is needed. Among ASCII characters
        # the non-printable ones are exactly ``_FORBIDDEN``'s (0x00-0x1f, 0x7f), and
        # ``isprintable`` is a C loop, ~3x cheaper than the regex search.
        if len(value) > MAX_ID_BYTES:
            raise InvalidInput(f"{what} is longer than {MAX_ID_BYTES} UTF-8 bytes")
        if not value.isprintable():
            raise InvalidInput(f"{what} must not contain control characters")
        if remember and type(value) is str:
            _remember(value)
        return value
    if len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        raise InvalidInput(f"{what} is longer than {MAX_ID_BYTES} UTF-8 bytes")
    if _FORBIDDEN.search(value):
        raise InvalidInput(f"{what} must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} contains a lone surrogate and is not valid UTF-8") from None
    return value
