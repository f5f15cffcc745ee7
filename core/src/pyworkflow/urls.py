"""Storage URLs and their options.

One URL configures a backend: ``scheme://[user[:password]@]host[:port][,host[:port]...][/path]
[?option=value&...]``. The password is kept out of every ``repr``, ``str`` and error message;
only :meth:`StorageURL.password` returns it. The credentials end at the last ``@``, so a raw
password may hold ``/``, ``?``, ``#``, ``@``, ``:``, ``[`` and ``]``; a URL that reads two ways is
refused. A parse error names the scheme and what is wrong, never any other part of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote

from .errors import InvalidInput

__all__ = ["Options", "StorageURL"]

_REDACTED = "***"
C = TypeVar("C", bound=str)


@dataclass(frozen=True)
class StorageURL:
    """A parsed storage URL. ``str()`` and ``repr()`` redact the password."""

    scheme: str
    username: str | None = None
    _password: str | None = field(default=None, repr=False)
    hosts: tuple[tuple[str, int | None], ...] = ()
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str | StorageURL) -> StorageURL:
        """Parse ``url``; raise :class:`InvalidInput` if it is malformed.

        Credentials go before the **last** ``@``, so a password may hold ``/``, ``?``, ``#``,
        ``@``, ``:``, ``[`` or ``]`` unencoded (``%XX`` escapes are decoded, so a literal
        ``%`` followed by two hex digits must be written ``%25``). A URL that reads two ways
        (an ``@`` after the host, as in a password ``12/x@y`` or a database ``db@x``) is
        refused rather than guessed: percent-encode ``@`` outside the credentials. The error
        never shows the URL's text, only its scheme, since any part of it may be a password.
        """
        if isinstance(url, StorageURL):
            return url
        if not isinstance(url, str):
            raise InvalidInput(f"a storage URL is a str, not {type(url).__name__}")
        scheme, sep, rest = url.partition("://")
        scheme = scheme.lower()
        if not sep or not _SCHEME.fullmatch(scheme):
            raise InvalidInput(
                "not a storage URL: expected scheme://..., such as sqlite:///pyworkflow.db"
                f"{_NOT_SHOWN}"
            )
        parts = _split(rest, scheme)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return cls(scheme, parts.username, parts.password, parts.hosts, unquote(parts.path), query)

    @property
    def password(self) -> str | None:
        """The password, for the driver only. Never log it."""
        return self._password

    @property
    def host(self) -> str | None:
        """The first host, or ``None``."""
        return self.hosts[0][0] if self.hosts else None

    @property
    def port(self) -> int | None:
        """The first host's port, or ``None``."""
        return self.hosts[0][1] if self.hosts else None

    @property
    def database(self) -> str:
        """The path without its leading slash: a database, keyspace or table name."""
        return self.path[1:] if self.path.startswith("/") else self.path

    def render(self, *, hide_password: bool = True) -> str:
        """The URL as text; the password is ``***`` unless ``hide_password`` is false."""
        auth = ""
        if self.username is not None or self._password is not None:
            auth = quote(self.username or "", safe="")
            if self._password is not None:
                pw = _REDACTED if hide_password else quote(self._password, safe="")
                auth += ":" + pw
            auth += "@"
        hosts = ",".join(
            (f"[{h}]" if ":" in h else quote(h, safe=""))  # an IPv6 literal keeps its brackets
            + (f":{p}" if p is not None else "")
            for h, p in self.hosts
        )
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in self.query.items())
        return f"{self.scheme}://{auth}{hosts}{quote(self.path, safe='/:')}" + (
            f"?{query}" if query else ""
        )

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"StorageURL({self.render()!r})"

    def options(self, overrides: Mapping[str, Any] | None = None) -> Options:
        """The query options merged with keyword ``overrides`` (which win)."""
        merged: dict[str, Any] = dict(self.query)
        merged.update(overrides or {})
        return Options(merged, source=self.render())


@dataclass(frozen=True, slots=True)
class _Parts:
    username: str | None
    password: str | None
    hosts: tuple[tuple[str, int | None], ...]
    path: str
    query: str


def _split(rest: str, scheme: str) -> _Parts:
    """Split what follows ``scheme://`` into credentials, hosts, path and query.

    Two readings: the standard one (the authority ends at the first ``/`` or ``?``) and the
    one users mean when a raw password holds ``/`` or ``?`` (the credentials end at the last
    ``@``). They differ only when an ``@`` follows the standard authority; then the one that
    yields a valid host list wins, and a URL valid both ways is refused as ambiguous.
    """
    end = _first_of(rest, "/?")
    standard = _reading(rest[:end], rest[end:])
    if "@" not in rest[end:]:
        return _valid(standard, scheme)
    at = rest.rindex("@")
    tail = rest[at + 1 :]
    cut = _first_of(tail, "/?")
    last_at = _reading(rest[: at + 1] + tail[:cut], tail[cut:])
    user = rest[:at].partition(":")[0]
    if "/" in user or "?" in user:  # the "@" is in the path or query, not after a password
        last_at = None
    if standard is None or last_at is None:
        return _valid(standard or last_at, scheme)
    raise InvalidInput(
        f"ambiguous {scheme}:// URL: it has an '@' after the host, so it reads two ways. "
        "Percent-encode '@', '/' and '?' in the password (urllib.parse.quote(password, "
        f"safe='')) and '@' in a path or option as %40{_NOT_SHOWN}"
    )


def _first_of(text: str, chars: str) -> int:
    return min((i for i in map(text.find, chars) if i >= 0), default=len(text))


def _reading(authority: str, tail: str) -> _Parts | None:
    """One reading of ``authority`` (``[userinfo@]hostlist``) and ``tail`` (``[/path][?q]``),
    or ``None`` when its host list is not valid."""
    userinfo, at, hostlist = authority.rpartition("@")
    hosts = _hosts(hostlist)
    if hosts is None:
        return None
    username = password = None
    if at:
        user, colon, pw = userinfo.partition(":")
        username = _decode_credential(user) or None
        password = _decode_credential(pw) if colon else None
    path, _, query = tail.partition("?")
    return _Parts(username, password, hosts, path, query)


def _decode_credential(text: str) -> str:
    # Strict: an escape that is not UTF-8 (a raw "%FF" meant literally) would otherwise become
    # U+FFFD, a different password, silently. Raised outside the except block, so that the
    # UnicodeDecodeError (whose args hold the bytes) is not kept as __context__.
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        pass
    raise InvalidInput(
        "the user name or password in a storage URL holds a %-escape that is not UTF-8: "
        f"write a literal '%' as %25{_NOT_SHOWN}"
    )


def _valid(parts: _Parts | None, scheme: str) -> _Parts:
    if parts is None:
        raise InvalidInput(
            f"malformed {scheme}:// URL: each host must be a name, an IPv4 address or an IPv6 "
            "address in brackets, with an optional :port from 1 to 65535, separated by "
            f"commas; a password holding '@', '/' or '?' is best percent-encoded{_NOT_SHOWN}"
        )
    return parts


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_HOST = re.compile(
    r"(?:\[([0-9A-Fa-f:.]+(?:%25[^\]/?@\s]+)?)\]"  # [IPv6] with an optional %25zone
    r"|([^\s\[\]@/?:,]*))"  # or a name / IPv4 address
    r"(?::(\d{1,5}))?"  # and an optional :port
)
_NOT_SHOWN = " (the URL is not shown: it may hold a password)"


def _hosts(hostlist: str) -> tuple[tuple[str, int | None], ...] | None:
    """``h1[:p1],h2[:p2],[v6]:p3`` as ``((host, port), ...)``; ``None`` if malformed."""
    hosts: list[tuple[str, int | None]] = []
    for part in hostlist.split(",") if hostlist else ():
        match = _HOST.fullmatch(part)
        if match is None or not part:
            return None
        v6, name, port_text = match.groups()
        port = int(port_text) if port_text else None
        if port is not None and not 0 < port < 65536:
            return None
        hosts.append((unquote(v6 if v6 is not None else name), port))
    return tuple(hosts)


class Options:
    """Backend options from a URL query and keyword arguments, consumed by type.

    A backend takes each option it understands with one of the ``take_*`` methods and then
    calls :meth:`finish`, which raises :class:`InvalidInput` naming any option left over, so an
    option is never silently ignored.
    """

    def __init__(self, values: Mapping[str, Any], *, source: str = "") -> None:
        self._values = dict(values)
        self._source = source

    def _take(self, name: str) -> Any:
        return self._values.pop(name, None)

    def _bad(self, name: str, value: Any, expected: str) -> InvalidInput:
        return InvalidInput(f"option {name}={value!r} is not {expected} (in {self._source})")

    def take_str(self, name: str, default: str | None = None) -> str | None:
        value = self._take(name)
        return default if value is None else str(value)

    def take_int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._take(name)
        if value is None:
            return default
        try:
            result = int(value)
        except (TypeError, ValueError):
            raise self._bad(name, value, "an integer") from None
        if minimum is not None and result < minimum:
            raise self._bad(name, value, f"an integer >= {minimum}")
        return result

    def take_float(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self._take(name)
        if value is None:
            return default
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise self._bad(name, value, "a number") from None
        if minimum is not None and result < minimum:
            raise self._bad(name, value, f"a number >= {minimum}")
        return result

    def take_bool(self, name: str, default: bool) -> bool:
        value = self._take(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise self._bad(name, value, "a boolean (true/false)")

    def take_choice(self, name: str, choices: Iterable[C], default: C) -> C:
        value = self._take(name)
        if value is None:
            return default
        allowed = {str(c).lower(): c for c in choices}
        key = str(value).lower()
        if key not in allowed:
            raise self._bad(name, value, "one of " + ", ".join(sorted(allowed)))
        return allowed[key]

    def take_any(self, name: str, default: Any = None) -> Any:
        """An option passed as a Python object (keyword arguments only)."""
        value = self._take(name)
        return default if value is None else value

    def finish(self) -> None:
        """Raise :class:`InvalidInput` if any option was not taken."""
        if self._values:
            names = ", ".join(sorted(self._values))
            raise InvalidInput(f"unknown option(s) {names} (in {self._source})")
