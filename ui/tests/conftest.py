"""Fixtures of the UI tests: a seeded store, the UI served on a loopback port, a browser.

The seeded store holds what the pages show:
most runs are written through the storage contract (fast and exact: statuses, times,
parent/child links, a 10,000-event log, hostile text); two are real engine runs, one waiting
on a hook and one continued-as-new twice, so the actions and the chain are the engine's own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from pyworkflow import continue_as_new, sleep, step, wait_for_hook, workflow
from pyworkflow.engine import api
from pyworkflow.models import Hook, NewEvent, RunStatus, Schedule, Task, WorkflowRun
from pyworkflow.storage import StorageBackend
from pyworkflow_ui import create_app

CHROMIUM = os.environ.get("PYWORKFLOW_TEST_CHROMIUM", "/usr/bin/chromium")

T = TypeVar("T")
XSS = "<script>window.__xss = 1</script></textarea><img src=x onerror='window.__xss = 2'>"
BIG_EVENTS = 10_000
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@step
async def ui_double(n: int) -> int:
    return n * 2


@workflow(name="ui_approval")
async def ui_approval(item: str) -> str:
    await ui_double(1)
    decision = await wait_for_hook("approve")
    return f"{item}: {decision}"


@workflow(name="ui_loop")
async def ui_loop(i: int) -> int:
    await sleep(0)
    if i < 2:
        continue_as_new(i + 1)
    return i


@dataclass
class Seeded:
    url: str
    big: str = ""
    xss: str = ""
    parent: str = ""
    child: str = ""
    hook_run: str = ""
    hook_token: str = ""
    chain: list[str] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)


async def seed(url: str) -> Seeded:
    s = Seeded(url)
    backend = StorageBackend.from_url(url)
    async with backend:
        # 12 "orders" runs over 12 hours, cycling through four statuses.
        cycle = [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.RUNNING, RunStatus.SUSPENDED]
        for i in range(12):
            status = cycle[i % 4]
            run = WorkflowRun(
                id=f"orders-{i:02d}",
                workflow_name="orders",
                status=status,
                input={"order": i},
                result={"ok": True} if status is RunStatus.COMPLETED else None,
                error={"type": "ValueError", "message": "bad"}
                if status is RunStatus.FAILED
                else None,
                created_at=T0 + timedelta(hours=i),
                updated_at=T0 + timedelta(hours=i),
            )
            await backend.create_run(run)
            s.by_status[status.value] = s.by_status.get(status.value, 0) + 1
        s.parent, s.child = "family-parent", "family-child"
        await backend.create_run(
            WorkflowRun(id=s.parent, workflow_name="family", created_at=T0 - timedelta(days=1))
        )
        await backend.create_run(
            WorkflowRun(
                id=s.child,
                workflow_name="family",
                parent_id=s.parent,
                created_at=T0 - timedelta(days=1),
            )
        )
        await backend.create_schedule(
            Schedule(
                id="hourly-orders",
                workflow_name="orders",
                cron="0 * * * *",
                next_run_at=T0 + timedelta(hours=13),
                last_run_at=T0 + timedelta(hours=12),
            )
        )
        await backend.create_schedule(
            Schedule(id="every-5m", workflow_name=XSS[:40], interval=300, next_run_at=T0)
        )
        # Hostile text in every place a stored value is shown.
        s.xss = "xss-run"
        await backend.create_run(
            WorkflowRun(
                id=s.xss,
                workflow_name="xss",
                status=RunStatus.FAILED,
                input={"note": XSS, "big": "x" * 10_000},
                error={"type": "Error", "message": XSS},
                created_at=T0 - timedelta(days=2),
            )
        )
        await backend.append(
            s.xss,
            [NewEvent(type="step.started", data={"pos": 1, "kind": "step", "name": XSS})],
            expected_version=0,
        )
        await backend.create_hook(Hook(run_id=s.xss, name=XSS, token="t" * 16 + "-xss"))
        # 10,000 events: 5,000 steps of two events each, one second apart, some retried.
        s.big = "big-run"
        await backend.create_run(
            WorkflowRun(
                id=s.big,
                workflow_name="big",
                status=RunStatus.COMPLETED,
                created_at=T0 - timedelta(days=3),
            )
        )
        batch: list[NewEvent] = []
        version = 0
        for n in range(BIG_EVENTS // 2):
            at = T0 + timedelta(seconds=n)
            step_data = {"pos": n + 1, "kind": "step", "name": f"step_{n % 7}", "attempt": 1}
            batch.append(NewEvent(type="step.started", data=step_data, timestamp=at))
            batch.append(
                NewEvent(
                    type="step.completed",
                    data={**step_data, "result": n},
                    timestamp=at + timedelta(milliseconds=400),
                )
            )
            if len(batch) == 1000:
                version = await backend.append(s.big, batch, expected_version=version)
                batch = []
    # Two real engine runs.
    with api.configured(url, inline=True):
        s.hook_run = await api.start(ui_approval, XSS)
        hooks = await api.pending_hooks(s.hook_run)
        s.hook_token = hooks[0].token
        first = await api.start(ui_loop, 0)
        s.chain = [r.id for r in await api.get_workflow_chain(first)]
        await api.shutdown()
    await seed_tasks(url)
    return s


#: the tasks seeded for the tasks & leases page: id -> the state it shows
TASK_STATES = {
    "task-expired": "expired",
    "task-leased": "leased",
    "task-ready": "ready",
    "task-later": "scheduled",
}


async def seed_tasks(url: str) -> None:
    """One task in each state, relative to the real clock (the page shows states as of now):
    leased by ``worker-7`` for an hour, a lease of ``worker-old`` that lapsed two hours ago,
    a ready one carrying hostile text, one due tomorrow. Seeded after the engine runs, whose
    inline worker would otherwise claim them."""
    now = datetime.now(UTC)
    async with StorageBackend.from_url(url) as backend:
        await backend.enqueue(
            Task(id="task-leased", run_id="orders-02", kind="step.retry", due_at=now - _H)
        )
        await backend.claim("worker-7", lease=_H, now=now)
        await backend.enqueue(
            Task(id="task-expired", run_id="orders-03", kind="timer", due_at=now - 2 * _H)
        )
        await backend.claim("worker-old", lease=60, now=now - 2 * _H + timedelta(seconds=1))
        await backend.enqueue(
            Task(
                id="task-ready",
                run_id="xss-run",
                kind="resume",
                due_at=now - timedelta(minutes=1),
                payload={"note": XSS},
            )
        )
        await backend.enqueue(
            Task(id="task-later", run_id="orders-03", kind="timer", due_at=now + 24 * _H)
        )


_H = timedelta(hours=1)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` in a thread of its own: Playwright's sync API keeps an event loop
    running in the test's thread, where ``asyncio.run`` is refused."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """One seeded SQLite store for the plain HTTP tests (they only read it, or act on their
    own runs)."""
    path = tmp_path_factory.mktemp("ui-sqlite") / "store.db"
    return run_async(seed(f"sqlite:///{path}"))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pyworkflow_services: Any,
) -> Seeded:
    """A seeded store on SQLite and on PostgreSQL (skipped, saying so, without a server)."""
    tmp = tmp_path_factory.mktemp(f"ui-{request.param}")
    with ThreadPoolExecutor(1) as pool:  # it may run an event loop of its own (see run_async)
        url: str = pool.submit(pyworkflow_services.fresh_url, request.param, tmp).result()
    return run_async(seed(url))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    base: str
    store: Seeded
    server: uvicorn.Server
    thread: threading.Thread


def _serve(store: Seeded, *, allow_actions: bool) -> Served:
    """The UI on a free loopback port, in a thread with its own event loop."""
    port = _free_port()
    app = create_app(store.url, allow_actions=allow_actions)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the UI server did not start")
        time.sleep(0.02)
    return Served(f"http://127.0.0.1:{port}", store, server, thread)


@pytest.fixture(scope="session")
def served(store: Seeded) -> Iterator[Served]:
    """The read-only UI (no --allow-actions) over ``store``."""
    s = _serve(store, allow_actions=False)
    yield s
    s.server.should_exit = True
    s.thread.join(10)


@pytest.fixture(scope="session")
def served_actions(store: Seeded) -> Iterator[Served]:
    """The UI with --allow-actions over ``store``."""
    s = _serve(store, allow_actions=True)
    yield s
    s.server.should_exit = True
    s.thread.join(10)


@pytest.fixture(scope="module")
def browser(pyworkflow_services: Any) -> Iterator[Any]:
    """One headless Chromium (Debian's, not Playwright's download) for the browser tests.

    Module-scoped, not session-scoped: Playwright's sync API keeps an event loop running in
    the test thread while it is open, where every later test's ``asyncio.run`` would fail. It
    depends on ``pyworkflow_services`` so that the stores are dropped after it is gone."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
