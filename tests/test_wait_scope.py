"""Two programs sharing one store: an inline ``wait(run_id)`` in one of them executes only its
own runs' tasks. Before, it executed every due task of the store, imported the other program's
script for its workflow and mapped ``__main__`` to it, so the waiting program's own
``__main__`` dataclass decoded as the other program's class."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

OTHER = """
    import asyncio
    from dataclasses import dataclass

    from pyworkflow import sleep, start, workflow


    @dataclass
    class Order:
        other: str


    @workflow(name="scope_other")
    async def other_flow() -> Order:
        await sleep(0.05)
        return Order("theirs")


    async def main() -> None:
        await start(other_flow)  # suspends on its sleep; nobody waits for it here


    if __name__ == "__main__":
        asyncio.run(main())
"""

MINE = """
    import asyncio
    import sys
    from dataclasses import dataclass

    from pyworkflow import RunStatus, sleep, start, wait, workflow


    @dataclass
    class Order:
        mine: int


    @workflow(name="scope_mine")
    async def my_flow() -> Order:
        await sleep(0.3)  # the other program's timer is due before this one
        return Order(7)


    async def main() -> None:
        run = await wait(await start(my_flow), timeout=60)
        assert run.status is RunStatus.COMPLETED, run.error
        assert run.result == Order(7), (type(run.result), run.result)
        assert "other" not in sys.modules, "wait() imported the other program"
        print(run.result)


    if __name__ == "__main__":
        asyncio.run(main())
"""


def _run(script: Path, cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYWORKFLOW_STORAGE_URL": url}
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wait_leaves_another_programs_tasks_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    (tmp_path / "other.py").write_text(textwrap.dedent(OTHER))
    (tmp_path / "mine.py").write_text(textwrap.dedent(MINE))
    other = _run(tmp_path / "other.py", tmp_path, url)
    assert other.returncode == 0, other.stderr
    mine = _run(tmp_path / "mine.py", tmp_path, url)
    assert mine.returncode == 0, f"{mine.stdout}\n{mine.stderr}"
    assert mine.stdout.strip() == "Order(mine=7)"
