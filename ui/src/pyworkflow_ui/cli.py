"""``pyworkflow ui --storage URL [--host 127.0.0.1] [--port 8080] [--allow-actions]``."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence

from pyworkflow.config import resolve_url
from pyworkflow.errors import PyWorkflowError
from pyworkflow.urls import StorageURL

__all__ = ["build_parser", "is_loopback", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pyworkflow ui",
        description="A web UI over a pyworkflow store: runs, timelines, event logs, hooks, "
        "schedules. Read-only unless --allow-actions.",
    )
    p.add_argument(
        "--storage",
        metavar="URL",
        help="storage URL (default: $PYWORKFLOW_STORAGE_URL, [tool.pyworkflow] storage, "
        "sqlite:///pyworkflow.db)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; the UI has no login)",
    )
    p.add_argument("--port", type=int, default=8080, help="default 8080")
    p.add_argument(
        "--allow-actions",
        action="store_true",
        help="enable cancelling runs and resuming hooks (same-origin POSTs with a CSRF token)",
    )
    return p


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the UI until interrupted; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        url = StorageURL.parse(resolve_url(args.storage))
    except PyWorkflowError as exc:
        print(f"pyworkflow: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    import uvicorn  # here: parsing --help should not cost the server's import

    from .app import create_app

    app = create_app(url, allow_actions=args.allow_actions)
    where = "this machine only" if is_loopback(args.host) else "EVERY host that can reach it"
    print(
        f"pyworkflow ui: serving {url} on http://{args.host}:{args.port} "
        f"(bound to {args.host}: {where}; "
        f"{'actions enabled' if args.allow_actions else 'read-only'})",
        flush=True,
    )
    if not is_loopback(args.host):
        print(
            "pyworkflow ui: warning: the UI has no login; anyone who can reach this address "
            "can read every run",
            file=sys.stderr,
        )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
