"""Contract area 'hooks': outside payloads delivered exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pyworkflow import ConflictError, HookStatus, NotFound, StorageBackend
from pyworkflow.models import utcnow

from pyworkflow_conformance.helpers import aio, gather, make_hook

__all__ = ["HooksContract"]


class HooksContract:
    """Hooks."""

    area = "hooks"

    @aio
    async def test_hook_create_and_get(self, backend: StorageBackend) -> None:
        hook = make_hook()
        assert await backend.create_hook(hook) == hook
        assert await backend.get_hook(hook.token) == hook
        assert await backend.get_hook("no-such-token-0123456789") is None

    @aio
    async def test_hook_existing_token_conflicts(self, backend: StorageBackend) -> None:
        hook = make_hook()
        await backend.create_hook(hook)
        with pytest.raises(ConflictError):
            await backend.create_hook(make_hook(token=hook.token, name="other"))
        assert await backend.get_hook(hook.token) == hook

    @aio
    async def test_resolve_exactly_once(self, backend: StorageBackend) -> None:
        hook = await backend.create_hook(make_hook())
        before = utcnow()
        assert await backend.resolve_hook(hook.token, {"ok": True}) is True
        assert await backend.resolve_hook(hook.token, {"ok": False}) is False
        got = await backend.get_hook(hook.token)
        assert got is not None
        assert got.status == HookStatus.RECEIVED
        assert got.payload == {"ok": True}
        assert got.received_at is not None
        assert got.received_at >= before - timedelta(seconds=1)
        assert (got.run_id, got.name, got.created_at) == (hook.run_id, hook.name, hook.created_at)

    @aio
    async def test_expired_and_cancelled_hooks_do_not_resolve(
        self, backend: StorageBackend
    ) -> None:
        expired = await backend.create_hook(make_hook(expires_at=utcnow() - timedelta(seconds=1)))
        assert await backend.resolve_hook(expired.token, 1) is False
        assert await backend.get_hook(expired.token) == expired
        cancelled = await backend.create_hook(make_hook(status=HookStatus.CANCELLED))
        assert await backend.resolve_hook(cancelled.token, 1) is False
        assert await backend.get_hook(cancelled.token) == cancelled
        future = await backend.create_hook(make_hook(expires_at=utcnow() + timedelta(hours=1)))
        assert await backend.resolve_hook(future.token, None) is True

    @aio
    async def test_missing_token_raises_not_found(self, backend: StorageBackend) -> None:
        with pytest.raises(NotFound):
            await backend.resolve_hook("no-such-token-0123456789", {})

    @aio
    async def test_concurrent_resolvers_one_wins(self, backend: StorageBackend) -> None:
        hook = await backend.create_hook(make_hook())
        outcomes = await gather(backend.resolve_hook(hook.token, {"by": i}) for i in range(16))
        assert outcomes.count(True) == 1, f"{outcomes.count(True)} resolvers won"
        got = await backend.get_hook(hook.token)
        assert got is not None
        assert got.payload == {"by": outcomes.index(True)}
