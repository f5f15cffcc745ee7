"""Issue 14: a password never shows in a repr, an error or the CLI's output (named cases).

The property-based version, over random passwords and every backend, is
``test_secrets_property.py``.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from pyworkflow import InvalidInput
from pyworkflow.cli import main
from pyworkflow.engine import Engine, UnsafeSetup, Worker, configure

SECRET = "s3cretPW"
PG = f"postgresql://alice:{SECRET}@127.0.0.1:1/app"

pytest.importorskip("pyworkflow_postgres")


def test_engine_repr_hides_the_password() -> None:
    """`configure(url)` in a REPL printed the engine, password and all."""
    for engine in (Engine(PG), configure(PG)):
        assert SECRET not in repr(engine)
        assert SECRET not in str(engine)
        assert "alice:***@127.0.0.1:1" in repr(engine)


def test_worker_repr_hides_the_password() -> None:
    worker = Worker(PG)
    assert SECRET not in repr(worker)
    assert SECRET not in str(worker)
    assert "alice:***@" in repr(worker)


def test_worker_refusing_a_private_store_hides_the_password() -> None:
    with pytest.raises(UnsafeSetup) as info:
        Worker(f"memory://alice:{SECRET}@h")
    assert SECRET not in str(info.value)
    assert "alice:***@h" in str(info.value)


def test_engine_refuses_a_malformed_url_without_echoing_it() -> None:
    with pytest.raises(InvalidInput) as info:
        Engine(f"postgresql://alice:{SECRET}/x@h:port/db")
    assert SECRET not in str(info.value)


def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://alice:{SECRET}/x@127.0.0.1:1/app",  # raw "/" in the password
        f"postgresql://alice:{SECRET}?x@127.0.0.1:1/app",  # raw "?"
        f"postgresql://alice:1/{SECRET}@127.0.0.1:1/app",  # reads two ways: refused
        f"postgresql://alice:{SECRET}@127.0.0.1:99999/app",
        f"postgresql://alice:{SECRET}@127.0.0.1:1/app",  # parses; the connect is refused
    ],
)
def test_cli_error_line_hides_the_password(url: str) -> None:
    """The CLI's one-line error showed `bad port 's3cretPW'`."""
    code, output = _cli("runs", "list", "--storage", url)
    assert code == 1
    assert output.startswith("pyworkflow: error: "), output
    assert output.count("\n") == 1, output
    assert SECRET not in output


def test_mysql_password_the_driver_cannot_send_is_refused_before_the_driver() -> None:
    """aiomysql encodes the password as latin-1: a 'Ā' failed inside the driver with a
    UnicodeEncodeError whose args (shown by the cause's repr) held the whole password."""
    pytest.importorskip("pyworkflow_mysql")
    from pyworkflow import StorageBackend

    with pytest.raises(InvalidInput, match="latin-1") as info:
        StorageBackend.from_url(f"mysql://root:%C4%80{SECRET}@127.0.0.1:3306/mysql")
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
