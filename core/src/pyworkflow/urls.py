"""Storage URLs and their options.

One URL configures a backend: ``scheme://[user[:password]@]host[:port][,host[:port]...][/path]
[?option=value&...]``. The password is kept out of every ``repr``, ``str`` and error message;
only :meth:`StorageURL.password` returns it.
"""

from __future__ import annotations

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
        """Parse ``url``; raise :class:`InvalidInput` (with the password redacted) if malformed."""
        if isinstance(url, StorageURL):
            return url
        if not isinstance(url, str) or "://" not in url:
            raise InvalidInput(f"not a storage URL: {_redact_raw(url)!r} (expected scheme://...)")
        scheme, rest = url.split("://", 1)
        scheme = scheme.lower()
        if not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
            raise InvalidInput(f"not a storage URL: {_redact_raw(url)!r} (bad scheme)")
        rest, _, query_text = rest.partition("?")
        netloc, slash, path = rest.partition("/")
        userinfo, at, hostlist = netloc.rpartition("@")
        username = password = None
        if at:
            user, colon, pw = userinfo.partition(":")
            username = unquote(user) or None
            password = unquote(pw) if colon else None
        hosts: list[tuple[str, int | None]] = []
        for part in filter(None, hostlist.split(",")):
            host, port = _split_port(part, url)
            hosts.append((unquote(host), port))
        try:
            query = dict(parse_qsl(query_text, keep_blank_values=True, strict_parsing=False))
        except ValueError as exc:  # pragma: no cover - parse_qsl is lenient
            raise InvalidInput(f"bad query string in {_redact_raw(url)!r}") from exc
        return cls(scheme, username, password, tuple(hosts), unquote(slash + path), query)

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


def _split_port(part: str, url: str) -> tuple[str, int | None]:
    if part.startswith("["):  # IPv6 literal
        host, _, tail = part[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = part.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidInput(f"bad port {port_text!r} in {_redact_raw(url)!r}")
    return host, int(port_text)


def _redact_raw(url: object) -> str:
    """Best-effort redaction of text that failed to parse: whatever stands between the first
    ``:`` of the user-info and the last ``@`` is hidden, with or without a scheme."""
    text = str(url)
    scheme, sep, rest = text.rpartition("://")
    userinfo, at, tail = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return text
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{_REDACTED}@{tail}"


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
