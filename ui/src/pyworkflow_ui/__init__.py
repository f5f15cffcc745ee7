"""``pyworkflow ui``: a web UI over any pyworkflow store (install ``pyworkflow[ui]``)."""

from __future__ import annotations

from .app import create_app
from .cli import main

__all__ = ["create_app", "main"]
