"""How a failing step is retried: :class:`RetryPolicy` (the policy as data, in Temporal's
shape) and :class:`StepOptions` (a step's name, policy and timeout), plus the translation of
the older keyword forms (``retries``/``backoff``/``max_backoff``, and the predecessor's
``max_retries``/``retry_delay``) into one policy.

Precedence of the retry count: the step's own ``retry=``/``retries=``/``max_retries=``, then
:func:`pyworkflow.engine.settings.current` ``.default_retries`` (3), read each time a step
fails, so ``configure(...)`` applies to steps decorated before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pyworkflow.errors import InvalidInput

from . import settings
from .durations import to_seconds
from .errors import FatalError, RetryableError, StepTimeout

__all__ = [
    "DEFAULT_MAX_INTERVAL",
    "RetryPolicy",
    "StepOptions",
    "call_with_timeout",
    "error_type_names",
    "predecessor_schedule",
]

#: Longest wait between two attempts unless the policy says otherwise (the predecessor's cap).
DEFAULT_MAX_INTERVAL = 300.0


def error_type_names(exc_type: type[BaseException]) -> set[str]:
    """Every name under which ``exc_type`` (or a base class of it) can be listed in
    ``non_retryable_error_types``: ``"ValueError"`` and ``"builtins.ValueError"``."""
    names: set[str] = set()
    for klass in exc_type.__mro__:
        names.add(klass.__name__)
        names.add(klass.__qualname__)
        names.add(f"{klass.__module__}.{klass.__qualname__}")
    return names


def _type_name(item: str | type[BaseException]) -> str:
    if isinstance(item, str) and item:
        return item
    if isinstance(item, type) and issubclass(item, BaseException):
        return f"{item.__module__}.{item.__qualname__}"
    raise InvalidInput(
        f"non_retryable_error_types takes exception classes or their names, got {item!r}"
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failing step is retried.

    The wait before retry ``n`` (after attempt ``n`` failed) is
    ``initial_interval * backoff_coefficient ** (n - 1)`` seconds, capped at
    ``maximum_interval``. Durations are seconds, strings like ``"30s"`` or timedeltas.

    * ``maximum_attempts``: attempts in all, the first included (``1`` = never retry,
      ``0`` = retry without limit). ``None`` = the default: ``default_retries + 1`` from
      :mod:`pyworkflow.engine.settings` (3 retries), read when the step fails.
    * ``non_retryable_error_types``: exception classes or names (``"ValueError"``,
      ``"myapp.errors.PaymentDeclined"``); an error of such a type, or of a subclass of one,
      fails the step at once. :class:`~pyworkflow.engine.errors.FatalError` is always
      non-retryable.

    Invalid values raise :class:`InvalidInput` when the policy is built.
    """

    initial_interval: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval: float = DEFAULT_MAX_INTERVAL
    maximum_attempts: int | None = None
    non_retryable_error_types: tuple[str, ...] = field(default=())

    def __init__(
        self,
        initial_interval: float | str | timedelta = 1.0,
        backoff_coefficient: float = 2.0,
        maximum_interval: float | str | timedelta | None = None,
        maximum_attempts: int | None = None,
        non_retryable_error_types: Sequence[str | type[BaseException]] = (),
    ) -> None:
        initial = to_seconds(initial_interval)
        cap = DEFAULT_MAX_INTERVAL if maximum_interval is None else to_seconds(maximum_interval)
        if isinstance(backoff_coefficient, bool) or not isinstance(
            backoff_coefficient, int | float
        ):
            raise InvalidInput("backoff_coefficient must be a number >= 1")
        if not 1.0 <= float(backoff_coefficient) <= 1000.0:
            raise InvalidInput(f"backoff_coefficient must be in 1..1000, got {backoff_coefficient}")
        if maximum_attempts is not None and (
            isinstance(maximum_attempts, bool)
            or not isinstance(maximum_attempts, int)
            or maximum_attempts < 0
        ):
            raise InvalidInput("maximum_attempts must be an int >= 0 (0 = unlimited) or None")
        if isinstance(non_retryable_error_types, str):
            non_retryable_error_types = (non_retryable_error_types,)
        names = tuple(_type_name(t) for t in non_retryable_error_types)
        object.__setattr__(self, "initial_interval", initial)
        object.__setattr__(self, "backoff_coefficient", float(backoff_coefficient))
        object.__setattr__(self, "maximum_interval", max(cap, 0.0))
        object.__setattr__(self, "maximum_attempts", maximum_attempts)
        object.__setattr__(self, "non_retryable_error_types", names)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before the next attempt after attempt ``attempt`` (1-based) failed."""
        # exponent clamped: beyond ~2000 doublings every float overflows, and the cap applies
        exponent = min(attempt - 1, 2000)
        try:
            raw = self.initial_interval * self.backoff_coefficient**exponent
        except OverflowError:
            raw = float("inf")
        return min(self.maximum_interval, raw)

    def attempts(self) -> int:
        """Attempts in all (0 = unlimited), resolving ``None`` to the settings' default now."""
        if self.maximum_attempts is not None:
            return self.maximum_attempts
        return settings.current().default_retries + 1

    def is_retryable(self, exc: BaseException) -> bool:
        """False for a :class:`FatalError` or an error of a listed non-retryable type."""
        if isinstance(exc, FatalError):
            return False
        if isinstance(exc, RetryableError):
            return True
        return not (error_type_names(type(exc)) & set(self.non_retryable_error_types))


def predecessor_schedule(
    retry_delay: Any,
) -> tuple[float, float, float, Callable[[int], float] | None]:
    """The predecessor's ``retry_delay`` as ``(initial_interval, backoff_coefficient,
    maximum_interval, schedule)``: ``"exponential"`` -> 1, 2, 4... capped at 300 s; an int ->
    that many seconds every time; a list -> its values in turn, the last repeating (an empty
    list: 1 s); anything else (``"30s"``, ``"fixed"``) -> 1 s, as its code does."""
    if retry_delay == "exponential":
        return 1.0, 2.0, DEFAULT_MAX_INTERVAL, None
    if isinstance(retry_delay, int | float) and not isinstance(retry_delay, bool):
        seconds = to_seconds(retry_delay)
        return seconds, 1.0, max(seconds, DEFAULT_MAX_INTERVAL), None
    if isinstance(retry_delay, list | tuple):
        values = [to_seconds(v) for v in retry_delay] or [1.0]
        return 1.0, 1.0, DEFAULT_MAX_INTERVAL, lambda n: values[min(n, len(values)) - 1]
    return 1.0, 1.0, DEFAULT_MAX_INTERVAL, None


@dataclass(frozen=True, slots=True)
class StepOptions:
    """A step's name, retry policy and timeout (what ``@step`` recorded).

    ``schedule``, when set, gives the wait before each retry instead of the policy's
    exponential formula (a callable ``attempt -> seconds``, or the predecessor's list of
    delays); the policy still decides how many attempts and which errors are retried.
    """

    name: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float | None = None
    schedule: Callable[[int], float] | None = None
    metadata: dict[str, Any] | None = None

    @property
    def retries(self) -> int:
        """Retries after the first attempt (-1 = unlimited), resolved now."""
        return self.policy.attempts() - 1

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` after attempt ``attempt`` failed."""
        if self.schedule is not None:
            return max(0.0, min(float(self.schedule(attempt)), 1000 * 365.25 * 86400))
        return self.policy.delay(attempt)

    def retry_delay(self, attempt: int, exc: BaseException, now: datetime) -> float | None:
        """The wait before the next attempt after ``exc`` ended attempt ``attempt``, or None
        when the step must fail now (a non-retryable error, or no attempts left)."""
        if not self.policy.is_retryable(exc):
            return None
        total = self.policy.attempts()
        if total and attempt >= total:
            return None
        if isinstance(exc, RetryableError):
            override = exc.retry_delay_from(now)
            if override is not None:
                return override
        return self.delay(attempt)


async def call_with_timeout(
    options: StepOptions,
    fn: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """One attempt of a step's body, cancelled after ``options.timeout`` seconds with
    :class:`StepTimeout`. Cancellation reaches the body at its next ``await``: a body that
    blocks the event loop runs to its end (then the timeout is noticed). A ``TimeoutError``
    the body raises itself stays what it is."""
    if options.timeout is None:
        return await fn(*args, **kwargs)
    scope = asyncio.timeout(options.timeout)
    try:
        async with scope:
            return await fn(*args, **kwargs)
    except TimeoutError:
        if scope.expired():
            raise StepTimeout(
                f"step {options.name!r} timed out after {options.timeout:g}s"
            ) from None
        raise
