"""The UI's two actions, done by the engine's own public functions (one implementation each).

The engine API works on a configured engine; the UI points it at its own store for the
duration of one call (``inline=False``: the UI never executes workflow code, workers do).
"""

from __future__ import annotations

from typing import Any

from pyworkflow.engine import api
from pyworkflow.storage import StorageBackend

__all__ = ["cancel_run", "resume_hook"]


async def cancel_run(backend: StorageBackend, run_id: str, reason: str) -> bool:
    """Cancel ``run_id`` and its running children; ``False`` if it had already ended."""
    with api.configured(backend, inline=False):
        return await api.cancel(run_id, reason=reason)


async def resume_hook(backend: StorageBackend, token: str, payload: Any) -> bool:
    """Deliver ``payload`` to the hook ``token``; ``False`` if it was already resumed or expired."""
    with api.configured(backend, inline=False):
        return await api.deliver_hook(token, payload)
