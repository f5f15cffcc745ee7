"""The ASGI application: server-rendered pages over one :class:`StorageBackend`.

Every page reads through the storage contract only, so the UI works on any backend. Reads are
bounded: lists are keyset-paged with the contract's cursors, a run's timeline reads its log
once (in pages) and builds every row in one pass, and status counts stop at
:data:`COUNT_CAP` runs. Actions (cancel, resume a hook) exist only when ``allow_actions`` is
set, and then only as same-origin POSTs with the process's CSRF token.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pyworkflow.errors import InvalidInput, NotFound, PyWorkflowError
from pyworkflow.models import TERMINAL_STATUSES, RunFilter, RunStatus, Schedule, WorkflowRun
from pyworkflow.storage import StorageBackend
from pyworkflow.task_views import TaskState
from pyworkflow.urls import StorageURL
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .actions import cancel_run, resume_hook
from .render import compact, environment, preview
from .security import SECURITY_HEADERS, ActionRefused, check_action, new_csrf_token
from .timeline import build_timeline

__all__ = ["COUNT_CAP", "EVENT_PAGE", "create_app"]

#: the status counts of the runs page look at no more than this many runs
COUNT_CAP = 10_000
#: events per page of the raw event log
EVENT_PAGE = 100
_READ_PAGE = 1000
_RUN_PAGE = 50
#: characters of a task's payload shown in the tasks list
_PAYLOAD_CHARS = 300
_FIELDS = ("input", "result", "error", "context", "metadata")


def _parse_time(text: str | None, name: str) -> datetime | None:
    """A ``datetime-local`` or ISO 8601 value; naive means UTC."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a date and time (ISO 8601), got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be in {low}..{high}, got {value}")
    return value


def _upcoming(schedule: Schedule, count: int = 3) -> list[datetime]:
    """The firings after ``next_run_at`` that an interval alone determines (cron and calendar
    times are the scheduler's to compute: for those only ``next_run_at`` is shown)."""
    if schedule.next_run_at is None or not schedule.interval or schedule.cron or schedule.calendar:
        return []
    step = timedelta(seconds=schedule.interval)
    return [schedule.next_run_at + step * k for k in range(1, count + 1)]


class _UI:
    """The state one app shares between requests: the store, templates, CSRF token."""

    def __init__(self, storage: str | StorageURL | StorageBackend, allow_actions: bool) -> None:
        if isinstance(storage, StorageBackend):
            self.backend, self.owned = storage, False
        else:
            self.backend, self.owned = StorageBackend.from_url(storage), True
        self.allow_actions = allow_actions
        self.csrf = new_csrf_token()
        self.env = environment()
        self.where = str(self.backend.url)  # the URL with its password hidden

    def page(self, request: Request, name: str, status: int = 200, **values: Any) -> Response:
        template = self.env.get_template(name)
        html = template.render(
            request=request,
            where=self.where,
            allow_actions=self.allow_actions,
            csrf=self.csrf,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    # -- runs ----------------------------------------------------------------------------------

    async def runs(self, request: Request) -> Response:
        q = request.query_params
        workflow = q.get("workflow") or None
        statuses = frozenset(RunStatus(s) for s in q.getlist("status") if s in set(RunStatus))
        bad = [s for s in q.getlist("status") if s not in set(RunStatus)]
        if bad:
            raise InvalidInput(f"unknown status {bad[0]!r}")
        created_after = _parse_time(q.get("from"), "from")
        created_before = _parse_time(q.get("to"), "to")
        limit = _int_param(request, "limit", _RUN_PAGE, 1, 1000)
        cursor = q.get("cursor") or None
        flt = RunFilter(
            workflow_name=workflow,
            statuses=statuses or None,
            created_after=created_after,
            created_before=created_before,
        )
        page = await self.backend.list_runs(flt, limit=limit, cursor=cursor)
        counts, capped = await self._counts(
            RunFilter(
                workflow_name=workflow,
                created_after=created_after,
                created_before=created_before,
            )
        )
        base = {
            "workflow": workflow,
            "status": sorted(statuses),
            "from": q.get("from"),
            "to": q.get("to"),
            "limit": None if limit == _RUN_PAGE else limit,
        }
        return self.page(
            request,
            "runs.html",
            runs=page.items,
            next_cursor=page.next_cursor,
            first_page=cursor is None,
            base=base,
            statuses=[s for s in RunStatus if s.name != "CONTINUED"],
            chosen=statuses,
            counts=counts,
            capped=capped,
            live=cursor is None,
        )

    async def _counts(self, flt: RunFilter) -> tuple[dict[str, int], bool]:
        """Runs per status among the first :data:`COUNT_CAP` matching ``flt`` (the contract has
        no count, so this pages through them; ``True`` when it stopped at the cap)."""
        counts: dict[str, int] = {}
        seen = 0
        cursor: str | None = None
        while True:
            page = await self.backend.list_runs(flt, limit=1000, cursor=cursor)
            for run in page.items:
                counts[run.status.value] = counts.get(run.status.value, 0) + 1
            seen += len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return counts, False
            if seen >= COUNT_CAP:
                return counts, True

    async def _get_run(self, run_id: str) -> WorkflowRun:
        run = await self.backend.get_run(run_id)
        if run is None:
            raise NotFound(f"no run with id {run_id!r}")
        return run

    async def run(self, request: Request) -> Response:
        run = await self._get_run(request.path_params["run_id"])
        events = []
        after = 0
        while True:  # the whole log, in pages: the timeline needs every event once
            chunk = await self.backend.read(run.id, after=after, limit=_READ_PAGE)
            events.extend(chunk)
            if len(chunk) < _READ_PAGE:
                break
            after = chunk[-1].sequence
        timeline = build_timeline(events)
        hooks = []
        for e in events:
            if e.type == "hook.created" and isinstance(e.data.get("token"), str):
                hook = await self.backend.get_hook(e.data["token"])
                hooks.append((e, hook))
        children = await self.backend.children(run.id)
        chain = await self.backend.chain(run.id)
        fields = {name: preview(getattr(run, name)) for name in _FIELDS}
        return self.page(
            request,
            "run.html",
            run=run,
            fields=fields,
            timeline=timeline,
            hooks=hooks,
            children=children,
            chain=chain if len(chain) > 1 else [],
            first_events=events[:EVENT_PAGE],
            more_events=len(events) > EVENT_PAGE,
            live=run.status not in TERMINAL_STATUSES,
            terminal=run.status in TERMINAL_STATUSES,
        )

    async def events(self, request: Request) -> Response:
        run = await self._get_run(request.path_params["run_id"])
        after = _int_param(request, "after", 0, 0, 2**63 - 1)
        limit = _int_param(request, "limit", EVENT_PAGE, 1, 1000)
        chunk = await self.backend.read(run.id, after=after, limit=limit + 1)
        more = len(chunk) > limit
        chunk = chunk[:limit]
        return self.page(
            request,
            "events.html",
            run=run,
            events=chunk,
            after=after,
            limit=limit,
            next_after=chunk[-1].sequence if more and chunk else None,
        )

    async def field(self, request: Request) -> Response:
        """A run's whole stored value (input, result, ...), as JSON."""
        name = request.path_params["name"]
        if name not in _FIELDS:
            raise NotFound(f"runs have no field {name!r}")
        run = await self._get_run(request.path_params["run_id"])
        return JSONResponse(getattr(run, name), headers=SECURITY_HEADERS)

    async def event(self, request: Request) -> Response:
        """One event's whole data, as JSON."""
        run_id = request.path_params["run_id"]
        seq = request.path_params["seq"]
        found = await self.backend.read(run_id, after=seq - 1, limit=1) if seq > 0 else []
        if not found or found[0].sequence != seq:
            raise NotFound(f"run {run_id!r} has no event {seq}")
        e = found[0]
        body = {"sequence": e.sequence, "id": e.id, "type": e.type, "data": e.data}
        return JSONResponse(body | {"timestamp": e.timestamp.isoformat()}, headers=SECURITY_HEADERS)

    async def stamp(self, request: Request) -> Response:
        """What the live script polls: a run's status and last sequence."""
        run = await self._get_run(request.path_params["run_id"])
        version = await self.backend.version(run.id)
        return JSONResponse({"status": run.status.value, "version": version})

    # -- schedules and tasks -------------------------------------------------------------------

    async def schedules(self, request: Request) -> Response:
        cursor = request.query_params.get("cursor") or None
        page = await self.backend.list_schedules(limit=_RUN_PAGE, cursor=cursor)
        return self.page(
            request,
            "schedules.html",
            schedules=page.items,
            upcoming={s.id: _upcoming(s) for s in page.items},
            next_cursor=page.next_cursor,
            now=datetime.now(UTC),
            live=True,
        )

    async def tasks(self, request: Request) -> Response:
        """Tasks and leases: every stored task in claim order, with its holder and expiry."""
        q = request.query_params
        run_id = q.get("run") or None
        state = q.get("state") or None
        if state is not None and state not in set(TaskState):
            raise InvalidInput(f"unknown task state {state!r}")
        cursor = q.get("cursor") or None
        now = datetime.now(UTC)
        page = await self.backend.list_tasks(
            run_id=run_id, state=state, limit=_RUN_PAGE, cursor=cursor, now=now
        )
        return self.page(
            request,
            "tasks.html",
            tasks=page.items,
            payloads={i.task.id: compact(i.task.payload, _PAYLOAD_CHARS) for i in page.items},
            base={"run": run_id, "state": state},
            states=list(TaskState),
            next_cursor=page.next_cursor,
            first_page=cursor is None,
            now=now,
            live=True,
        )

    # -- actions -------------------------------------------------------------------------------

    async def _form(self, request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

    async def cancel(self, request: Request) -> Response:
        form = await self._form(request)
        check_action(request, form, allowed=self.allow_actions, token=self.csrf)
        run_id = request.path_params["run_id"]
        await self._get_run(run_id)
        await cancel_run(self.backend, run_id, form.get("reason") or "cancelled from the UI")
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    async def resume(self, request: Request) -> Response:
        form = await self._form(request)
        check_action(request, form, allowed=self.allow_actions, token=self.csrf)
        token = request.path_params["token"]
        try:
            payload = json.loads(form.get("payload") or "null")
        except ValueError:
            raise InvalidInput('the payload must be JSON (quote a string: "yes")') from None
        hook = await self.backend.get_hook(token)
        if hook is None:
            raise NotFound("no hook with this token")
        await resume_hook(self.backend, token, payload)
        return RedirectResponse(f"/runs/{hook.run_id}", status_code=303)


def create_app(
    storage: str | StorageURL | StorageBackend, *, allow_actions: bool = False
) -> Starlette:
    """The UI over ``storage`` (a URL, or a backend the caller connects and closes).

    Given a URL, the app connects at startup and closes at shutdown. ``allow_actions`` enables
    cancelling runs and resuming hooks; without it those POSTs answer 403.
    """
    ui = _UI(storage, allow_actions)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if ui.owned:
            await ui.backend.connect()
        try:
            yield
        finally:
            if ui.owned:
                await ui.backend.close()

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ActionRefused)
        return ui.page(request, "error.html", exc.status, message=str(exc))

    async def failed(request: Request, exc: Exception) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400 if isinstance(exc, InvalidInput) else 500
        message = f"{type(exc).__name__}: {exc}"
        return ui.page(request, "error.html", status, message=message)

    routes = [
        Route("/", ui.runs),
        Route("/runs/{run_id}", ui.run),
        Route("/runs/{run_id}/events", ui.events),
        Route("/runs/{run_id}/events/{seq:int}", ui.event),
        Route("/runs/{run_id}/fields/{name}", ui.field),
        Route("/runs/{run_id}/stamp", ui.stamp),
        Route("/runs/{run_id}/cancel", ui.cancel, methods=["POST"]),
        Route("/hooks/{token}/resume", ui.resume, methods=["POST"]),
        Route("/schedules", ui.schedules),
        Route("/tasks", ui.tasks),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ActionRefused: refused, PyWorkflowError: failed},
    )
