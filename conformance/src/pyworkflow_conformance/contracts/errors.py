"""Contract area 'errors': bad input gives the typed error and writes nothing.

Each test provokes errors on a fresh store and then checks that the store is still exactly as
before. Limits come from ``backend.features`` (``max_event_bytes`` is accepted exactly, one
byte more is refused). Errors and reprs never carry the URL's password.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from pyworkflow import (
    InvalidInput,
    NewEvent,
    NotFound,
    PayloadTooLarge,
    PyWorkflowError,
    RunFilter,
    RunStatus,
    StorageBackend,
    StorageError,
    StorageURL,
)

from pyworkflow_conformance.helpers import (
    T0,
    aio,
    all_runs,
    all_schedules,
    make_hook,
    make_run,
    make_schedule,
    make_task,
    uid,
)

__all__ = ["ErrorsContract"]

OpenBackend = Callable[..., Awaitable[StorageBackend]]
NAIVE = datetime(2024, 1, 1, 12, 0, 0)
BAD_IDS: list[Any] = [
    "",
    "a" * 256,
    "é" * 128,
    "a\x00b",
    "a\nb",
    "tab\there",
    "del\x7f",
    123,
    None,
    b"bytes",
]
NOT_JSON: list[Any] = [
    {"set": {1, 2}},
    {"nan": math.nan},
    {"inf": math.inf},
    {1: "int key"},
    {"nested": [{"k": {(1, 2): "tuple key"}}]},
    {"object": object()},
    {"bytes": b"x"},
]


async def _assert_empty(backend: StorageBackend, *run_ids: str) -> None:
    """Nothing at all was written to this (fresh) store."""
    for run_id in run_ids:
        assert await backend.version(run_id) == 0
        assert await backend.get_run(run_id) is None
    assert await all_runs(backend) == []
    assert await all_schedules(backend) == []
    assert await backend.claim("probe", lease=1, limit=1000, now=T0.replace(year=2999)) == []


async def _raises(exc: type[BaseException], awaitable: Awaitable[Any]) -> None:
    with pytest.raises(exc):
        await awaitable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ErrorsContract:
    """Errors and input validation."""

    area = "errors"

    @aio
    async def test_event_size_limit_is_exact(self, backend: StorageBackend) -> None:
        limit = backend.features.max_event_bytes
        run_id = uid("run")
        exact = {"x": "a" * (limit - 8)}  # '{"x":"' + ... + '"}' is exactly `limit` bytes
        assert (
            await backend.append(run_id, [NewEvent(type="t", data=exact)], expected_version=0) == 1
        )
        over = {"x": "a" * (limit - 7)}
        await _raises(
            PayloadTooLarge,
            backend.append(
                run_id, [NewEvent(type="t"), NewEvent(type="t", data=over)], expected_version=1
            ),
        )
        (event,) = await backend.read(run_id)
        assert event.data == exact
        await _raises(PayloadTooLarge, backend.create_run(make_run(id=uid("r"), input=over)))
        await _raises(PayloadTooLarge, backend.enqueue(make_task(payload=over)))
        assert await all_runs(backend) == []

    @aio
    async def test_non_json_data_is_refused(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        for data in [*NOT_JSON, [1, 2], "text", None]:
            await _raises(
                InvalidInput,
                backend.append(run_id, [NewEvent(type="t", data=data)], expected_version=0),
            )
            if isinstance(data, dict) or data is None:  # not JSON, or not a JSON object
                await _raises(InvalidInput, backend.enqueue(make_task(payload=data)))
                await _raises(InvalidInput, backend.create_schedule(make_schedule(stats=data)))
        for data in NOT_JSON:
            for field in ("input", "result", "error", "context", "metadata"):
                run = make_run(id=run_id, **{field: data})
                await _raises(InvalidInput, backend.create_run(run))
        hook = await backend.create_hook(make_hook())
        for data in NOT_JSON:
            await _raises(InvalidInput, backend.resolve_hook(hook.token, data))
        assert await backend.get_hook(hook.token) == hook
        await _assert_empty(backend, run_id)

    @aio
    async def test_bad_ids_are_refused(self, backend: StorageBackend) -> None:
        for bad in BAD_IDS:
            await _raises(
                InvalidInput, backend.append(bad, [NewEvent(type="t")], expected_version=0)
            )
            await _raises(
                InvalidInput,
                backend.append("run", [NewEvent(type="t", id=bad)], expected_version=0),
            )
            await _raises(
                InvalidInput, backend.append("run", [NewEvent(type=bad)], expected_version=0)
            )
            await _raises(InvalidInput, backend.create_run(make_run(id=bad)))
            await _raises(InvalidInput, backend.create_run(make_run(workflow_name=bad)))
            if bad is not None:  # None is "no key"
                await _raises(InvalidInput, backend.create_run(make_run(idempotency_key=bad)))
            await _raises(InvalidInput, backend.enqueue(make_task(id=bad)))
            await _raises(InvalidInput, backend.enqueue(make_task(kind=bad)))
            await _raises(InvalidInput, backend.create_hook(make_hook(token=bad)))
            await _raises(InvalidInput, backend.create_schedule(make_schedule(id=bad)))
            await _raises(InvalidInput, backend.get_run(bad))
            await _raises(InvalidInput, backend.read(bad))
            await _raises(InvalidInput, backend.claim(bad, lease=1))
        await _raises(InvalidInput, backend.create_hook(make_hook(token="short-token")))
        await _assert_empty(backend, "run")

    @aio
    async def test_bad_versions_and_limits(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        bad_versions: list[Any] = [-1, True, 1.0, "1", None]
        for bad in bad_versions:
            await _raises(
                InvalidInput, backend.append(run_id, [NewEvent(type="t")], expected_version=bad)
            )
            await _raises(InvalidInput, backend.read(run_id, after=bad))
        for bad_limit in (0, -1, 1001, True, 2.0):
            await _raises(InvalidInput, backend.list_runs(limit=bad_limit))  # type: ignore[arg-type]
            await _raises(InvalidInput, backend.list_schedules(limit=bad_limit))  # type: ignore[arg-type]
            await _raises(InvalidInput, backend.claim("w", lease=1, limit=bad_limit))  # type: ignore[arg-type]
        await _raises(InvalidInput, backend.read(run_id, limit=0))
        for bad_lease in (0, -5):
            await _raises(InvalidInput, backend.claim("w", lease=bad_lease))
        await _raises(InvalidInput, backend.update_schedule("s", {}, expected_revision=-1))
        await _assert_empty(backend, run_id)

    @aio
    async def test_naive_datetimes_are_refused(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        cases: list[Awaitable[Any]] = [
            backend.append(run_id, [NewEvent(type="t", timestamp=NAIVE)], expected_version=0),
            backend.create_run(make_run(id=run_id, created_at=NAIVE)),
            backend.create_run(make_run(id=run_id, completed_at=NAIVE)),
            backend.enqueue(make_task(due_at=NAIVE)),
            backend.claim("w", lease=1, now=NAIVE),
            backend.create_hook(make_hook(expires_at=NAIVE)),
            backend.create_schedule(make_schedule(next_run_at=NAIVE)),
            backend.list_runs(RunFilter(created_after=NAIVE)),
            backend.delete_runs(older_than=NAIVE),
        ]
        for case in cases:
            await _raises(InvalidInput, case)
        await _assert_empty(backend, run_id)
        run, _ = await backend.create_run(make_run())
        await _raises(InvalidInput, backend.update_run(run.id, {"started_at": NAIVE}))
        assert await backend.get_run(run.id) == run
        await backend.enqueue(make_task())
        (lease,) = await backend.claim("w", lease=60, now=T0)
        await _raises(InvalidInput, backend.release(lease, due_at=NAIVE))
        await backend.complete(lease)  # the lease still holds: the bad release did nothing

    @aio
    async def test_bad_batches_write_nothing(self, backend: StorageBackend) -> None:
        run_id = uid("run")
        limit = backend.features.max_batch
        one = NewEvent(type="t")
        bad_batches: list[Any] = [
            [NewEvent(type="t") for _ in range(limit + 1)],
            [],
            [one, one],
            [NewEvent(type="t"), NewEvent(type="t", id=one.id), one],
            one,
            ["not an event"],
            [NewEvent(type="t"), {"type": "t"}],
        ]
        for batch in bad_batches:
            await _raises(InvalidInput, backend.append(run_id, batch, expected_version=0))
        await _assert_empty(backend, run_id)

    @aio
    async def test_malformed_cursors(self, backend: StorageBackend) -> None:
        await backend.create_run(make_run())
        await backend.create_schedule(make_schedule())

        def b64(text: str) -> str:
            return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

        for cursor in (
            "garbage!!",
            "",
            "%%%",
            b64('{"a":1}'),
            b64("[1]"),
            b64('[1,""]'),
            b64("[]"),
            b64('["x","y"]'),
            b64("not json"),
            123,
        ):
            await _raises(InvalidInput, backend.list_runs(cursor=cursor))  # type: ignore[arg-type]
        for cursor in ("garbage!!", b64("[]"), b64("[1]"), b64('[""]'), b64('{"a":1}')):
            await _raises(InvalidInput, backend.list_schedules(cursor=cursor))

    @aio
    async def test_unknown_or_bad_update_fields(self, backend: StorageBackend) -> None:
        run, _ = await backend.create_run(make_run(status=RunStatus.RUNNING))
        bad_run_changes: list[dict[str, Any]] = [
            {"workflow_name": "x"},
            {"id": "x"},
            {"created_at": T0},
            {"idempotency_key": "k"},
            {"bogus": 1},
            {"status": "bogus"},
            {"status": "running", "nope": 1},
            {"metadata": [1]},
        ]
        for changes in bad_run_changes:
            await _raises(InvalidInput, backend.update_run(run.id, changes))
        assert await backend.get_run(run.id) == run
        schedule = await backend.create_schedule(make_schedule())
        bad_schedule_changes: list[dict[str, Any]] = [
            {"revision": 9},
            {"id": "x"},
            {"created_at": T0},
            {"updated_at": T0},
            {"interval": -1},
            {"jitter": "x"},
            {"calendar": [1]},
            {"stats": [1]},
            {"cron": ""},
            {"timezone": None},
            {"status": "deleted"},
        ]
        for changes in bad_schedule_changes:
            await _raises(InvalidInput, backend.update_schedule(schedule.id, changes))
        assert await backend.get_schedule(schedule.id) == schedule
        await _raises(NotFound, backend.update_run(uid("missing"), {"result": 1}))
        await _raises(NotFound, backend.update_schedule(uid("missing"), {"jitter": 1.0}))

    @aio
    async def test_unusable_before_connect_and_unknown_options(self, backend_url: str) -> None:
        closed = StorageBackend.from_url(backend_url)
        await _raises(StorageError, closed.append("r", [NewEvent(type="t")], expected_version=0))
        await _raises(StorageError, closed.get_run("r"))
        with pytest.raises(InvalidInput):
            StorageBackend.from_url(backend_url, definitely_not_an_option=1)
        sep = "&" if "?" in backend_url else "?"
        with pytest.raises(InvalidInput):
            StorageBackend.from_url(f"{backend_url}{sep}definitely_not_an_option=1")

    @aio
    async def test_errors_carry_no_password(self, backend_url: str) -> None:
        secret = "S3cr3t-" + uid("pw")
        parsed = StorageURL.parse(backend_url)
        with_pw = dataclasses.replace(
            parsed, username=parsed.username or "pwuser", _password=secret
        )
        texts: list[str] = []

        def record(exc: BaseException) -> None:
            texts.extend([str(exc), repr(exc), *map(str, exc.args)])

        try:
            store = StorageBackend.from_url(with_pw)
        except InvalidInput as exc:  # a backend may refuse credentials in its URL
            record(exc)
            candidates: list[StorageURL] = []
        else:
            texts.extend([repr(store), str(store.url), repr(store.url)])
            candidates = [with_pw]
        try:
            StorageBackend.from_url(with_pw, definitely_not_an_option=1)
        except PyWorkflowError as exc:
            record(exc)
        port = _closed_port()
        if candidates and parsed.port is not None:
            hosts = ((parsed.host or "127.0.0.1", port),)
            candidates.append(dataclasses.replace(with_pw, hosts=hosts))
        if candidates and "endpoint_url" in parsed.query:
            query = {**parsed.query, "endpoint_url": f"http://127.0.0.1:{port}"}
            candidates.append(dataclasses.replace(with_pw, query=query))
        for url in candidates:
            store = StorageBackend.from_url(url, retries=0)
            try:
                await store.connect()
                texts.append(repr(store))
                await store.version("r")
                await store.append(
                    "r",
                    [NewEvent(type="t", data={"x": "a" * (store.features.max_event_bytes)})],
                    expected_version=0,
                )
            except PyWorkflowError as exc:
                record(exc)
            finally:
                try:
                    await store.close()
                except PyWorkflowError as exc:
                    record(exc)
        assert texts
        leaked = [text for text in texts if secret in text]
        assert not leaked, f"the password appears in: {leaked[0]!r}"
