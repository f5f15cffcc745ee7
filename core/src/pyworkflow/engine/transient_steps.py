"""A ``@step`` called inside a transient (``durable=False``) run: retried inline.

Nothing is recorded, so the retries cannot suspend the run: each failed attempt with attempts
left waits ``options.retry_delay(...)`` with ``asyncio.sleep`` (the same policy as a durable
step: ``retry_delay``/``backoff``, and a ``RetryableError``'s ``retry_after``) and tries
again. A :class:`~pyworkflow.engine.errors.FatalError` (or a non-retryable type) is raised at
once; when the attempts are spent the last attempt's own exception is raised, as the
predecessor's transient steps did. ``timeout`` bounds each attempt, as in a durable run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from .retry import StepOptions, call_with_timeout

__all__ = ["run_transient_step"]


async def run_transient_step(
    options: StepOptions,
    fn: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run one step of a transient run with its retries (see the module docstring)."""
    attempt = 1
    while True:
        try:
            return await call_with_timeout(options, fn, args, kwargs)
        except Exception as exc:
            delay = options.retry_delay(attempt, exc, datetime.now(UTC))
            if delay is None:
                raise
        await asyncio.sleep(delay)
        attempt += 1
