""":class:`MockContext`: unit-test a workflow or step function without storage.

Set it as the current context (``set_context(ctx)`` or ``with ctx:``) and call the workflow
function directly: its ``@step`` calls go through :meth:`MockContext.run` (recorded; a
``mock_results`` entry for the step's name is returned instead of running it), ``sleep``
through :meth:`MockContext.sleep` (recorded; skipped unless ``skip_sleeps=False``) and
``hook`` through :meth:`MockContext.hook` (recorded; returns the ``mock_hooks`` payload for
its name, else ``{"hook": name, "mock": True}``). Nothing is stored and no engine runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from .workflow_context import WorkflowContext, _call, _cancelled, _seconds

__all__ = ["MockContext"]


class MockContext(WorkflowContext):
    """A context that records what a workflow does, for tests (the predecessor's)."""

    def __init__(
        self,
        run_id: str = "test_run",
        workflow_name: str = "test_workflow",
        skip_sleeps: bool = True,
        mock_results: dict[str, Any] | None = None,
        mock_events: dict[str, Any] | None = None,
        mock_hooks: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(run_id=run_id, workflow_name=workflow_name)
        self._skip_sleeps = skip_sleeps
        self._mock_results = dict(mock_results or {})
        self._mock_events = dict(mock_events or {})
        self._mock_hooks = dict(mock_hooks or {})
        self._steps: list[dict[str, Any]] = []
        self._sleeps: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._hooks: list[dict[str, Any]] = []
        self._parallel_calls: list[int] = []
        self._hook_counter = 0
        self._cancellation_requested = False
        self._cancellation_blocked = False
        self._cancellation_reason: str | None = None

    # -- what was recorded ---------------------------------------------------------------------

    @property
    def steps(self) -> list[dict[str, Any]]:
        """Each step call: ``name``, ``func``, ``args``, ``kwargs`` (a copy)."""
        return self._steps.copy()

    @property
    def step_count(self) -> int:
        return len(self._steps)

    @property
    def step_names(self) -> list[str]:
        return [s["name"] for s in self._steps]

    @property
    def sleeps(self) -> list[dict[str, Any]]:
        """Each sleep: ``duration`` as given and ``seconds``."""
        return self._sleeps.copy()

    @property
    def sleep_count(self) -> int:
        return len(self._sleeps)

    @property
    def total_sleep_seconds(self) -> int:
        return sum(s["seconds"] for s in self._sleeps)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self._events.copy()

    @property
    def hooks(self) -> list[dict[str, Any]]:
        """Each hook wait: ``name``, ``token``, ``timeout``."""
        return self._hooks.copy()

    @property
    def hook_count(self) -> int:
        return len(self._hooks)

    @property
    def hook_names(self) -> list[str]:
        return [h["name"] for h in self._hooks]

    # -- the calls -----------------------------------------------------------------------------

    async def run(
        self, func: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        """Record the call; return ``mock_results[name]`` if given, else call ``func``."""
        step_name = name or getattr(func, "__name__", "step")
        self._steps.append({"name": step_name, "func": func, "args": args, "kwargs": kwargs})
        if step_name in self._mock_results:
            return self._mock_results[step_name]
        return await _call(func, args, kwargs)

    async def sleep(self, duration: str | float | timedelta | datetime) -> None:
        """Record the sleep (``seconds``: whole seconds, until the instant for a
        ``datetime``); return at once unless ``skip_sleeps=False``. A malformed duration
        raises as ``sleep`` does."""
        seconds = int(_seconds(duration))
        self._sleeps.append({"duration": duration, "seconds": seconds})
        if not self._skip_sleeps:
            await asyncio.sleep(seconds)

    async def parallel(self, *tasks: Any) -> list[Any]:
        self._parallel_calls.append(len(tasks))
        return list(await asyncio.gather(*tasks))

    async def wait_for_event(self, event_name: str, timeout: str | int | None = None) -> Any:  # noqa: ASYNC109
        self._events.append({"name": event_name, "timeout": timeout})
        if event_name in self._mock_events:
            return self._mock_events[event_name]
        return {"event": event_name, "mock": True}

    async def hook(
        self,
        name: str,
        timeout: str | float | timedelta | None = None,  # noqa: ASYNC109
        on_created: Callable[[str], Awaitable[None]] | None = None,
        payload_schema: Any = None,
    ) -> Any:
        """Record the wait, await ``on_created(token)`` (token ``"<run_id>:hook_<name>_<n>"``)
        and return ``mock_hooks[name]`` (validated by ``payload_schema`` when both are given
        and it is a pydantic model), else ``{"hook": name, "mock": True}``."""
        self._hook_counter += 1
        token = f"{self._run_id}:hook_{name}_{self._hook_counter}"
        self._hooks.append({"name": name, "token": token, "timeout": timeout})
        if on_created is not None:
            await on_created(token)
        if name in self._mock_hooks:
            payload = self._mock_hooks[name]
            validate = getattr(payload_schema, "model_validate", None)
            return validate(payload) if validate is not None else payload
        return {"hook": name, "mock": True}

    # -- cancellation --------------------------------------------------------------------------

    def is_cancellation_requested(self) -> bool:
        return self._cancellation_requested

    def request_cancellation(self, reason: str | None = None) -> None:
        self._cancellation_requested = True
        self._cancellation_reason = reason

    def check_cancellation(self) -> None:
        """Raise :class:`CancellationError` while a request is set and not shielded (every
        time, as the predecessor's mock did)."""
        if self._cancellation_requested and not self._cancellation_blocked:
            raise _cancelled(self._cancellation_reason)

    @property
    def cancellation_blocked(self) -> bool:
        return self._cancellation_blocked

    @property
    def cancellation_reason(self) -> str | None:
        return self._cancellation_reason

    # -- test helpers --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything recorded."""
        for recorded in (self._steps, self._sleeps, self._events, self._hooks):
            recorded.clear()
        self._parallel_calls.clear()

    def assert_step_called(self, step_name: str, times: int | None = None) -> None:
        """``AssertionError`` unless ``step_name`` ran (exactly ``times`` times if given)."""
        count = sum(1 for s in self._steps if s["name"] == step_name)
        if times is not None:
            assert count == times, f"Step '{step_name}' expected {times} calls, got {count}"
        else:
            assert count > 0, f"Step '{step_name}' was not called"

    def assert_slept(self, total_seconds: int | None = None) -> None:
        """``AssertionError`` unless a sleep was recorded (totalling ``total_seconds``)."""
        assert self.sleep_count > 0, "No sleep calls recorded"
        if total_seconds is not None:
            assert self.total_sleep_seconds == total_seconds, (
                f"Expected {total_seconds}s total sleep, got {self.total_sleep_seconds}s"
            )
