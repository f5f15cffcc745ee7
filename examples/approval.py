"""A workflow that waits for a person: a hook, a step context, a child and a retrying step.

    uv run pyworkflow run examples/approval.py:expense '{"who": "ana", "amount": 120}' \\
        --no-wait --storage sqlite:///demo.db            # prints the run id
    uv run pyworkflow worker --storage sqlite:///demo.db --until-idle
    uv run pyworkflow hooks list RUN_ID --storage sqlite:///demo.db     # shows the token
    uv run pyworkflow hooks resume TOKEN '"approved"' --storage sqlite:///demo.db
    uv run pyworkflow worker --storage sqlite:///demo.db --until-idle
    uv run pyworkflow runs show RUN_ID --storage sqlite:///demo.db
"""

from __future__ import annotations

from dataclasses import dataclass

from pyworkflow import (
    get_step_context,
    set_step_context,
    start_child,
    step,
    wait_for_hook,
    workflow,
)


@dataclass(frozen=True)
class Policy:
    currency: str
    auto_approve_below: int


@step(retries=3, backoff="500ms")
async def pay(who: str, amount: int) -> str:
    policy = get_step_context()  # read-only copy, on whichever worker runs this step
    return f"paid {amount} {policy.currency} to {who}"


@workflow
async def notify(who: str, text: str) -> str:
    return f"notified {who}: {text}"


@workflow
async def expense(claim: dict[str, object]) -> dict[str, object]:
    await set_step_context(Policy(currency="EUR", auto_approve_below=50))
    who, amount = str(claim["who"]), int(claim["amount"])  # type: ignore[call-overload]
    if amount >= 50:
        decision = await wait_for_hook("manager-approval", timeout="7d")
        if decision != "approved":
            return {"paid": False, "decision": decision}
    receipt = await pay(who, amount)
    note = await (await start_child(notify, who, receipt))
    return {"paid": True, "receipt": receipt, "note": note}
