"""Child workflows and their lifecycle: fan out, wait for results, and what happens to a
child still running when its parent ends.

    PYWORKFLOW_STORAGE_URL=sqlite:///demo.db uv run python examples/children.py

``resize`` children run as runs of their own (any worker may execute them); the parent
awaits their results durably. The ``watch`` child is started and not awaited: with the
default ``parent_close="cancel"`` it is cancelled when the parent completes, while the
``audit`` child, started with ``parent_close="abandon"``, lives on. Runs nest at most 3 deep
(``MaxNestingDepthError`` beyond).
"""

from __future__ import annotations

import asyncio

from pyworkflow import sleep, start_child, step, workflow


@step
async def shrink(image: str) -> str:
    return f"{image}@small"


@workflow
async def resize(image: str) -> str:
    return await shrink(image)


@workflow
async def watch() -> None:
    await sleep("1d")


@workflow
async def audit(batch: list[str]) -> int:
    await sleep("200ms")
    return len(batch)


@workflow
async def album(images: list[str]) -> list[str]:
    await start_child(watch)  # not awaited: cancelled when this run ends
    await start_child(audit, images, parent_close="abandon")  # runs on after this run
    handles = [await start_child(resize, image) for image in images]
    return [await handle for handle in handles]


if __name__ == "__main__":
    import pyworkflow

    async def main() -> None:
        pyworkflow.configure()
        run = await pyworkflow.wait(await pyworkflow.start(album, ["a.png", "b.png"]), timeout=60)
        print(run.status.value, run.result)
        children = {c.workflow_name: c for c in await pyworkflow.get_children(run.id)}
        watched = await pyworkflow.wait(children["watch"].id, timeout=60)
        audited = await pyworkflow.wait(children["audit"].id, timeout=60)
        print(f"watch: {watched.status.value}; audit: {audited.status.value} {audited.result}")
        assert run.result == ["a.png@small", "b.png@small"]
        assert watched.status is pyworkflow.RunStatus.CANCELLED
        assert audited.status is pyworkflow.RunStatus.COMPLETED

    asyncio.run(main())
