"""pyworkflow.urls: parsing, multiple hosts, IPv6, password redaction, typed options."""

from __future__ import annotations

from typing import Any

import pytest
from pyworkflow import InvalidInput, StorageURL
from pyworkflow.memory import MemoryBackend
from pyworkflow.urls import Options

SECRET = "s3cr3t-P@ss"
URL = "PostgreSQL://alice:s3cr3t-P%40ss@db.example:6543/app?schema=x&pool=5"


def test_parse_every_part() -> None:
    url = StorageURL.parse(URL)
    assert url.scheme == "postgresql"
    assert url.username == "alice"
    assert url.password == SECRET
    assert url.hosts == (("db.example", 6543),)
    assert (url.host, url.port) == ("db.example", 6543)
    assert url.path == "/app"
    assert url.database == "app"
    assert dict(url.query) == {"schema": "x", "pool": "5"}
    assert StorageURL.parse(url) is url


def test_minimal_urls() -> None:
    assert StorageURL.parse("memory://").hosts == ()
    sqlite = StorageURL.parse("sqlite:///relative.db")
    assert (sqlite.hosts, sqlite.database) == ((), "relative.db")
    assert StorageURL.parse("sqlite:////abs/path.db").database == "/abs/path.db"
    table = StorageURL.parse("dynamodb://my-table?region=eu-west-1")
    assert (table.host, table.port, table.query["region"]) == ("my-table", None, "eu-west-1")
    nopass = StorageURL.parse("mysql://root@h/db")
    assert (nopass.username, nopass.password) == ("root", None)
    empty_pw = StorageURL.parse("mysql://root:@h/db")
    assert empty_pw.password == ""


def test_multiple_hosts_and_ipv6() -> None:
    url = StorageURL.parse("cassandra://h1,h2:9043,[::1]:9044,[fe80::2]/ks?replication_factor=3")
    assert url.hosts == (("h1", None), ("h2", 9043), ("::1", 9044), ("fe80::2", None))
    assert url.database == "ks"
    v6 = StorageURL.parse("postgresql://u:pw@[2001:db8::1]:5432/db")
    assert (v6.host, v6.port) == ("2001:db8::1", 5432)


def test_render_round_trips() -> None:
    for text in (
        URL,
        "cassandra://h1,h2:9043/ks?replication_factor=3",
        "memory://",
        "postgresql://u:pw@[::1]:5432/db",
        "file:///tmp/x%20y/store",
    ):
        url = StorageURL.parse(text)
        assert StorageURL.parse(url.render(hide_password=False)) == url


def test_ipv6_renders_with_brackets() -> None:
    assert "[::1]:5432" in StorageURL.parse("postgresql://u@[::1]:5432/db").render()


def test_password_is_redacted_everywhere() -> None:
    url = StorageURL.parse(URL)
    for text in (str(url), repr(url), url.render(), f"{url}", f"{url!r}"):
        assert SECRET not in text
        assert "s3cr3t" not in text
        assert "***" in text
    assert SECRET in url.render(hide_password=False).replace("%40", "@")
    backend = MemoryBackend("memory://alice:s3cr3t-P%40ss@h")
    assert "s3cr3t" not in repr(backend)


@pytest.mark.parametrize(
    "bad",
    [
        "postgresql://u:s3cr3t@h:99999/db",
        "postgresql://u:s3cr3t@h:0/db",
        "postgresql://u:s3cr3t@h:port/db",
        "bad scheme://u:s3cr3t@h/db",
        "://u:s3cr3t@h/db",
    ],
)
def test_malformed_urls_raise_without_the_password(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        StorageURL.parse(bad)
    assert "s3cr3t" not in str(info.value)
    assert "s3cr3t" not in repr(info.value)


def test_schemeless_url_error_hides_the_password() -> None:
    with pytest.raises(InvalidInput) as info:
        StorageURL.parse("user:s3cr3t@host/db")
    assert "s3cr3t" not in str(info.value)


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidInput):
        StorageURL.parse(42)  # type: ignore[arg-type]


def _opts(**values: Any) -> Options:
    return StorageURL.parse("memory://u:s3cr3t@h").options(values)


def test_options_are_typed() -> None:
    opts = _opts(n="5", f="2.5", yes="on", no="0", mode="FAST", s=7, obj=[1])
    assert opts.take_int("n", 1, minimum=1) == 5
    assert opts.take_float("f", 0.0) == 2.5
    assert opts.take_bool("yes", False) is True
    assert opts.take_bool("no", True) is False
    assert opts.take_choice("mode", ("fast", "safe"), "safe") == "fast"
    assert opts.take_str("s") == "7"
    assert opts.take_any("obj") == [1]
    assert opts.take_int("absent", 9) == 9
    assert opts.take_str("absent") is None
    opts.finish()


@pytest.mark.parametrize(
    ("method", "value", "kwargs"),
    [
        ("take_int", "x", {}),
        ("take_int", "0", {"minimum": 1}),
        ("take_float", "x", {}),
        ("take_float", "-1", {"minimum": 0.0}),
        ("take_bool", "maybe", {}),
    ],
)
def test_bad_option_values(method: str, value: str, kwargs: dict[str, Any]) -> None:
    opts = _opts(v=value)
    with pytest.raises(InvalidInput) as info:
        getattr(opts, method)("v", 1, **kwargs)
    assert "s3cr3t" not in str(info.value)


def test_bad_choice() -> None:
    with pytest.raises(InvalidInput, match="one of"):
        _opts(v="slow").take_choice("v", ("fast", "safe"), "fast")


def test_unknown_options_are_refused_by_name() -> None:
    opts = _opts(known=1, zeta=2, alpha=3)
    opts.take_int("known", 0)
    with pytest.raises(InvalidInput, match="alpha, zeta") as info:
        opts.finish()
    assert "s3cr3t" not in str(info.value)
    with pytest.raises(InvalidInput, match="bogus"):
        MemoryBackend("memory://?bogus=1")
    with pytest.raises(InvalidInput, match="bogus"):
        MemoryBackend("memory://", bogus=1)


def test_keyword_options_override_the_query() -> None:
    opts = StorageURL.parse("memory://?retries=1").options({"retries": 7})
    assert opts.take_int("retries", 3) == 7
    assert MemoryBackend("memory://?retries=2").retries == 2
    assert MemoryBackend("memory://?retries=2", retries=5).retries == 5
    with pytest.raises(InvalidInput):
        MemoryBackend("memory://?retries=-1")


# -- issue 14: passwords with delimiters, malformed hosts ----------------------------------------


@pytest.mark.parametrize(
    "password", ["s3c/retPW", "s3c?retPW", "s3c#retPW", "s3c@retPW", "s3c[ret]PW", "s3c%retPW"]
)
def test_raw_password_with_a_delimiter_is_the_password(password: str) -> None:
    """Issue 14: an unencoded `/` or `?` in the password used to end the host part."""
    url = StorageURL.parse(f"postgresql://alice:{password}@db.example:6543/app?schema=x")
    assert url.password == password
    assert (url.username, url.hosts, url.database) == ("alice", (("db.example", 6543),), "app")
    assert dict(url.query) == {"schema": "x"}
    for text in (str(url), repr(url)):
        assert "s3c" not in text
        assert "retPW" not in text


@pytest.mark.parametrize(
    "bad",
    [
        "postgresql://u:s3cretPW/x@h:port/db",  # the "port" would be a piece of the password
        "postgresql://u:s3cretPW@h:99999/db",
        "postgresql://u:s3cretPW@h:s3cretPW/db",
        "postgresql://u:s3cretPW",  # no "@": host "u", port "s3cretPW"
        "postgresql://u:12/s3cretPW@h/db",  # reads two ways: refused, not guessed
        "postgresql://u:ab@s3cretPW/x@h/db",
    ],
)
def test_errors_never_echo_what_could_be_a_password(bad: str) -> None:
    """Issue 14: `bad port 's3cretPW'` showed the password in the error (and the CLI)."""
    with pytest.raises(InvalidInput) as info:
        StorageURL.parse(bad)
    assert "s3cretPW" not in str(info.value)
    assert "s3cret" not in repr(info.value)
    assert "postgresql://" in str(info.value)  # the scheme is named, nothing else


@pytest.mark.parametrize(
    "bad", ["postgresql://[::1/x", "postgresql://[::1:5432/db", "postgresql://h]/db", "pg://[x]/d"]
)
def test_unclosed_or_bad_ipv6_brackets_are_refused(bad: str) -> None:
    """Issue 14: `postgresql://[::1/x` was accepted and connected to ::1."""
    with pytest.raises(InvalidInput, match="malformed"):
        StorageURL.parse(bad)


@pytest.mark.parametrize(
    ("text", "path", "query"),
    [
        ("sqlite:///data@2024.db", "/data@2024.db", {}),
        ("file:///srv/a@b/store", "/srv/a@b/store", {}),
        ("dynamodb://tbl?endpoint_url=http://u@h:1", "", {"endpoint_url": "http://u@h:1"}),
        ("memory://?tag=a@b", "", {"tag": "a@b"}),
    ],
)
def test_an_at_sign_in_a_path_or_query_without_credentials(
    text: str, path: str, query: dict[str, str]
) -> None:
    url = StorageURL.parse(text)
    assert (url.username, url.password, url.path, dict(url.query)) == (None, None, path, query)


def test_ambiguous_url_asks_for_percent_encoding() -> None:
    with pytest.raises(InvalidInput, match=r"ambiguous.*%40"):
        StorageURL.parse("postgresql://h:5432/db@x")
    assert StorageURL.parse("postgresql://h:5432/db%40x").database == "db@x"


def test_a_percent_escape_that_is_not_utf8_is_refused_in_credentials() -> None:
    with pytest.raises(InvalidInput, match="%25") as info:
        StorageURL.parse("postgresql://alice:s3cret%FFPW@h/db")
    assert "s3cret" not in str(info.value)
    assert StorageURL.parse("postgresql://alice:s3cret%25FFPW@h/db").password == "s3cret%FFPW"


def test_the_refusal_of_a_bad_escape_keeps_no_context_with_the_password() -> None:
    with pytest.raises(InvalidInput) as info:
        StorageURL.parse("postgresql://alice:%FFs3cretPW@h/db")
    assert info.value.__context__ is None  # a UnicodeDecodeError's args hold the bytes
    assert info.value.__cause__ is None
