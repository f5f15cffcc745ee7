"""The UI over plain HTTP (Starlette's TestClient) on a seeded SQLite store."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pyworkflow.models import HookStatus, NewEvent, RunStatus, Task, WorkflowRun
from pyworkflow.storage import StorageBackend
from pyworkflow_ui import create_app
from pyworkflow_ui.timeline import build_timeline
from starlette.testclient import TestClient

from .conftest import BIG_EVENTS, T0, TASK_STATES, Seeded, _free_port, run_async


@pytest.fixture
def client(sqlite_store: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_store.url)) as c:
        yield c


@pytest.fixture
def actions(sqlite_store: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_store.url, allow_actions=True)) as c:
        yield c


def _run_ids(text: str) -> list[str]:
    return re.findall(r'class="run-link mono" href="/runs/([^"]+)"', text)


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found, "no CSRF token in the page"
    return found.group(1)


def test_runs_filters_counts_and_keyset_paging(client: TestClient, sqlite_store: Seeded) -> None:
    r = client.get("/", params={"workflow": "orders"})
    assert r.status_code == 200
    assert len(_run_ids(r.text)) == 12
    for status, n in sqlite_store.by_status.items():
        assert f"{status}: <b>{n}</b>" in r.text
    failed = _run_ids(client.get("/", params={"workflow": "orders", "status": "failed"}).text)
    assert failed == ["orders-09", "orders-05", "orders-01"]
    window = client.get(
        "/", params={"workflow": "orders", "from": "2026-01-05T14:00", "to": "2026-01-05T17:00"}
    )
    assert _run_ids(window.text) == ["orders-04", "orders-03", "orders-02"]
    assert client.get("/", params={"from": "yesterday"}).status_code == 400
    assert client.get("/", params={"status": "bogus"}).status_code == 400
    # Keyset paging: a run inserted between pages (newest first, so before the cursor) moves
    # nothing; every run is seen exactly once.
    seen: list[str] = []
    params: dict[str, Any] = {"workflow": "orders", "limit": 5}
    while True:
        page = client.get("/", params=params).text
        seen.extend(_run_ids(page))
        if len(seen) == 5:
            run_async(_add_run(sqlite_store.url, "orders-new"))
        nxt = re.search(r'id="next-page" href="/\?([^"]+)"', page)
        if nxt is None:
            break
        params = dict(httpx.QueryParams(html.unescape(nxt.group(1))))
    assert seen == [f"orders-{i:02d}" for i in range(11, -1, -1)]


async def _add_run(url: str, run_id: str) -> None:
    async with StorageBackend.from_url(url) as backend:
        await backend.create_run(
            WorkflowRun(id=run_id, workflow_name="orders", created_at=T0 + timedelta(days=9))
        )


def test_run_page_timeline_log_links_and_truncation(
    client: TestClient, sqlite_store: Seeded
) -> None:
    r = client.get(f"/runs/{sqlite_store.big}")
    assert r.status_code == 200
    assert r.text.count('<tr class="span completed">') == BIG_EVENTS // 2
    assert f"{BIG_EVENTS} events, {BIG_EVENTS // 2} calls" in r.text
    assert r.text.count("<tr><td>") == 100  # the first page of the raw log
    nxt = client.get(f"/runs/{sqlite_store.big}/events", params={"after": 9990}).text
    assert re.findall(r"<tr><td>(\d+)</td>", nxt) == [str(n) for n in range(9991, 10001)]
    assert 'id="next-page"' not in nxt
    # Links: parent <-> child, the continue-as-new chain.
    parent = client.get(f"/runs/{sqlite_store.parent}").text
    assert f'href="/runs/{sqlite_store.child}"' in parent
    assert f'href="/runs/{sqlite_store.parent}"' in client.get(f"/runs/{sqlite_store.child}").text
    chain = client.get(f"/runs/{sqlite_store.chain[-1]}").text
    assert f'href="/runs/{sqlite_store.chain[0]}"' in chain
    # A 10,000-character input is cut, with a link to the whole value.
    xss = client.get(f"/runs/{sqlite_store.xss}").text
    assert "x" * 5000 not in xss
    assert f'href="/runs/{sqlite_store.xss}/fields/input"' in xss
    whole = client.get(f"/runs/{sqlite_store.xss}/fields/input").json()
    assert whole["big"] == "x" * 10_000
    assert client.get(f"/runs/{sqlite_store.xss}/fields/password").status_code == 404
    assert client.get("/runs/no-such-run").status_code == 404
    # Hooks with their tokens.
    hook_page = client.get(f"/runs/{sqlite_store.hook_run}").text
    assert sqlite_store.hook_token in hook_page


def test_stored_markup_is_escaped_everywhere(client: TestClient, sqlite_store: Seeded) -> None:
    for path in (
        f"/runs/{sqlite_store.xss}",
        f"/runs/{sqlite_store.xss}/events",
        f"/runs/{sqlite_store.hook_run}",
        "/",
    ):
        r = client.get(path)
        assert "<script>window" not in r.text, path
        assert "</textarea><img" not in r.text, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "&lt;script&gt;window.__xss" in client.get(f"/runs/{sqlite_store.xss}").text


def test_actions_are_refused_without_the_flag(client: TestClient, sqlite_store: Seeded) -> None:
    page = client.get(f"/runs/{sqlite_store.hook_run}").text
    assert 'name="csrf"' not in page
    assert "Cancel run" not in page
    origin = {"origin": "http://testserver"}
    r = client.post(f"/runs/{sqlite_store.hook_run}/cancel", data={"csrf": "x"}, headers=origin)
    assert r.status_code == 403
    assert "--allow-actions" in r.text
    r = client.post(f"/hooks/{sqlite_store.hook_token}/resume", data={"payload": "1"})
    assert r.status_code == 403
    assert _status(sqlite_store.url, sqlite_store.hook_run) is RunStatus.SUSPENDED


def _status(url: str, run_id: str) -> RunStatus:
    async def get() -> RunStatus:
        async with StorageBackend.from_url(url) as backend:
            run = await backend.get_run(run_id)
            assert run is not None
            return run.status

    return run_async(get())


def _cancel_requests(url: str, run_id: str) -> int:
    async def get() -> int:
        async with StorageBackend.from_url(url) as backend:
            return len(await backend.read(run_id, types=["cancellation.requested"]))

    return run_async(get())


def test_actions_need_same_origin_and_the_csrf_token(
    actions: TestClient, sqlite_store: Seeded
) -> None:
    run_id = run_async(_suspended_run(sqlite_store.url))
    token = _csrf(actions.get(f"/runs/{run_id}").text)
    url = f"/runs/{run_id}/cancel"
    own = {"origin": "http://testserver"}
    assert actions.post(url, data={"csrf": token}).status_code == 403  # no Origin/Referer
    evil = {"origin": "http://evil.example"}
    assert actions.post(url, data={"csrf": token}, headers=evil).status_code == 403
    assert actions.post(url, data={"csrf": "wrong"}, headers=own).status_code == 403
    assert actions.post(url, data={}, headers=own).status_code == 403
    assert _cancel_requests(sqlite_store.url, run_id) == 0
    r = actions.post(url, data={"csrf": token}, headers=own, follow_redirects=False)
    assert r.status_code == 303
    # the request is durable; a worker delivers it to the workflow (docs/engine.md)
    assert _cancel_requests(sqlite_store.url, run_id) == 1


async def _suspended_run(url: str) -> str:
    from pyworkflow.engine import api

    from .conftest import ui_approval

    with api.configured(url, inline=True):
        run_id = await api.start(ui_approval, "cancel me")
        await api.shutdown()
    return run_id


def test_resume_a_hook_with_a_json_payload(actions: TestClient, sqlite_store: Seeded) -> None:
    run_id = run_async(_suspended_run(sqlite_store.url))
    page = actions.get(f"/runs/{run_id}").text
    token = re.search(r'action="/hooks/([^"/]+)/resume"', page)
    assert token
    url = f"/hooks/{token.group(1)}/resume"
    own = {"origin": "http://testserver"}
    bad = actions.post(url, data={"csrf": _csrf(page), "payload": "{nope"}, headers=own)
    assert bad.status_code == 400
    assert "JSON" in bad.text
    r = actions.post(url, data={"csrf": _csrf(page), "payload": '{"ok": true}'}, headers=own)
    assert r.status_code == 200  # followed the redirect to the run
    hook = run_async(_hook(sqlite_store.url, token.group(1)))
    assert hook.status is HookStatus.RECEIVED


async def _hook(url: str, token: str) -> Any:
    async with StorageBackend.from_url(url) as backend:
        return await backend.get_hook(token)


def test_no_password_reaches_a_page() -> None:
    secret = "Sup3r-Secret-pw"
    app = create_app(f"postgresql://someone:{secret}@127.0.0.1:1/nowhere")
    client = TestClient(app)  # no lifespan: the store is never reached
    r = client.get("/")
    assert r.status_code >= 400
    assert "postgresql://someone:***@127.0.0.1:1/nowhere" in r.text
    assert secret not in r.text


def test_timeline_folds_retries_sleeps_and_hooks() -> None:
    t = T0
    raw = [
        ("workflow.started", {"workflow": "w"}),
        ("step.started", {"pos": 1, "kind": "step", "name": "a", "attempt": 1}),
        ("step.failed", {"pos": 1, "kind": "step", "name": "a", "attempt": 1, "final": False}),
        ("step.started", {"pos": 1, "kind": "step", "name": "a", "attempt": 2}),
        ("step.completed", {"pos": 1, "kind": "step", "name": "a", "attempt": 2}),
        ("sleep.started", {"pos": 2, "kind": "sleep", "name": "nap", "seconds": 5}),
        ("hook.created", {"pos": 3, "kind": "hook", "name": "approve", "token": "x" * 16}),
    ]
    events = [
        NewEvent(type=k, data=d, timestamp=t + timedelta(seconds=i)) for i, (k, d) in enumerate(raw)
    ]
    from pyworkflow.models import Event

    tl = build_timeline(
        Event(run_id="r", sequence=i + 1, id=e.id, type=e.type, data=e.data, timestamp=e.timestamp)
        for i, e in enumerate(events)
        if e.timestamp is not None
    )
    assert [(s.name, s.state, s.attempts, s.retries) for s in tl.spans] == [
        ("a", "completed", 2, 1),
        ("nap", "sleeping", 0, 0),
        ("approve", "waiting", 0, 0),
    ]
    assert tl.spans[0].duration == 3.0
    assert tl.spans[0].width == pytest.approx(50.0)
    assert [m.type for m in tl.markers] == ["workflow.started"]


def test_cli_binds_loopback_and_says_so(sqlite_store: Seeded) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyworkflow.cli",
            "ui",
            "--storage",
            sqlite_store.url,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"on http://127.0.0.1:{port}" in line
        assert "bound to 127.0.0.1: this machine only" in line
        assert "read-only" in line
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert r.status_code == 200
        assert "orders-00" in r.text
    finally:
        proc.terminate()
        proc.wait(10)


def test_timeline_starts_at_the_earliest_timestamp_and_open_calls_reach_the_end() -> None:
    from pyworkflow.models import Event

    def ev(seq: int, kind: str, data: dict[str, Any], second: float) -> Event:
        at = T0 + timedelta(seconds=second)
        return Event(run_id="r", sequence=seq, id=f"e{seq}", type=kind, data=data, timestamp=at)

    step = {"pos": 1, "kind": "step", "name": "s", "attempt": 1}
    tl = build_timeline(
        [
            ev(1, "workflow.started", {}, 1.0),
            ev(2, "step.started", step, 0.0),  # stamped when the attempt began: earlier
            ev(3, "step.completed", step, 2.0),
            ev(4, "hook.created", {"pos": 2, "kind": "hook", "name": "h"}, 3.0),
            ev(5, "context.updated", {}, 4.0),
        ]
    )
    assert tl.start == T0
    assert [s.offset for s in tl.spans] == [0.0, 3.0]
    assert tl.markers[0].offset == 1.0
    assert tl.spans[1].state == "waiting"
    assert tl.spans[1].width == pytest.approx(25.0)  # from 3 s to the log's end at 4 s


def test_schedules_show_their_next_firings(client: TestClient) -> None:
    text = client.get("/schedules").text
    assert "hourly-orders" in text
    assert "2026-01-06 01:00:00.000 UTC" in text  # the cron schedule's next_run_at
    # The 5-minute interval schedule: next_run_at, then the three firings after it.
    for minute in ("00", "05", "10", "15"):
        assert f"2026-01-05 12:{minute}:00.000 UTC" in text
    assert "&lt;script&gt;" in text  # its workflow name is hostile text, escaped


def _task_rows(text: str) -> dict[str, str]:
    return dict(re.findall(r'data-task="([^"]+)" data-state="([^"]+)"', text))


def test_tasks_page_shows_states_holders_and_filters(
    client: TestClient, sqlite_store: Seeded
) -> None:
    r = client.get("/tasks")
    assert r.status_code == 200
    rows = _task_rows(r.text)
    assert {k: rows[k] for k in TASK_STATES} == TASK_STATES
    # Claim order: the lapsed lease (due 2 h ago) first, the one due tomorrow last.
    order = [k for k in rows if k in TASK_STATES]
    assert order == ["task-expired", "task-leased", "task-ready", "task-later"]
    expired = r.text[r.text.index('data-task="task-expired"') :]
    expired = expired[: expired.index("</tr>")]
    assert 'class="task expired"' in r.text
    assert "worker-old" in expired
    assert "expired " in expired  # the lease cell says so
    leased = r.text[r.text.index('data-task="task-leased"') :]
    assert "worker-7" in leased[: leased.index("</tr>")]
    assert 'href="/runs/orders-02"' in leased[: leased.index("</tr>")]
    # The hostile payload is text, and no lease token is on the page.
    assert "<script>window.__xss" not in r.text
    assert "&lt;script&gt;window.__xss" in r.text
    assert _task_rows(client.get("/tasks", params={"state": "leased"}).text) == {
        "task-leased": "leased"
    }
    by_run = _task_rows(client.get("/tasks", params={"run": "orders-03"}).text)
    assert by_run == {"task-expired": "expired", "task-later": "scheduled"}
    assert client.get("/tasks", params={"state": "done"}).status_code == 400
    assert client.get("/tasks", params={"cursor": "garbage"}).status_code == 400
    assert 'href="/tasks?run=orders-02"' in client.get("/runs/orders-02").text


def test_tasks_page_pages_with_the_cursor(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/paged.db"

    async def fill() -> None:
        async with StorageBackend.from_url(url) as backend:
            for i in range(53):
                await backend.enqueue(
                    Task(id=f"p-{i:02d}", run_id="r", kind="timer", due_at=T0 + timedelta(i))
                )

    run_async(fill())
    seen: list[str] = []
    with TestClient(create_app(url)) as c:
        text = c.get("/tasks").text
        while True:
            seen.extend(_task_rows(text))
            found = re.search(r'id="next" href="([^"]+)"', text)
            if not found:
                break
            text = c.get(html.unescape(found.group(1))).text
    assert seen == [f"p-{i:02d}" for i in range(53)]
