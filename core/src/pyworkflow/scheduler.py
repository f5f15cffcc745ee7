"""``pyworkflow.scheduler.LocalScheduler``: where the predecessor also exported its local
scheduler; the same class as ``pyworkflow.LocalScheduler``."""

from __future__ import annotations

from .engine.scheduled import LocalScheduler

__all__ = ["LocalScheduler"]
