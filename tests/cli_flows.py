"""Workflows the CLI tests run in subprocesses (not a test module)."""

from __future__ import annotations

from pyworkflow import continue_as_new, sleep, start_child, step, wait_for_hook, workflow


@step
async def double(n: int) -> int:
    return n * 2


@workflow(name="cli_add")
async def add(a: int, b: int = 0) -> dict[str, int]:
    return {"sum": await double(a + b) // 2}


@workflow(name="cli_approval")
async def approval(item: str) -> str:
    decision = await wait_for_hook("approve")
    return f"{item}: {decision}"


@workflow(name="cli_boom")
async def boom() -> None:
    raise RuntimeError("kaboom")


@workflow(name="cli_loop")
async def loop(i: int) -> int:
    await sleep(0)
    if i < 2:
        continue_as_new(i + 1)
    return i


@workflow(name="cli_nap")
async def nap(seconds: float) -> str:
    await sleep(seconds)
    return "rested"


@workflow(name="cli_parent")
async def parent(n: int) -> int:
    child = await start_child(add, n, b=1)
    return (await child)["sum"]
