"""Contract area 'engine', continued: ``@workflow(max_retries=N)`` starts a failed run again.

Each attempt is a run of its own: a failed attempt ends ``failed`` with ``continued_to``
naming the next, created once with the same input; ``wait()`` follows to the last attempt. A
``FatalError`` is not retried, and the last allowed attempt's failure is the outcome.
"""

from __future__ import annotations

from collections import Counter

from pyworkflow import FatalError, RunStatus, get_workflow_chain, start, wait, workflow
from pyworkflow.engine.runtime import Engine

from pyworkflow_conformance.contracts.engine import ConfiguredEngine
from pyworkflow_conformance.helpers import aio, uid

__all__ = ["EngineRetryContract"]

_ATTEMPTS: Counter[str] = Counter()


@workflow(name="conformance_retry_flaky", max_retries=2)
async def cr_flaky(key: str, failures: int, fatal: bool = False) -> str:
    _ATTEMPTS[key] += 1
    if fatal:
        raise FatalError(f"{key}: not worth retrying")
    if _ATTEMPTS[key] <= failures:
        raise ConnectionError(f"{key}: attempt {_ATTEMPTS[key]} failed")
    return f"{key}: done on attempt {_ATTEMPTS[key]}"


class EngineRetryContract(ConfiguredEngine):
    """Workflow-level retries on this backend."""

    area = "engine"

    @aio
    async def test_workflow_max_retries_runs_new_attempts_until_one_succeeds(
        self, engine: Engine
    ) -> None:
        ok, spent, fatal = uid("ok"), uid("spent"), uid("fatal")
        first = await start(cr_flaky, ok, 2)
        run = await wait(first, timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == f"{ok}: done on attempt 3"
        assert run.metadata["workflow_attempt"] == 3
        chain = await get_workflow_chain(first)
        assert [r.status for r in chain] == [RunStatus.FAILED, RunStatus.FAILED, run.status]
        assert chain[0].error is not None
        assert "attempt 1 failed" in str(chain[0].error)
        assert chain[1].continued_from == chain[0].id
        assert chain[1].input == chain[0].input
        assert _ATTEMPTS[ok] == 3  # each attempt ran once

        run = await wait(await start(cr_flaky, spent, 5), timeout=60)  # 3 attempts, all fail
        assert run.status is RunStatus.FAILED
        assert run.continued_to is None
        assert run.metadata["workflow_attempt"] == 3
        assert _ATTEMPTS[spent] == 3

        run = await wait(await start(cr_flaky, fatal, 0, fatal=True), timeout=60)
        assert run.status is RunStatus.FAILED
        assert run.continued_to is None
        assert _ATTEMPTS[fatal] == 1
