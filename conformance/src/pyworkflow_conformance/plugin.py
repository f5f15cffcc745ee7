"""The pytest plugin of the conformance suite (registered as the ``pytest11`` entry point).

Fixtures for every ``*Contract`` test:

- ``backend_url`` (str): the URL of a fresh, empty store for this test (see
  :mod:`pyworkflow_conformance.services` for how the server is found and made fresh);
- ``backend``: ``StorageBackend.from_url(backend_url)``, connected, closed after the test;
- ``open_backend``: ``await open_backend(**options)`` opens and connects another instance on
  the same store (closed at teardown), for multi-instance tests.

The option ``--pyworkflow-url URL`` (alias ``--backend-url``) is the explicit URL for the
backend name its scheme maps to, and, when no test paths are given, runs the URL suite
(:mod:`pyworkflow_conformance.url_suite`) against it. Before any test runs, one fresh store is
opened on that server: if that fails, pytest stops with one line (``ERROR: cannot connect
...``, exit code 4) instead of one setup error per test. At the end a pass/fail/skip/xfail
table per backend and contract area is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pyworkflow import PyWorkflowError, StorageBackend, StorageURL

from . import heartbeat
from .services import SERVERLESS, Services, name_for_url
from .suite import AREAS

__all__ = [
    "backend",
    "backend_url",
    "contract_backend_name",
    "open_backend",
    "pyworkflow_services",
]

OpenBackend = Callable[..., Awaitable[StorageBackend]]
#: The session's Services when ``--pyworkflow-url`` made (and probed) them at configure time.
_SERVICES = pytest.StashKey[Services]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyworkflow", "pyworkflow conformance suite")
    group.addoption(
        "--pyworkflow-url",
        "--backend-url",
        dest="pyworkflow_url",
        default=None,
        metavar="URL",
        help="storage URL to run the conformance suite against (also the explicit server "
        "URL for the backend its scheme names)",
    )
    heartbeat.add_option(group)


def pytest_configure(config: pytest.Config) -> None:
    url = config.getoption("pyworkflow_url", None)
    if url:
        try:
            name = name_for_url(url)
        except PyWorkflowError as exc:
            raise pytest.UsageError(f"--pyworkflow-url: {exc}") from None
        services = Services({name: url})
        config.stash[_SERVICES] = services
        if not (config.option.help or config.option.collectonly or name in SERVERLESS):
            problem = _cannot_connect(services, name, url)
            if problem is not None:
                # Dropping what the probe made fails the same way: that is no news.
                with contextlib.suppress(Exception):
                    services.close()
                raise pytest.UsageError(problem)
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            # `pytest --pyworkflow-url URL` with no paths: run the URL suite only.
            config.args[:] = [str(Path(__file__).with_name("url_suite.py"))]
    config.pluginmanager.register(_AreaTable(config), "pyworkflow-conformance-area-table")
    heartbeat.register(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    # Normally closed by the fixture's teardown already, where a failure is a test error.
    services = config.stash.get(_SERVICES, None)
    if services is not None:
        _close_quietly(services)


def _close_quietly(services: Services) -> None:
    try:
        services.close()
    except Exception as exc:
        print(f"pyworkflow conformance: cleanup failed: {type(exc).__name__}", file=sys.stderr)


def _cannot_connect(services: Services, name: str, url: str) -> str | None:
    """Open and close one fresh store on ``url``'s server; the reason on one line if that
    fails (the password redacted), else ``None``."""
    parsed = StorageURL.parse(url)

    async def open_one(fresh: str) -> None:
        store = StorageBackend.from_url(fresh)
        try:
            await store.connect()
        finally:
            await store.close()

    try:
        with tempfile.TemporaryDirectory(prefix="pyworkflow-probe-") as tmp:
            asyncio.run(open_one(services.fresh_url(name, Path(tmp))))
    except Exception as exc:  # the server's driver raises its own types before ours wrap them
        text = f"{type(exc).__name__}: {exc}"
        if parsed.password:
            text = text.replace(parsed.password, "***")
        text = " ".join(text.split())
        return f"cannot connect to the {name} server at {parsed} ({text}); no test was run"
    return None


def contract_backend_name(cls: type | None, config: pytest.Config) -> str | None:
    """The backend name a contract class tests (``backend_name``, or the URL suite's URL)."""
    if cls is None:
        return None
    if getattr(cls, "from_cli_url", False):
        url = config.getoption("pyworkflow_url", None)
        return name_for_url(url) if url else None
    name = getattr(cls, "backend_name", None)
    return name if isinstance(name, str) else None


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pyworkflow_services(pytestconfig: pytest.Config) -> Iterator[Services]:
    """Session state: resolved servers, and everything to drop at the end."""
    services = pytestconfig.stash.get(_SERVICES, None) or Services()
    yield services
    services.close()


@pytest.fixture
def backend_url(
    request: pytest.FixtureRequest, tmp_path: Path, pyworkflow_services: Services
) -> Iterator[str]:
    """The URL of a fresh, empty store for this test."""
    cls = getattr(request.node, "cls", None)
    name = contract_backend_name(cls, request.config)
    if name is None:
        if getattr(cls, "from_cli_url", False):
            pytest.skip("the URL suite needs --pyworkflow-url URL")
        pytest.fail(
            f'{cls.__name__ if cls else request.node.name}: set `backend_name = "..."` on the '
            "class or override the backend_url fixture",
            pytrace=False,
        )
    yield pyworkflow_services.fresh_url(name, tmp_path)
    # Runs after `backend` / `open_backend` closed (they depend on this fixture).
    pyworkflow_services.after_test(name)


@pytest_asyncio.fixture(loop_scope="function")
async def backend(backend_url: str) -> AsyncIterator[StorageBackend]:
    """A connected backend on a fresh store, closed after the test."""
    store = StorageBackend.from_url(backend_url)
    await store.connect()
    try:
        yield store
    finally:
        await store.close()


@pytest_asyncio.fixture(loop_scope="function")
async def open_backend(backend_url: str) -> AsyncIterator[OpenBackend]:
    """A factory: ``await open_backend(**options)`` -> another connected instance."""
    opened: list[StorageBackend] = []

    async def factory(**options: Any) -> StorageBackend:
        store = StorageBackend.from_url(backend_url, **options)
        await store.connect()
        opened.append(store)
        return store

    yield factory
    failure: BaseException | None = None
    for store in reversed(opened):
        try:
            await store.close()
        except Exception as exc:  # close every instance, then report the first failure
            failure = failure or exc
    if failure is not None:
        raise failure


# -- the per-area table -------------------------------------------------------------------------

_COLUMNS = ("passed", "failed", "skipped", "xfail")


def _area_of(cls: type, func_name: str) -> str | None:
    """The ``area`` of the contract class that defines ``func_name``."""
    for klass in cls.__mro__:
        if func_name in vars(klass):
            area = vars(klass).get("area")
            return area if isinstance(area, str) else None
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Let ``-k <area>`` select a contract area (``-k events``, ``-k "hooks or tasks"``):
    each test also answers to its area's name, before pytest deselects by keyword."""
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is None:
            continue
        area = _area_of(cls, getattr(item, "originalname", item.name))
        if area is not None:
            item.extra_keyword_matches.add(area)


class _AreaTable:
    """Collects each contract test's outcome by (backend, area) and prints the table."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.where: dict[str, tuple[str, str]] = {}
        self.outcome: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        found: list[tuple[str, type, str]] = []
        for item in items:
            cls = getattr(item, "cls", None)
            if cls is None:
                continue
            area = _area_of(cls, getattr(item, "originalname", item.name))
            if area is not None:
                found.append((item.nodeid, cls, area))
        classes: dict[str, set[type]] = {}
        for _, cls, _ in found:
            name = contract_backend_name(cls, self.config) or cls.__name__
            classes.setdefault(name, set()).add(cls)
        for nodeid, cls, area in found:
            name = contract_backend_name(cls, self.config) or cls.__name__
            # Two classes on one backend (say two configurations) get a row each.
            label = name if len(classes[name]) == 1 else f"{name}:{cls.__name__}"
            self.where[nodeid] = (label, area)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.where:
            return
        xfailed = hasattr(report, "wasxfail")
        if report.when == "call":
            outcome = ("xfail" if report.skipped else "failed") if xfailed else report.outcome
        elif report.failed:  # an error in setup or teardown
            outcome = "failed"
        elif report.when == "setup" and report.skipped:
            outcome = "xfail" if xfailed else "skipped"
        else:
            return
        self.outcome[report.nodeid] = outcome

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.outcome:
            return
        counts: dict[tuple[str, str], Counter[str]] = {}
        for nodeid, outcome in self.outcome.items():
            counts.setdefault(self.where[nodeid], Counter())[outcome] += 1
        order = {area: i for i, area in enumerate(AREAS)}
        rows = sorted(counts, key=lambda k: (k[0], order.get(k[1], len(order)), k[1]))
        header = ("backend", "area", *_COLUMNS)
        table: list[tuple[str, ...]] = [header]
        for name in sorted({name for name, _ in rows}):
            mine = [k for k in rows if k[0] == name]
            table.extend(
                (name, area, *(str(counts[(name, area)][c]) for c in _COLUMNS)) for _, area in mine
            )
            total: Counter[str] = sum((counts[k] for k in mine), Counter())
            table.append((name, "TOTAL", *(str(total[c]) for c in _COLUMNS)))
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        terminalreporter.write_sep("=", "pyworkflow conformance by area")
        for i, row in enumerate(table):
            cells = [
                cell.ljust(w) if j < 2 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            terminalreporter.write_line("  ".join(cells))
            if i == 0:
                terminalreporter.write_line("  ".join("-" * w for w in widths))
