"""Issue 14, as a property: a password never shows, whatever its characters.

For random passwords drawn from the whole printable ASCII set (so full of ``/ ? # @ : % [ ]``),
written raw or percent-encoded into the user-info of a URL for every backend, the password
appears in no repr or str (of the URL, the backend, an ``Engine``, a ``Worker``), no
exception message, no ``__cause__`` / ``__context__`` in the chain (str, repr and the
formatted traceback), no log record at DEBUG (every logger, drivers' included) and no CLI
output. Every connect fails fast against a real server: a refused password on a private
PostgreSQL with SCRAM authentication and on the local MariaDB, a closed port for Cassandra;
SQLite, files and DynamoDB refuse credentials in the URL; memory ignores them.

"Appears" covers the password as decoded (what the driver gets), as written, percent-encoded,
and every run of 6+ characters between its delimiters (a piece such as the ``s3cretPW`` of
``bad port 's3cretPW'`` is a leak too).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pyworkflow import StorageBackend, StorageURL
from pyworkflow.cli import main
from pyworkflow.engine import Engine, Worker
from pyworkflow.errors import InvalidInput, PyWorkflowError

for _package in ("pyworkflow_postgres", "pyworkflow_mysql", "pyworkflow_sqlite"):
    pytest.importorskip(_package)

PRINTABLE = "".join(chr(c) for c in range(32, 127))
passwords = st.text(alphabet=PRINTABLE, min_size=8, max_size=24).filter(
    lambda pw: len(set(pw)) >= 4  # "aaaaaaaa" would match by chance in ordinary text
)
EXAMPLES = 40
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secret_forms(password: str, written: str) -> tuple[set[str], set[str]]:
    """The texts whose appearance would be a leak of ``password`` (written as ``written``):
    its whole forms, and its pieces (runs of 6+ characters between delimiters)."""
    decoded = {written, unquote(written), password, quote(password, safe="")}
    pieces = {p for p in re.split(r"[/?#@:%\[\],\s]", password) if len(p) >= 6}
    forms = {form for form in decoded if len(form) >= 4 and len(set(form)) >= 3}
    return forms, {p for p in pieces - forms if len(set(p)) >= 3}


class Seen:
    """Everything a user could see: texts added, exceptions (whole chain), log records."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors: list[str] = []

    def add(self, *texts: object) -> None:
        self.texts.extend(str(t) for t in texts)
        self.texts.extend(repr(t) for t in texts if not isinstance(t, str))

    def error(self, exc: BaseException) -> None:
        self.errors.append(type(exc).__name__)
        self.texts.append("".join(traceback.format_exception(exc)))
        seen: set[int] = set()
        stack: list[BaseException | None] = [exc]
        while stack:
            e = stack.pop()
            if e is None or id(e) in seen:
                continue
            seen.add(id(e))
            self.texts += [str(e), repr(e), *map(repr, e.args)]
            stack += [e.__cause__, e.__context__]

    def assert_hides(self, forms: set[str], pieces: set[str] = frozenset()) -> None:
        # ``forms`` case-insensitively: a repr of bytes shows "%FF" as "\xff". ``pieces``
        # (runs of a password between its delimiters) exactly: folded, a random "0?DPOINT"
        # would "leak" as the "dpoint" of the driver's own word "DefaultEndPoint".
        lowered = {form.lower() for form in forms}
        for text in self.texts:
            low = text.lower()
            for form in lowered:
                assert form not in low, f"{form!r} leaked in: {text[:2000]}"
            for piece in pieces:
                assert piece not in text, f"{piece!r} leaked in: {text[:2000]}"


class _Capture(logging.Handler):
    def __init__(self, seen: Seen) -> None:
        super().__init__(logging.DEBUG)
        self.seen = seen
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.texts.append(self.format(record))  # with exc_info's traceback, if any
        self.seen.texts.append(repr(record.args))


@contextlib.contextmanager
def debug_logs(seen: Seen) -> Iterator[None]:
    """Every log record at DEBUG, from every logger (drivers' loggers propagate to root)."""
    root = logging.getLogger()
    handler = _Capture(seen)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def _use(url: str, seen: Seen) -> None:
    """Build, show and connect a backend from ``url``; record what a user would see."""
    try:
        backend = StorageBackend.from_url(url)
    except PyWorkflowError as exc:
        seen.error(exc)
        return
    seen.add(backend, backend.url)
    try:
        await backend.connect()
    except PyWorkflowError as exc:
        seen.error(exc)
    else:
        seen.add(backend)
    finally:
        await backend.close()


async def _engine_and_worker(url: str, seen: Seen) -> None:
    try:
        engine = Engine(url)
    except PyWorkflowError as exc:
        seen.error(exc)
        return
    seen.add(engine)
    try:
        await engine.storage()
    except PyWorkflowError as exc:
        seen.error(exc)
    else:
        seen.add(engine)
    finally:
        await engine.close()
    try:
        worker = Worker(url, poll=0.01)
    except PyWorkflowError as exc:
        seen.error(exc)
        return
    seen.add(worker)
    try:
        await worker.run_once()
    except PyWorkflowError as exc:
        seen.error(exc)


def _cli(url: str, seen: Seen) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["runs", "list", "--storage", url])
    seen.add(out.getvalue(), err.getvalue())
    assert code != 0  # every one of these stores is unusable


def _parses_exactly(url: str, user: str, written: str) -> bool:
    """The URL parses to the decoded password, or is refused; never a wrong split."""
    try:
        parsed = StorageURL.parse(url)
    except InvalidInput:
        return False
    assert (parsed.username, parsed.password) == (user, unquote(written, errors="strict"))
    return True


@pytest.fixture(scope="module")
def servers(plain_postgres: str) -> dict[str, str]:
    """``{scheme: URL template}``; ``{cred}`` is replaced by ``user:password@``."""
    pg = StorageURL.parse(plain_postgres).hosts[0]
    closed = _closed_port()
    return {
        "postgresql": f"postgresql://{{cred}}{pg[0]}:{pg[1]}/postgres",
        "mysql": "mysql://{cred}127.0.0.1:3306/mysql",
        "cassandra": f"cassandra://{{cred}}127.0.0.1:{closed}/ks?connect_timeout=0.5",
        "dynamodb": f"dynamodb://{{cred}}tbl?region=us-east-1&endpoint_url=http://127.0.0.1:{closed}",
        "sqlite": "sqlite://{cred}/{tmp}/store.db",
        "file": "file://{cred}/{tmp}/store",
        "memory": "memory://{cred}h",
    }


@SETTINGS
@given(password=passwords, encode=st.booleans())
@example(password="s3c/retPW", encode=False)
@example(password="p@ss/w?rd#[x]:%41y", encode=False)
@example(password="p@ss/w?rd#[x]:%41y", encode=True)
@example(password="12/s3cretPW", encode=False)  # reads two ways: refused
@example(password="%FFs3cretPW", encode=False)  # an escape that is not UTF-8: refused
@example(password="0?DPOINT", encode=False)  # a piece that the driver's "DefaultEndPoint" folds to
def test_no_password_shows_anywhere(
    servers: dict[str, str], tmp_path: Path, password: str, encode: bool
) -> None:
    written = quote(password, safe="") if encode else password
    forms, pieces = secret_forms(password, written)
    seen = Seen()
    users = {"postgresql": "postgres", "mysql": "root"}
    with debug_logs(seen):
        for scheme, template in servers.items():
            user = users.get(scheme, "alice")
            url = template.format(cred=f"{user}:{written}@", tmp=str(tmp_path).lstrip("/"))
            parsed = _parses_exactly(url, user, written)
            assert parsed or not encode  # an encoded password always parses, to itself
            if scheme == "postgresql":
                how = "encoded" if encode else "raw"
                event(f"{how} password: URL {'parsed' if parsed else 'refused'}")
            asyncio.run(_use(url, seen))
            if scheme in ("postgresql", "mysql", "memory"):
                asyncio.run(_engine_and_worker(url, seen))
            if scheme != "memory":  # a memory store opens fine: the CLI has nothing to refuse
                _cli(url, seen)
    seen.assert_hides(forms, pieces)
    event(f"errors checked per example: {len(seen.errors)}")


def test_the_leak_check_can_fail() -> None:
    """The property's checker finds a password shown in each place it looks."""
    password = "s3c/retPW-x"
    forms, pieces = secret_forms(password, password)
    assert {"s3c/retPW-x", "s3c%2FretPW-x"} <= forms
    assert pieces == {"retPW-x"}
    for leak in (
        f"bad port {password!r}",
        ValueError("bad port 'retPW-x'"),
        RuntimeError("x").with_traceback(None),
    ):
        seen = Seen()
        if isinstance(leak, RuntimeError):
            try:
                raise leak from KeyError(f"...{quote(password, safe='')}...")
            except RuntimeError as exc:
                seen.error(exc)
        elif isinstance(leak, BaseException):
            seen.error(leak)
        else:
            seen.add(leak)
        with pytest.raises(AssertionError, match="leaked"):
            seen.assert_hides(forms, pieces)
    seen = Seen()
    with debug_logs(seen):
        logging.getLogger("asyncpg.some.driver").debug("auth with %s", password)
    with pytest.raises(AssertionError, match="leaked"):
        seen.assert_hides(forms, pieces)
    # A piece is matched as written: the folded "dpoint" of the Cassandra driver's own
    # "<DefaultEndPoint: ...>" is not the piece "DPOINT" of a password "0?DPOINT".
    forms, pieces = secret_forms("0?DPOINT", "0?DPOINT")
    seen = Seen()
    seen.add("(<DefaultEndPoint: 127.0.0.1:9042>,)")
    seen.assert_hides(forms, pieces)
    seen.add("login DPOINT refused")
    with pytest.raises(AssertionError, match="leaked"):
        seen.assert_hides(forms, pieces)
