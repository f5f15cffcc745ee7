"""A store with what the UI tests look at (not a test module).

Most runs are written through the storage contract (fast and exact: statuses, times,
parent/child links, a 10,000-event log, hostile text); two are real engine runs, one waiting
on a hook and one continued-as-new twice, so the actions and the chain are the engine's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pyworkflow import continue_as_new, sleep, step, wait_for_hook, workflow
from pyworkflow.engine import api
from pyworkflow.models import Hook, NewEvent, RunStatus, WorkflowRun
from pyworkflow.storage import StorageBackend

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
    return s
