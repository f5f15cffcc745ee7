"""A progress line while one test runs long: ``[still running test_x: 60 s]``.

pytest reports a test when it ends, so a test (or a fixture's setup) that runs for minutes, as
the contention rounds on a moto DynamoDB server do, leaves the log silent that long and looks
hung. This plugin writes one short note on the log every ``--pyworkflow-heartbeat`` seconds
(default 60; 0 turns it off) while the same test is still running. It costs no test time: a
daemon thread waits on a condition and writes to a duplicate of the terminal's file
descriptor taken at configure time, so pytest's output capture of the test is not touched.
Nothing is written under ``-q -q`` or when stdout is not a file descriptor.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Generator

import pytest

__all__ = ["Heartbeat", "add_option", "register"]

DEFAULT_EVERY = 60.0


def add_option(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--pyworkflow-heartbeat",
        dest="pyworkflow_heartbeat",
        type=float,
        default=DEFAULT_EVERY,
        metavar="SECONDS",
        help="while one test runs longer, note it on the log every SECONDS "
        f"(default {DEFAULT_EVERY:g}; 0: never)",
    )


def register(config: pytest.Config) -> None:
    """Register the heartbeat for this session unless it is off or has nowhere to write."""
    every = float(config.getoption("pyworkflow_heartbeat", DEFAULT_EVERY) or 0)
    if every <= 0 or config.get_verbosity() < -1 or config.option.collectonly:
        return
    try:
        fd = os.dup(sys.stdout.fileno())  # capture is suspended while plugins configure
    except (AttributeError, OSError, ValueError):
        return  # stdout replaced by something without a descriptor: nowhere to write
    config.pluginmanager.register(Heartbeat(fd, every), "pyworkflow-conformance-heartbeat")


class Heartbeat:
    """Notes the running test on ``fd`` every ``every`` seconds it keeps running."""

    def __init__(self, fd: int, every: float) -> None:
        self._fd, self._every = fd, every
        self._lock = threading.Condition()
        self._current: tuple[str, float] | None = None  # (test name, monotonic start)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="pytest-heartbeat", daemon=True)
        self._thread.start()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        with self._lock:
            self._current = (item.name, time.monotonic())
            self._lock.notify()
        try:
            return (yield)
        finally:
            with self._lock:
                self._current = None
                self._lock.notify()

    def pytest_unconfigure(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def _run(self) -> None:
        seen: tuple[str, float] | None = None
        notes = 0  # notes written for `seen`
        with self._lock:
            while not self._closed:
                current = self._current
                if current is None:
                    self._lock.wait()
                    continue
                if current is not seen:
                    seen, notes = current, 0
                name, started = current
                remaining = started + self._every * (notes + 1) - time.monotonic()
                if remaining > 0:
                    self._lock.wait(timeout=remaining)  # woken early when the test ends
                    continue
                notes += 1
                self._write(f" [still running {name}: {time.monotonic() - started:.0f} s]")

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self._fd, text.encode())
