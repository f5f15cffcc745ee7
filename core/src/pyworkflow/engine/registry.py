"""``@workflow`` and ``@step``, and finding a workflow's code again in another process.

A workflow is registered under its name (default: the function's ``__name__``) when its module
is imported. A run records the module and file its workflow came from (``run.metadata``), so a
worker in another process that has not imported it yet imports the module, or loads the file,
the first time it meets the run. Two different functions registered under one name raise.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, overload

from pyworkflow.errors import InvalidInput

from .durations import to_seconds
from .errors import WorkflowNotFound
from .retry import DEFAULT_MAX_INTERVAL, RetryPolicy, StepOptions, predecessor_schedule
from .running import current_step_runner
from .serializer import register_module_alias
from .workflow_options import WorkflowOptions

__all__ = [
    "StepOptions",
    "WorkflowDef",
    "get_workflow",
    "load_file",
    "load_target",
    "lookup_workflow",
    "step",
    "workflow",
]

P = ParamSpec("P")
R = TypeVar("R")
AsyncFn = Callable[P, Awaitable[R]]

_WORKFLOWS: dict[str, WorkflowDef] = {}
ATTR = "__pyworkflow_workflow__"


@dataclass(frozen=True, slots=True)
class WorkflowDef:
    """A registered workflow: its name, function and where its code lives."""

    name: str
    fn: Callable[..., Awaitable[Any]]
    module: str
    file: str | None
    options: WorkflowOptions = field(default_factory=WorkflowOptions)
    #: ``@workflow(context_class=...)``: the StepContext subclass its step context is
    context_class: type[Any] | None = None

    def metadata(self) -> dict[str, Any]:
        """What a run records so that another process can import this workflow (and the
        options a reader of the run may filter on: tags, max_duration)."""
        return {"module": self.module, "file": self.file, **self.options.metadata()}


def _file_of(fn: Callable[..., Any]) -> str | None:
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        return None
    return str(Path(path).resolve()) if path else None


@overload
def workflow(fn: AsyncFn[P, R], /) -> AsyncFn[P, R]: ...
@overload
def workflow(
    *,
    name: str | None = None,
    context_class: type[Any] | None = None,
    durable: bool | None = None,
    max_duration: str | float | timedelta | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    recover_on_worker_loss: bool | None = None,
    max_recovery_attempts: int | None = None,
    max_retries: int = 0,
) -> Callable[[AsyncFn[P, R]], AsyncFn[P, R]]: ...
def workflow(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    context_class: type[Any] | None = None,
    durable: bool | None = None,
    max_duration: str | float | timedelta | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    recover_on_worker_loss: bool | None = None,
    max_recovery_attempts: int | None = None,
    max_retries: int = 0,
) -> Any:
    """Register an ``async def`` as a durable workflow (``@workflow`` or ``@workflow()``).

    The options (``durable``, ``max_duration``, ``tags``...) are described by
    :class:`~pyworkflow.engine.workflow_options.WorkflowOptions`; a bad one raises
    :class:`InvalidInput` (a ``ValueError``) here, at decoration.

    The function is returned unchanged apart from a marker attribute: calling it directly runs
    it as plain code (steps then run directly too). Start it durably with ``start(fn, ...)``.
    Its name (``name`` or the function's ``__name__``) identifies it in storage; code that
    runs it must import the same name.

    ``context_class``: a :class:`~pyworkflow.StepContext` subclass; ``get_step_context()``
    then returns an instance of it and ``set_step_context`` accepts only its instances.
    """
    if context_class is not None:
        from .step_context import step_context_class

        base = step_context_class()
        if not (isinstance(context_class, type) and issubclass(context_class, base)):
            raise InvalidInput(
                f"context_class must be a StepContext subclass, got {context_class!r}"
            )

    options = WorkflowOptions.of(
        durable=durable,
        max_duration=max_duration,
        tags=tags,
        recover_on_worker_loss=recover_on_worker_loss,
        max_recovery_attempts=max_recovery_attempts,
        max_retries=max_retries,
    )

    def register(func: Any) -> Any:
        if not inspect.iscoroutinefunction(func):
            raise InvalidInput(f"@workflow needs an async def, got {func!r}")
        wf_name = name or func.__name__
        existing = _WORKFLOWS.get(wf_name)
        if existing is not None and existing.fn is func:
            return func  # the same function again: ignored (its options stay), as before
        if existing is not None:
            same_code = (existing.fn.__qualname__, existing.file) == (
                func.__qualname__,
                _file_of(func),
            )
            if not same_code:
                raise InvalidInput(
                    f"two different workflows are named {wf_name!r} "
                    f"({existing.module}.{existing.fn.__qualname__} and "
                    f"{func.__module__}.{func.__qualname__}); pass @workflow(name=...)"
                )
        definition = WorkflowDef(
            wf_name, func, func.__module__, _file_of(func), options, context_class=context_class
        )
        _WORKFLOWS[wf_name] = definition
        setattr(func, ATTR, definition)
        _predecessor_attributes(func, definition, max_duration)
        return func

    return register(fn) if fn is not None else register


def _predecessor_attributes(func: Any, definition: WorkflowDef, max_duration: Any) -> None:
    """The predecessor's ``__workflow_*__`` attributes, as its ``@workflow`` set them (the
    decorator's own values: ``None`` where an option was not given, ``max_duration`` as
    written)."""
    options = definition.options
    func.__workflow__ = True
    func.__workflow_name__ = definition.name
    func.__workflow_durable__ = options.durable
    func.__workflow_max_duration__ = max_duration
    func.__workflow_tags__ = list(options.tags)
    func.__workflow_recover_on_worker_loss__ = options.recover_on_worker_loss
    func.__workflow_max_recovery_attempts__ = options.max_recovery_attempts
    func.__workflow_context_class__ = definition.context_class


@overload
def step(fn: AsyncFn[P, R], /) -> AsyncFn[P, R]: ...
@overload
def step(
    *,
    name: str | None = None,
    retry: RetryPolicy | None = None,
    retries: int | None = None,
    backoff: float | str | timedelta | Callable[[int], float] | None = None,
    max_backoff: float | str | timedelta | None = None,
    timeout: float | str | timedelta | None = None,
    max_retries: int | None = None,
    retry_delay: str | int | list[int] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Callable[[AsyncFn[P, R]], AsyncFn[P, R]]: ...
def step(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    retry: RetryPolicy | None = None,
    retries: int | None = None,
    backoff: Any = None,
    max_backoff: Any = None,
    timeout: Any = None,
    max_retries: int | None = None,
    retry_delay: Any = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """Make an ``async def`` a recorded step of the workflow that calls it.

    Inside a workflow, the first execution runs the function and records its result (or its
    failure); every replay returns the recorded result without running it again. Outside a
    workflow, or inside another step, the function simply runs (no retries, no timeout); in
    a transient (``durable=False``) run it is retried inline with ``asyncio.sleep`` between
    attempts.

    Retries (durable: the run suspends between attempts) follow ``retry``, a
    :class:`RetryPolicy`, or these shorthands for one:

    * ``retries``: retries after the first attempt (default: ``default_retries`` of
      :mod:`pyworkflow.engine.settings`, 3); ``max_retries`` is the predecessor's name for it.
    * ``backoff``: the first wait (seconds, ``"5s"``, ``timedelta``), doubling each retry up
      to ``max_backoff`` (default 300 s); or a callable ``attempt -> seconds``.
    * ``retry_delay`` (the predecessor's): ``"exponential"`` (1, 2, 4... s, capped at 300),
      an int (fixed seconds), a list (per retry, the last repeating); other values mean 1 s.

    ``timeout`` (seconds or a duration) bounds each attempt: an attempt still running then is
    cancelled and fails with :class:`StepTimeout`, retried like any failure. A body that blocks
    the event loop (``time.sleep``, CPU work) cannot be interrupted. ``metadata`` is kept on
    the function (``__step_metadata__``). Giving both ``retries`` and ``max_retries``, or
    ``retry`` with any shorthand, raises :class:`InvalidInput`.
    """
    options_base = _step_options(
        retry, retries, max_retries, backoff, max_backoff, retry_delay, timeout, metadata
    )

    def decorate(func: Any) -> Any:
        if not inspect.iscoroutinefunction(func):
            raise InvalidInput(f"@step needs an async def, got {func!r}")
        options = replace(options_base, name=name or func.__name__)

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            runner = current_step_runner()
            if runner is None:
                from .current_context import user_context

                mock = user_context()  # a context the user set (MockContext): it runs steps
                if mock is not None:
                    mock.check_cancellation()
                    return await mock.run(func, *args, name=options.name, **kwargs)
                from .transient_flag import in_transient

                if in_transient():  # no record to suspend on: retried inline
                    from .transient_steps import run_transient_step

                    return await run_transient_step(options, func, args, kwargs)
                return await func(*args, **kwargs)
            return await runner.run_step(options, func, args, kwargs)

        wrapper.__pyworkflow_step__ = options  # type: ignore[attr-defined]
        # the predecessor's attributes, for code that introspects its steps
        wrapper.__step__ = True  # type: ignore[attr-defined]
        wrapper.__step_name__ = options.name  # type: ignore[attr-defined]
        wrapper.__step_max_retries__ = (  # type: ignore[attr-defined]
            retries if retries is not None else max_retries
        )
        wrapper.__step_retry_delay__ = retry_delay  # type: ignore[attr-defined]
        wrapper.__step_timeout__ = options.timeout  # type: ignore[attr-defined]
        wrapper.__step_metadata__ = metadata  # type: ignore[attr-defined]
        return wrapper

    return decorate(fn) if fn is not None else decorate


def _step_options(
    retry: RetryPolicy | None,
    retries: int | None,
    max_retries: int | None,
    backoff: Any,
    max_backoff: Any,
    retry_delay: Any,
    timeout: Any,
    metadata: dict[str, Any] | None,
) -> StepOptions:
    """One :class:`StepOptions` from ``@step``'s keywords (see there), validated."""
    if retries is not None and max_retries is not None:
        raise InvalidInput("give retries or max_retries (the same thing), not both")
    if retry is not None:
        if any(v is not None for v in (retries, max_retries, backoff, max_backoff, retry_delay)):
            raise InvalidInput(
                "retry=RetryPolicy(...) says everything about retries; do not combine it with "
                "retries, max_retries, backoff, max_backoff or retry_delay"
            )
        if not isinstance(retry, RetryPolicy):
            raise InvalidInput(f"retry must be a RetryPolicy, got {retry!r}")
    if retry_delay is not None and (backoff is not None or max_backoff is not None):
        raise InvalidInput("give retry_delay (the predecessor's) or backoff/max_backoff, not both")
    count = retries if retries is not None else max_retries
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise InvalidInput("retries must be an int >= 0")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a dict")
    seconds: float | None = None
    if timeout is not None:
        seconds = to_seconds(timeout)
        if seconds <= 0:
            raise InvalidInput("timeout must be more than 0 seconds")
    schedule: Callable[[int], float] | None = None
    if retry is None:
        attempts = None if count is None else count + 1
        if retry_delay is not None:
            initial, coefficient, cap, schedule = predecessor_schedule(retry_delay)
        elif callable(backoff):
            initial, coefficient, cap, schedule = 1.0, 2.0, DEFAULT_MAX_INTERVAL, backoff
        else:
            initial = 1.0 if backoff is None else to_seconds(backoff)
            coefficient = 2.0
            cap = DEFAULT_MAX_INTERVAL if max_backoff is None else to_seconds(max_backoff)
        retry = RetryPolicy(initial, coefficient, cap, attempts)
    return StepOptions(name="", policy=retry, timeout=seconds, schedule=schedule, metadata=metadata)


def get_workflow(fn: Any) -> WorkflowDef:
    """The definition behind a ``@workflow`` function (or a registered name)."""
    if isinstance(fn, str):
        return lookup_workflow(fn)
    definition = getattr(fn, ATTR, None)
    if not isinstance(definition, WorkflowDef):
        raise InvalidInput(f"{fn!r} is not decorated with @workflow")
    return definition


def lookup_workflow(name: str, metadata: dict[str, Any] | None = None) -> WorkflowDef:
    """The workflow registered as ``name``, importing its recorded module or file if needed."""
    found = _WORKFLOWS.get(name)
    if found is not None:
        return found
    meta = metadata or {}
    module, file = meta.get("module"), meta.get("file")
    if isinstance(module, str) and module != "__main__":
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if name not in _WORKFLOWS and isinstance(file, str) and Path(file).is_file():
        loaded = load_file(file)
        if isinstance(module, str) and module != loaded:
            register_module_alias(module, loaded)
    found = _WORKFLOWS.get(name)
    if found is None:
        raise WorkflowNotFound(
            f"workflow {name!r} is not registered in this process and could not be imported "
            f"(recorded module {module!r}, file {file!r}); import it (e.g. `pyworkflow worker "
            f"--import your.module`)"
        )
    return found


def load_file(path: str | Path) -> str:
    """Import a Python file as a module named after it (once); return the module name.

    The file's folder goes on ``sys.path`` so that its sibling imports work.
    """
    file = Path(path).resolve()
    for mod_name, mod in list(sys.modules.items()):
        mod_file = getattr(mod, "__file__", None)
        if mod_file and mod_name != "__main__" and Path(mod_file).resolve() == file:
            return mod_name
    name = file.stem if file.stem not in sys.modules else f"_pyworkflow_{file.stem}"
    if str(file.parent) not in sys.path:
        sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise InvalidInput(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return name


def load_target(target: str) -> WorkflowDef:
    """``path/to/file.py:function`` or ``package.module:function`` -> its workflow."""
    where, sep, attr = target.rpartition(":")
    if not sep or not where or not attr:
        raise InvalidInput(
            f"target must be 'file.py:function' or 'module:function', got {target!r}"
        )
    if where.endswith(".py") or "/" in where or Path(where).is_file():
        if not Path(where).is_file():
            raise InvalidInput(f"no such file: {where}")
        module_name = load_file(where)
    else:
        module_name = where
        importlib.import_module(where)
    obj = getattr(sys.modules[module_name], attr, None)
    if obj is None:
        raise InvalidInput(f"{module_name} has no attribute {attr!r}")
    return get_workflow(obj)
