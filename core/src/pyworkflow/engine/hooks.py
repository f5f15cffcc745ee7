"""The predecessor's hooks API over ours: ``hook`` (``wait_for_hook`` with ``on_created``
and a payload schema), ``define_hook``/``TypedHook``, and ``resume_hook`` returning a
:class:`ResumeResult` or raising a typed error.

Our own delivery, :func:`~pyworkflow.engine.api.deliver_hook`, is idempotent (``True`` for
the call that delivered, ``False`` after); ``resume_hook`` is that call plus the predecessor's
strictness: a second delivery raises :class:`HookAlreadyReceivedError`, a late one
:class:`HookExpiredError`. Either way the run is made sure to resume first, so retrying a
``resume_hook`` that raised midway is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pyworkflow.errors import ConflictError, InvalidInput, NotFound, PyWorkflowError
from pyworkflow.models import HookStatus
from pyworkflow.storage import StorageBackend

from .calls import _workflow_ctx, wait_for_hook
from .current_context import user_context
from .hook_wait import wait_typed
from .running import _run_ctx
from .transient import in_transient

__all__ = [
    "HookAlreadyReceivedError",
    "HookExpiredError",
    "HookNotFoundError",
    "InvalidTokenError",
    "ResumeResult",
    "TypedHook",
    "define_hook",
    "hook",
    "resume_hook",
]

S = TypeVar("S")

log = logging.getLogger("pyworkflow.engine")


def _hint(token: str) -> str:
    # a token is a secret (whoever holds it may deliver): name it by its first characters only
    return f"{token[:6]}..."


class HookNotFoundError(NotFound):
    """No hook has this token. ``token`` is kept on the exception, never in its message."""

    def __init__(self, token: str) -> None:
        super().__init__(f"Hook not found for token: {_hint(token)}")
        self.token = token


class HookAlreadyReceivedError(ConflictError):
    """The hook has already received its payload (this one was not delivered)."""

    def __init__(self, hook_id: str) -> None:
        super().__init__(f"Hook already received: {hook_id}")
        self.hook_id = hook_id


class HookExpiredError(ConflictError):
    """The hook's timeout passed before this payload came (it was not delivered)."""

    def __init__(self, hook_id: str) -> None:
        super().__init__(f"Hook expired: {hook_id}")
        self.hook_id = hook_id


class InvalidTokenError(InvalidInput):
    """The token is not a token at all (empty, not a string)."""

    def __init__(self, token: object) -> None:
        super().__init__(f"Invalid token for hook: {type(token).__name__}")
        self.token = token


@dataclass(frozen=True, slots=True)
class ResumeResult:
    """What :func:`resume_hook` did: ``status`` is always ``"resumed"`` (every other outcome
    is an exception). ``hook_id`` is the hook's name."""

    run_id: str
    hook_id: str
    status: str = "resumed"


async def hook(
    name: str,
    *,
    timeout: str | float | timedelta | None = None,  # noqa: ASYNC109
    on_created: Callable[[str], Awaitable[None]] | None = None,
    payload_schema: Any = None,
) -> Any:
    """Wait durably for a payload delivered with ``resume_hook(token, payload)``; the
    predecessor's name for :func:`~pyworkflow.engine.calls.wait_for_hook`, with two more
    options.

    ``on_created(token)`` is awaited once, in the execution that creates the hook, before
    the run suspends (to send the token somewhere); an exception from it fails the run. If
    the process stops between recording the token and calling it, it is not called again:
    ``pending_hooks(run_id)`` still lists the token. ``payload_schema``, a pydantic model
    class, validates the payload in the workflow when it arrives (pydantic's
    ``ValidationError`` is raised there); its JSON schema is stored on the hook row
    (``Hook.schema``, also readable as ``Hook.payload_schema``). A transient run raises
    ``NotImplementedError``.
    """
    if _run_ctx.get() is None:
        mock = user_context()  # a context the user set (MockContext) answers the hook
        if mock is not None:
            return await mock.hook(
                name, timeout=timeout, on_created=on_created, payload_schema=payload_schema
            )
    if in_transient():
        return await wait_for_hook(name, timeout=timeout)  # raises NotImplementedError
    ctx = _workflow_ctx("hook()")
    return await wait_typed(ctx, name, timeout, on_created, payload_schema)


class TypedHook(Generic[S]):
    """A named hook whose payload is validated by ``schema`` (a pydantic model class) in the
    workflow: ``await approval(timeout="1d")`` returns a ``schema`` instance."""

    def __init__(self, name: str, schema: type[S]) -> None:
        self.name = name
        self.schema = schema

    async def __call__(
        self,
        *,
        timeout: str | float | timedelta | None = None,  # noqa: ASYNC109
        on_created: Callable[[str], Awaitable[None]] | None = None,
    ) -> S:
        value: S = await hook(
            self.name, timeout=timeout, on_created=on_created, payload_schema=self.schema
        )
        return value

    def __repr__(self) -> str:
        return f"TypedHook({self.name!r}, {getattr(self.schema, '__name__', self.schema)})"


def define_hook(name: str, schema: type[S]) -> TypedHook[S]:
    """A :class:`TypedHook` named ``name`` whose payload is a ``schema`` instance."""
    return TypedHook(name, schema)


async def resume_hook(
    token: str, payload: Any = None, *, storage: str | StorageBackend | None = None
) -> ResumeResult:
    """Deliver ``payload`` to the hook with ``token`` and schedule its run to resume; in the
    local (inline) mode the run is also resumed in this call, until it ends or suspends again
    (an error doing so is logged: a worker or ``wait`` resumes it from its stored task).

    Raises :class:`InvalidTokenError` for a malformed token, :class:`HookNotFoundError` for
    an unknown one, :class:`HookAlreadyReceivedError` if a payload was delivered before and
    :class:`HookExpiredError` if its timeout passed; in the last two cases nothing is
    delivered, but the run is still made sure to resume. ``storage``: a URL or backend for
    this call only.
    """
    from .api import default_engine, deliver_hook
    from .execution import engine_for

    if not isinstance(token, str) or not token.strip():
        raise InvalidTokenError(token)
    async with engine_for(default_engine(), storage=storage, inline=None) as engine:
        store = await engine.storage()
        found = await store.get_hook(token)
        if found is None:
            raise HookNotFoundError(token)
        if await deliver_hook(token, payload, storage=store):
            if engine.inline:
                # the local runtime resumes the run here, as the predecessor's did; the task
                # deliver_hook stored resumes it anyway if this stops midway
                try:
                    await engine.execute(found.run_id)
                except PyWorkflowError as exc:
                    log.warning("run %s: resuming after its hook failed: %s", found.run_id, exc)
            return ResumeResult(run_id=found.run_id, hook_id=found.name)
        now = await store.get_hook(token)
        if now is not None and now.status is HookStatus.RECEIVED:
            raise HookAlreadyReceivedError(found.name)
        raise HookExpiredError(found.name)
