"""The durable half of the predecessor's ``hook()``: wait for the hook at the next position
of the execution, store the payload's JSON schema with it, call ``on_created(token)`` before
suspending and validate the payload. One implementation, used by :func:`.hooks.hook` and by
``LocalContext.hook``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from .context import RunContext, Suspend

__all__ = ["json_schema", "wait_typed"]


def json_schema(model: Any) -> Any:
    """The JSON schema of a pydantic model class (stored with the hook), else ``None``."""
    make = getattr(model, "model_json_schema", None)
    return make() if callable(make) else None


async def wait_typed(
    ctx: RunContext,
    name: str,
    timeout: str | float | timedelta | None,  # noqa: ASYNC109
    on_created: Callable[[str], Awaitable[None]] | None,
    payload_schema: Any,
) -> Any:
    """See :func:`pyworkflow.engine.hooks.hook`."""
    pos = ctx.pos + 1  # the position wait_for_hook is about to take
    created_here = not ctx.by_pos.get(pos)
    try:
        payload = await ctx.wait_for_hook(name, timeout, schema=json_schema(payload_schema))
    except Suspend:
        if on_created is not None and created_here:
            events = await ctx.storage.read(ctx.run.id, types=["hook.created"])
            mine = [e for e in events if e.data.get("pos") == pos]
            if mine:
                await on_created(str(mine[-1].data["token"]))
        raise
    if payload_schema is not None:
        return payload_schema.model_validate(payload)
    return payload
