"""Hooks, as the predecessor's documentation writes them: hook() with on_created, a typed
hook from define_hook, resume_hook returning ResumeResult, and its errors."""

import asyncio

from pydantic import BaseModel
from pyworkflow import (
    HookAlreadyReceivedError,
    HookExpiredError,
    HookNotFoundError,
    ResumeResult,
    RunStatus,
    define_hook,
    get_workflow_run,
    hook,
    resume_hook,
    start,
    workflow,
)

tokens: list[str] = []


class Approval(BaseModel):
    approved: bool
    reviewer: str


approval_hook = define_hook("approval", Approval)


async def send_to_reviewer(token: str) -> None:
    tokens.append(token)


@workflow()
async def expense_report(amount: int) -> dict:
    decision = await approval_hook(timeout="1h", on_created=send_to_reviewer)
    comment = await hook("comment", on_created=send_to_reviewer)
    return {"approved": decision.approved, "by": decision.reviewer, "comment": comment}


@workflow()
async def quick_answer() -> object:
    return await hook("quick", timeout=0.2, on_created=send_to_reviewer)


async def main() -> None:
    assert approval_hook.name == "approval"
    assert approval_hook.schema is Approval
    run_id = await start(expense_report, 120)
    assert (await get_workflow_run(run_id)).status == RunStatus.SUSPENDED
    assert len(tokens) == 1

    result = await resume_hook(tokens[0], {"approved": True, "reviewer": "ana"})
    assert isinstance(result, ResumeResult)
    assert result.run_id == run_id
    assert result.status == "resumed"
    try:
        await resume_hook(tokens[0], {"approved": False, "reviewer": "bob"})
    except HookAlreadyReceivedError:
        pass
    else:
        raise AssertionError("a second payload must be refused")

    # the local runtime resumed the run in resume_hook: it now waits on its second hook
    assert len(tokens) == 2, tokens
    await resume_hook(tokens[1], "looks fine")
    run = await get_workflow_run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.result == {"approved": True, "by": "ana", "comment": "looks fine"}

    try:
        await resume_hook("not-a-real-token", {})
    except HookNotFoundError:
        pass
    else:
        raise AssertionError("an unknown token must raise HookNotFoundError")

    # a payload after the timeout is refused
    tokens.clear()
    await start(quick_answer)
    await asyncio.sleep(0.4)
    try:
        await resume_hook(tokens[0], "too late")
    except HookExpiredError:
        pass
    else:
        raise AssertionError("a payload after the hook's timeout must be refused")
    print("hooks: ok")


if __name__ == "__main__":
    asyncio.run(main())
