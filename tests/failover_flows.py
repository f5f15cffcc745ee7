"""The workflow the failover and partition tests run in worker processes (not a test module).

``fo_ticker`` runs one step after another until a stop file appears. Each step attempt appends
``<run> <pos> <pid> <epoch seconds> b`` to an effects file when it begins and the same with
``e`` when it ends (one ``write`` on an ``O_APPEND`` descriptor, so lines from several processes
never interleave), sleeping in between, then returns whether to go on. The test reads the
effects file to see which process worked on which run when, e.g. how long after a worker was
killed another one took its runs over. If ``<effects>.slow.<pid>`` exists, a step that begins
in process ``pid`` sleeps the number of seconds written in it instead (to catch a worker in the
middle of a long step).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from pyworkflow import step, workflow


def _note(effects: str, run_id: str, pos: int, what: str) -> None:
    fd = os.open(effects, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{run_id} {pos} {os.getpid()} {time.time():.6f} {what}\n".encode())
    finally:
        os.close(fd)


def _slow(effects: str) -> float:
    slow = Path(f"{effects}.slow.{os.getpid()}")
    return float(slow.read_text()) if slow.exists() else 0.0


def _exists(path: str) -> bool:
    return os.path.exists(path)


@step(name="fo_tick")
async def tick(effects: str, run_id: str, pos: int, seconds: float) -> bool:
    _note(effects, run_id, pos, "b")
    await asyncio.sleep(_slow(effects) or seconds)
    _note(effects, run_id, pos, "e")
    return not _exists(effects + ".stop")


@workflow(name="fo_ticker")
async def ticker(effects: str, run_id: str, seconds: float) -> int:
    """Tick until the stop file exists; return the number of steps. ``run_id`` is a label the
    test chooses (the workflow cannot know its own run id before it is created)."""
    pos = 0
    while True:
        pos += 1
        if not await tick(effects, run_id, pos, seconds):
            return pos
