"""Transient workflows (durable=False), as the predecessor's documentation writes them: run in
process, nothing stored, steps and sleep run directly, hooks and children refused."""

import asyncio

from pyworkflow import (
    continue_as_new,
    get_workflow_run,
    hook,
    sleep,
    start,
    start_child,
    step,
    workflow,
)

calls: list[str] = []


@step()
async def charge(amount: int) -> str:
    calls.append(f"charge {amount}")
    return f"charged {amount}"


@workflow(durable=False)
async def quick_checkout(amount: int) -> str:
    receipt = await charge(amount)
    await sleep("1s")  # asyncio.sleep: nothing suspends
    try:
        await hook("approval")
    except NotImplementedError:
        calls.append("no hooks")
    try:
        await start_child(child)
    except RuntimeError:
        calls.append("no children")
    calls.append(receipt)
    return receipt


@workflow()
async def child() -> None:
    return None


@workflow()
async def usually_durable(x: int) -> int:
    calls.append(f"usually_durable {x}")
    return x


@step(max_retries=2, retry_delay=0)
async def shaky() -> str:
    calls.append("shaky")
    if calls.count("shaky") < 3:
        raise ConnectionError("flaky network")
    return "third time lucky"


@workflow(durable=False)
async def transient_retries() -> str:
    return await shaky()  # retried inline: no suspension, no record


@workflow(durable=False)
async def transient_poller(n: int) -> None:
    calls.append(f"poll {n}")
    continue_as_new(n + 1)


async def main() -> None:
    run_id = await start(quick_checkout, 42)
    assert calls == ["charge 42", "no hooks", "no children", "charged 42"], calls
    assert await get_workflow_run(run_id) is None  # nothing was stored

    # start(durable=False) makes a durable workflow transient for one call
    calls.clear()
    other = await start(usually_durable, 7, durable=False)
    assert calls == ["usually_durable 7"]
    assert await get_workflow_run(other) is None

    # ... and durable=True keeps it durable (the keyword never reaches the workflow)
    stored = await get_workflow_run(await start(usually_durable, 8, durable=True))
    assert stored is not None
    assert stored.result == 8

    calls.clear()
    await start(transient_retries)
    assert calls == ["shaky", "shaky", "shaky"], calls

    # continue_as_new in a transient run: the run just ends, nothing is continued
    calls.clear()
    await start(transient_poller, 1)
    assert calls == ["poll 1"], calls
    print("transient: ok")


if __name__ == "__main__":
    asyncio.run(main())
