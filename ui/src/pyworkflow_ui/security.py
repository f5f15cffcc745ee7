"""Guards of the UI's actions: a CSRF token and a same-origin check, plus response headers.

Every action is a POST carrying ``csrf`` (a token minted per server process and shown only in
the UI's own forms) and an ``Origin`` (or, failing that, ``Referer``) whose scheme, host and
port are the UI's own. A cross-site form can send neither. The headers forbid framing and any
script but the UI's own file, so even a value that escaped escaping could not run.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = ["SECURITY_HEADERS", "ActionRefused", "check_action", "new_csrf_token"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class ActionRefused(Exception):
    """An action the server will not perform; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_action(request: Request, form: dict[str, str], *, allowed: bool, token: str) -> None:
    """Raise :class:`ActionRefused` unless actions are enabled and the request is same-site.

    Order: disabled (403) before anything else, so a read-only server never hints at tokens;
    then the origin (403), then the CSRF token (403). A request with neither ``Origin`` nor
    ``Referer`` is refused: browsers send ``Origin`` on every POST.
    """
    if not allowed:
        raise ActionRefused(403, "actions are disabled: start the UI with --allow-actions")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None or _origin_of(claimed) != own:
        raise ActionRefused(403, "cross-origin request refused (Origin must be this UI)")
    sent = form.get("csrf", "")
    if not hmac.compare_digest(sent.encode(), token.encode()):
        raise ActionRefused(403, "missing or wrong CSRF token")
