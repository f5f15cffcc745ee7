"""Machinery of the property areas: running Hypothesis examples on one store, and the checks
every example shares.

The property, for every public method: the call either succeeds and what it stored reads back
exactly (type-strict, see :func:`pyworkflow_conformance.dump.same`), or it raises one of the
:mod:`pyworkflow.errors` types that method documents for bad input and the store is unchanged
(a dump before and after). Anything else escaping (ValueError, OverflowError, a driver error,
a bare StorageError carrying driver text) fails the example.

Examples run on one connected store per test, in an event loop of the test's own (Hypothesis
calls the example synchronously), with no example database (nothing is written to
``.hypothesis/``) and no deadline. The number of examples per test is chosen per backend name
so that the whole property area costs seconds on each backend in CI; set
``PYWORKFLOW_CONFORMANCE_EXAMPLES`` to run more (or fewer) everywhere, or
``property_examples`` on a conformance class.
"""

from __future__ import annotations

import asyncio
import json
import os
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import hypothesis.errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyworkflow import PyWorkflowError, StorageBackend

from pyworkflow_conformance.services import name_for_url

__all__ = ["EXAMPLES", "Outcome", "PropertyBase", "attempt", "storable"]

T = TypeVar("T")
Example = Callable[[StorageBackend, st.DataObject], Awaitable[None]]

#: Examples per property test, by backend name, sized so that the 8 property tests cost
#: roughly 15-25 s per backend in CI on a shared 2-core machine (most examples are refused
#: before any I/O; a server round trip is ~1 ms; the moto DynamoDB server serializes every
#: request; Cassandra's lightweight transactions are the slowest writes).
EXAMPLES = {
    "memory": 200,
    "sqlite": 100,
    "files": 100,
    "postgres": 100,
    "mysql": 100,
    "dynamodb": 40,
    "cassandra": 25,
}
DEFAULT_EXAMPLES = 20


class Outcome:
    """What a call did: ``value`` if it returned, ``error`` if it raised an allowed error."""

    def __init__(self, value: Any = None, error: PyWorkflowError | None = None) -> None:
        self.value = value
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        return f"Outcome(error={self.error!r})" if self.error else f"Outcome({self.value!r})"


async def attempt(awaitable: Awaitable[T], *allowed: type[PyWorkflowError]) -> Outcome:
    """Await a public call. An exception of exactly one of ``allowed`` types is an outcome;
    any other exception (including other pyworkflow errors) fails the example."""
    try:
        return Outcome(await awaitable)
    except PyWorkflowError as exc:
        if type(exc) not in allowed:
            raise AssertionError(
                f"{type(exc).__name__} is not an error this call documents for bad input "
                f"(expected one of {[t.__name__ for t in allowed]}): {exc}"
            ) from exc
        return Outcome(error=exc)


def storable(value: Any) -> None:
    """Fail unless ``value`` is strict JSON in valid UTF-8: what every store agrees to hold."""
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


class PropertyBase:
    """Runs one property test's examples against a fresh store of the class's backend."""

    #: Examples per property test (``None``: :data:`EXAMPLES` for the backend name).
    property_examples: int | None = None

    def _example_count(self, backend_url: str) -> int:
        env = os.environ.get("PYWORKFLOW_CONFORMANCE_EXAMPLES")
        if env:
            return max(1, int(env))
        if self.property_examples is not None:
            return self.property_examples
        return EXAMPLES.get(name_for_url(backend_url), DEFAULT_EXAMPLES)

    def run_examples(self, backend_url: str, example: Example) -> None:
        """Run ``example(store, data)`` for each generated example on one store."""
        loop = asyncio.new_event_loop()
        store = StorageBackend.from_url(backend_url)
        loop.run_until_complete(store.connect())
        count = 0
        first: list[str] = []

        @settings(
            max_examples=self._example_count(backend_url),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            nonlocal count
            count += 1
            try:
                loop.run_until_complete(example(store, data))
            except Exception:
                first.append(traceback.format_exc())
                raise

        try:
            try:
                run()
            except hypothesis.errors.Flaky as exc:
                # The store is shared by the examples, so a replay while shrinking can see
                # other data and behave differently: show the first real failure.
                shown = first[0] if first else str(exc)
                raise AssertionError(f"first failing example:\n{shown}") from exc
            # Shown with -rA / -s: the examples this backend really ran.
            print(f"{name_for_url(backend_url)}: {count} examples")
        finally:
            try:
                loop.run_until_complete(store.close())
            finally:
                loop.close()
