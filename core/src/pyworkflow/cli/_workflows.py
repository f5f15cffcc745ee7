"""``pyworkflow run`` and ``pyworkflow workflows list|info|run``: one start-and-wait
implementation for both (``run`` takes a ``file.py:function`` target and positional
arguments; ``workflows run`` a registered name and ``--arg key=value``)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

from rich.markup import escape

from pyworkflow.engine import api
from pyworkflow.engine import registry as wf_registry
from pyworkflow.engine.errors import UnsafeSetup, WaitTimeout
from pyworkflow.engine.registry import WorkflowDef, load_target, lookup_workflow
from pyworkflow.errors import InvalidInput
from pyworkflow.models import RunStatus

from ._globals import (
    discover_modules,
    output_format,
    prepare_store,
    refuse_celery,
    storage_url,
)
from ._output import emit_json, err, jsonable, show_list, show_record

__all__ = [
    "cmd_run",
    "cmd_workflows_info",
    "cmd_workflows_list",
    "cmd_workflows_run",
    "parse_value",
    "registered",
]


def parse_value(text: str) -> Any:
    """A CLI value: JSON if it parses, else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(items: list[str], flag: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{flag} takes KEY=VALUE, got {item!r}")
        kwargs[key] = parse_value(value)
    return kwargs


def registered() -> list[WorkflowDef]:
    """The workflows registered in this process, by name."""
    return sorted(wf_registry._WORKFLOWS.values(), key=lambda d: d.name)


def _describe(d: WorkflowDef) -> dict[str, Any]:
    # the options live on d.options; max_duration is kept in seconds ("3600s" for "1h")
    max_duration = d.options.max_duration
    return {
        "name": d.name,
        "max_duration": "None" if max_duration is None else f"{max_duration:g}s",
        "tags": list(d.options.tags),
        "function": {"name": d.fn.__name__, "module": d.module, "doc": d.fn.__doc__},
    }


async def cmd_workflows_list(args: argparse.Namespace) -> int:
    discover_modules(args)
    rows = [{k: v for k, v in _describe(d).items() if k != "function"} for d in registered()]
    for row in rows:
        row["tags_text"] = ", ".join(row["tags"]) or "-"
    fmt = output_format(args)
    if fmt == "json":
        emit_json([{k: v for k, v in r.items() if k != "tags_text"} for r in rows])
        return 0
    show_list(
        fmt,
        rows,
        [("Name", "name"), ("Max Duration", "max_duration"), ("Tags", "tags_text")],
        plain="name",
        title="Registered Workflows",
        empty="no workflows registered: pass --module or set `module` in pyworkflow.config.yaml",
    )
    return 0


async def cmd_workflows_info(args: argparse.Namespace) -> int:
    discover_modules(args)
    info = _describe(lookup_workflow(args.name))
    flat = {
        **info,
        "function_name": info["function"]["name"],
        "module": info["function"]["module"],
        "tags_text": ", ".join(info["tags"]),
        "doc": (info["function"]["doc"] or "").strip(),
    }
    if output_format(args) == "json":
        emit_json(info)
        return 0
    show_record(
        output_format(args),
        flat,
        [
            ("Name", "name"),
            ("Max Duration", "max_duration"),
            ("Function", "function_name"),
            ("Module", "module"),
            ("Tags", "tags_text"),
            ("Description", "doc"),
        ],
        title=f"workflow {info['name']}",
    )
    return 0


async def _wait_telling_hooks(run_id: str, limit: float | None, command: str) -> Any:
    """``api.wait`` that, when the run waits on a hook, prints its token and the exact
    command that resumes it (once per token) instead of blocking silently."""
    import time

    deadline = None if limit is None else time.monotonic() + limit
    told: set[str] = set()
    while True:
        step = 1.0 if deadline is None else max(0.01, min(1.0, deadline - time.monotonic()))
        try:
            return await api.wait(run_id, timeout=step)
        except TimeoutError:
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"run {run_id} has not ended after {limit}s; it goes on (a worker "
                    "resumes it when it is due)"
                ) from None
        for hook in await api.pending_hooks(run_id):
            if hook.token in told:
                continue
            told.add(hook.token)
            err.print(
                f"run {run_id} is waiting for hook {hook.name!r}; token: {hook.token}\n"
                f"resume it with: {command} hooks resume {hook.token} 'PAYLOAD_JSON'",
                markup=False,
                highlight=False,
            )


async def start_and_report(
    args: argparse.Namespace, definition: WorkflowDef, pos: list[Any], kwargs: dict[str, Any]
) -> int:
    """Start ``definition``; print the id (``--no-wait``) or wait and print the outcome.
    Exit 1 if the run failed or was cancelled."""
    refuse_celery(args)
    url = storage_url(args)
    prepare_store(url)
    engine = api.configure(url, inline=not args.no_wait)
    storage = await engine.storage()
    if args.no_wait and not storage.features.multi_process:
        raise UnsafeSetup(
            f"--no-wait on {storage.url.scheme}:// would leave the run in a store that ends "
            "with this process; use a durable store (e.g. sqlite:///wf.db)"
        )
    fmt = output_format(args)
    try:
        run_id = await api.start(
            definition.fn, *pos, idempotency_key=args.idempotency_key, **kwargs
        )
        if args.no_wait:
            if fmt == "json":
                emit_json({"run_id": run_id, "workflow_name": definition.name, "runtime": "local"})
            else:
                print(run_id)
            return 0
        prefix = "pyworkflow" + (
            ""
            if getattr(args, "storage", None) is None and getattr(args, "g_storage", None) is None
            # the password is never printed: the user puts it back (or sets the env URL)
            else f" --storage {shlex.quote(storage.url.render())}"
        )
        run = await _wait_telling_hooks(run_id, getattr(args, "timeout", None), prefix)
        raw = await storage.get_run(run_id)
    finally:
        await api.shutdown()
    assert raw is not None
    if fmt == "json":
        emit_json(
            {
                "run_id": run_id,
                "workflow_name": definition.name,
                "runtime": "local",
                "status": run.status,
                "result": raw.result,
                "error": raw.error,
                "continued_to": run.continued_to,
            }
        )
    elif run.status is RunStatus.COMPLETED:
        err.print(f"run {escape(run_id)} completed", style="green")
        result = run.result
        print(result if isinstance(result, str) else json.dumps(jsonable(raw.result)))
    else:
        err.print(f"run {escape(run_id)} ended {run.status.value}", style="red")
    if run.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        message = (raw.error or {}).get("message") if isinstance(raw.error, dict) else raw.error
        print(f"pyworkflow: error: run {run.status.value}: {message}", file=sys.stderr)
        return 1
    return 0


async def cmd_run(args: argparse.Namespace) -> int:
    discover_modules(args)
    definition = load_target(args.target)
    return await start_and_report(
        args, definition, [parse_value(a) for a in args.args], _pairs(args.kw, "--kw")
    )


async def cmd_workflows_run(args: argparse.Namespace) -> int:
    discover_modules(args)
    if args.name is None:
        raise InvalidInput(
            "name the workflow to run (see `pyworkflow workflows list`); there is no "
            "interactive picker"
        )
    if args.durable is False:
        raise InvalidInput("--no-durable: every run is recorded in the store here; drop the flag")
    kwargs = _pairs(args.arg, "--arg")
    if args.args_json is not None:
        extra = parse_value(args.args_json)
        if not isinstance(extra, dict):
            raise InvalidInput("--args-json takes a JSON object, such as '{\"order_id\": 1}'")
        kwargs = {**extra, **kwargs}
    return await start_and_report(args, lookup_workflow(args.name), [], kwargs)
