"""Event-count limits as the predecessor's configuration writes them: past
``event_hard_limit`` a durable run fails with ``EventLimitExceededError`` (recorded as the
run's error), past ``event_soft_limit`` a warning is logged, and a transient run has no
limit; the step context class is found through ``pyworkflow.context``."""

import asyncio
import logging
import warnings

import pyworkflow
from pyworkflow import RunStatus, start, step, workflow
from pyworkflow.context import get_step_context_class


@step()
async def tick(i: int) -> int:
    return i


@workflow()
async def many_steps(n: int) -> int:
    total = 0
    for i in range(n):
        total += await tick(i)
    return total


@workflow(durable=False)
async def many_steps_transient(n: int) -> int:
    return sum([await tick(i) for i in range(n)])


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # setting the limits warns: the defaults should stay
        pyworkflow.configure(event_soft_limit=5, event_hard_limit=8, event_warning_interval=2)
    records = Records()
    logging.getLogger("pyworkflow").addHandler(records)

    # workflow.started + 2 events a step: the 5th step would make 9 >= 8 events
    run_id = await start(many_steps, 10)
    run = await pyworkflow.get_workflow_run(run_id)
    assert run.status == RunStatus.FAILED, run.status
    assert "EventLimitExceededError" in str(run.error), run.error
    assert "exceeded maximum event limit" in str(run.error), run.error
    assert any("event" in m and "limit" in m for m in records.messages), records.messages

    # a transient run has no limit
    transient_id = await start(many_steps_transient, 10)
    assert await pyworkflow.get_workflow_run(transient_id) is None

    assert get_step_context_class() is None  # no workflow with context_class is running


if __name__ == "__main__":
    asyncio.run(main())
    print("limits: ok")
