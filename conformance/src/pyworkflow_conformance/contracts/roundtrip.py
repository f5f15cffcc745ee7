"""Contract area 'roundtrip': every field of every model comes back exactly (the
predecessor lost schedule, hook and step fields).

Non-default values everywhere, timestamps given in a non-UTC zone come back as the same
instant in UTC with their microseconds, JSON edge values keep their types, and ids that look
like SQL, wildcards, paths or unicode are stored literally.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pyworkflow import (
    Hook,
    HookStatus,
    NewEvent,
    RunFilter,
    RunStatus,
    Schedule,
    ScheduleStatus,
    StorageBackend,
    Task,
    WorkflowRun,
)

from pyworkflow_conformance.helpers import T0, aio, all_runs, make_hook, make_run, make_task, uid

__all__ = ["EDGE_JSON", "ODD_IDS", "RoundtripContract", "assert_same"]

PLUS_5_30 = timezone(timedelta(hours=5, minutes=30))
MINUS_8 = timezone(timedelta(hours=-8))

#: JSON values that lossy encodings break: types must survive, not just equality.
EDGE_JSON: dict[str, Any] = {
    "nested": {"a": [1, [2, [3, {"b": None}]], {}], "c": {"d": {"e": {"f": "deep"}}}},
    "empty_obj": {},
    "empty_list": [],
    "empty_str": "",
    "max_safe": 2**53,
    "min_safe": -(2**53),
    "zero": 0,
    "floats": [0.1, -1.5, 1e300, 2.5e-300, 1.0, -0.25],
    "bools": [True, False],
    "null": None,
    "unicode": "żółć ✓ 𝄞 中文 עברית",
    "ключ-ünïcødé-🔑": "unicode key",
    "escapes": 'quote" backslash\\ slash/ tab\t newline\n',
    "sql": "'; DROP TABLE events; --",
    "percent": "100% _under_",
    "123": "numeric-looking key",
}

#: Ids that break naive SQL, LIKE patterns, file paths or collations; all are valid ids.
ODD_IDS = [
    "'; DROP TABLE runs; --",
    "a%_\\",
    "a%_x",
    "ünïcødé-✓-𝄞-中文",
    'with space and "quotes"',
    "Case",
    "case",
    "../../etc/passwd",
    "a/b",
    "..",
    "x" * 255,
    "é" * 127,
]


def assert_same(got: Any, want: Any, path: str = "value") -> None:
    """``got == want`` with identical JSON types all the way down (1 is not 1.0 or True)."""
    assert type(got) is type(want), f"{path}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        assert list(got) == list(want) or set(got) == set(want), f"{path}: keys differ"
        for key in want:
            assert_same(got[key], want[key], f"{path}[{key!r}]")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def _token(odd: str) -> str:
    """``odd`` repeated to the 16 characters a hook token needs."""
    return odd * -(-16 // len(odd))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _assert_utc(*values: datetime | None) -> None:
    for value in values:
        if value is not None:
            assert value.utcoffset() == timedelta(0), f"{value!r} is not UTC"


class RoundtripContract:
    """Round trips."""

    area = "roundtrip"

    @aio
    async def test_event_every_field(self, backend: StorageBackend) -> None:
        run_id = uid("rün")
        stamp = datetime(2031, 7, 8, 9, 10, 11, 123457, tzinfo=PLUS_5_30)
        new = NewEvent(type="step.completed", data=EDGE_JSON, id=uid("ëv"), timestamp=stamp)
        await backend.append(run_id, [new], expected_version=0)
        (event,) = await backend.read(run_id)
        assert (event.run_id, event.sequence, event.id, event.type) == (run_id, 1, new.id, new.type)
        assert_same(event.data, EDGE_JSON, "data")
        assert event.timestamp == _utc(stamp)
        _assert_utc(event.timestamp)

    @aio
    async def test_run_every_field(self, backend: StorageBackend) -> None:
        run = WorkflowRun(
            id=uid("run"),
            workflow_name="billing.monthly",
            status=RunStatus.SUSPENDED,
            input={"args": [1, 2.5, "x"], "kwargs": {"k": None}},
            result=[1, "two", 3.0],
            error={"type": "ValueError", "message": "bad ✗", "trace": ["a", "b"]},
            context={"step": 3, "vars": EDGE_JSON},
            metadata={"tenant": "acme", "tags": ["a", "b"], "n": 7},
            idempotency_key=uid("key"),
            parent_id=uid("parent"),
            continued_from=uid("prev"),
            continued_to=uid("next"),
            created_at=datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=MINUS_8),
            updated_at=datetime(2024, 1, 2, 3, 4, 6, 999999, tzinfo=UTC),
            started_at=datetime(2024, 1, 2, 11, 4, 7, 500000, tzinfo=PLUS_5_30),
            completed_at=datetime(2024, 1, 3, 0, 0, 0, 1, tzinfo=UTC),
        )
        stored, created = await backend.create_run(run)
        assert created
        want = WorkflowRun(
            **{
                **{f: getattr(run, f) for f in run.__dataclass_fields__},
                "created_at": _utc(run.created_at),
                "started_at": _utc(run.started_at),  # type: ignore[arg-type]
            }
        )
        for got in (
            stored,
            await backend.get_run(run.id),
            (await all_runs(backend, RunFilter(parent_id=run.parent_id)))[0],
        ):
            assert got == want
            assert got is not None
            assert_same(got.context, want.context, "context")
            assert_same(got.result, want.result, "result")
            _assert_utc(got.created_at, got.updated_at, got.started_at, got.completed_at)

    @aio
    async def test_run_scalar_json_values(self, backend: StorageBackend) -> None:
        values: list[Any] = [None, 0, -(2**53), 1.5, "", "text", True, False, [], {}]
        for value in values:
            run = make_run(input=value, result=value, error=value, context=value)
            await backend.create_run(run)
            got = await backend.get_run(run.id)
            assert got is not None
            for name in ("input", "result", "error", "context"):
                assert_same(getattr(got, name), value, name)

    @aio
    async def test_task_and_lease_every_field(self, backend: StorageBackend) -> None:
        task = Task(
            id=uid("task"),
            run_id=uid("run"),
            kind="step.retry",
            due_at=datetime(2024, 5, 17, 20, 0, 0, 654321, tzinfo=PLUS_5_30),
            payload={"step": "charge", "attempt": 3, "edge": EDGE_JSON},
            attempts=3,
            created_at=datetime(2024, 5, 1, 0, 0, 0, 1, tzinfo=MINUS_8),
        )
        await backend.enqueue(task)
        now = datetime(2024, 5, 18, 1, 2, 3, 456789, tzinfo=MINUS_8)
        (lease,) = await backend.claim("wörker-1", lease=timedelta(seconds=90.5), now=now)
        assert lease.task == Task(
            id=task.id,
            run_id=task.run_id,
            kind=task.kind,
            due_at=_utc(task.due_at),
            payload=task.payload,
            attempts=4,
            created_at=_utc(task.created_at),
        )
        assert_same(lease.task.payload, task.payload, "payload")
        assert lease.worker == "wörker-1"
        assert lease.expires_at == _utc(now) + timedelta(seconds=90.5)
        _assert_utc(lease.expires_at, lease.task.due_at, lease.task.created_at)
        due = datetime(2024, 6, 1, 0, 0, 0, 7, tzinfo=PLUS_5_30)
        await backend.release(lease, due_at=due)
        (again,) = await backend.claim("w2", lease=60, now=due)
        assert again.task.due_at == _utc(due)
        assert again.task.attempts == 5

    @aio
    async def test_hook_every_field(self, backend: StorageBackend) -> None:
        hook = Hook(
            token="tok-" + uid("h"),
            run_id=uid("run"),
            name="approval.manager",
            status=HookStatus.RECEIVED,
            payload={"approved": True, "by": "ådmin", "edge": EDGE_JSON},
            url="https://example.test/hooks/abc?x=1&y=%20",
            schema={"type": "object", "properties": {"approved": {"type": "boolean"}}},
            metadata={"ttl": 3600, "labels": ["x"]},
            created_at=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=MINUS_8),
            expires_at=datetime(2024, 3, 31, 0, 0, 0, 1, tzinfo=UTC),
            received_at=datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=PLUS_5_30),
        )
        await backend.create_hook(hook)
        got = await backend.get_hook(hook.token)
        assert got is not None
        assert got == Hook(
            **{
                **{f: getattr(hook, f) for f in hook.__dataclass_fields__},
                "created_at": _utc(hook.created_at),
                "received_at": _utc(hook.received_at),  # type: ignore[arg-type]
            }
        )
        assert_same(got.payload, hook.payload, "payload")
        assert_same(got.schema, hook.schema, "schema")
        _assert_utc(got.created_at, got.expires_at, got.received_at)

    @aio
    async def test_schedule_every_field(self, backend: StorageBackend) -> None:
        schedule = Schedule(
            id=uid("sched"),
            workflow_name="reports.daily",
            status=ScheduleStatus.PAUSED,
            cron="30 6 * * 1-5",
            interval=3600.5,
            calendar=[{"month": [1, 7], "day": 15, "hour": 6}, {"weekday": "fri", "at": "17:00"}],
            jitter=42.125,
            timezone="America/Los_Angeles",
            input={"report": "sales", "edge": EDGE_JSON},
            next_run_at=datetime(2024, 7, 1, 6, 30, 0, 1, tzinfo=MINUS_8),
            last_run_at=datetime(2024, 6, 28, 6, 30, 0, 999999, tzinfo=MINUS_8),
            stats={"fired": 120, "missed": 2, "last_duration": 1.25, "errors": []},
            created_at=datetime(2023, 12, 31, 23, 0, 0, 5, tzinfo=PLUS_5_30),
            updated_at=datetime(2024, 6, 28, 14, 0, 0, 6, tzinfo=UTC),
        )
        stored = await backend.create_schedule(schedule)
        got = await backend.get_schedule(schedule.id)
        assert got is not None
        want = Schedule(
            **{
                **{f: getattr(schedule, f) for f in schedule.__dataclass_fields__},
                "next_run_at": _utc(schedule.next_run_at),  # type: ignore[arg-type]
                "last_run_at": _utc(schedule.last_run_at),  # type: ignore[arg-type]
                "created_at": _utc(schedule.created_at),
            }
        )
        assert got == stored == want
        assert_same(got.calendar, schedule.calendar, "calendar")
        assert_same(got.stats, schedule.stats, "stats")
        assert_same(got.input, schedule.input, "input")
        _assert_utc(got.next_run_at, got.last_run_at, got.created_at, got.updated_at)
        listed = (await backend.list_schedules(status=ScheduleStatus.PAUSED)).items
        assert list(listed) == [want]

    @aio
    async def test_timestamp_extremes_and_microseconds(self, backend: StorageBackend) -> None:
        stamps = [
            datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
            datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(1900, 1, 1, tzinfo=UTC),
            datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC),
            datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            T0.replace(microsecond=0),
            T0.replace(microsecond=999999),
        ]
        run_id = uid("run")
        await backend.append(
            run_id, [NewEvent(type="t", timestamp=s) for s in stamps], expected_version=0
        )
        assert [e.timestamp for e in await backend.read(run_id)] == stamps
        for stamp in stamps:
            run = make_run(created_at=stamp, updated_at=stamp, started_at=stamp, completed_at=stamp)
            await backend.create_run(run)
            assert await backend.get_run(run.id) == run

    @aio
    async def test_json_nul_character(self, backend: StorageBackend) -> None:
        data = {"nul": "a\u0000b", "k\u0000": 1}
        run_id = uid("run")
        await backend.append(run_id, [NewEvent(type="t", data=data)], expected_version=0)
        (event,) = await backend.read(run_id)
        assert_same(event.data, data, "data")

    @aio
    async def test_ids_are_stored_literally(self, backend: StorageBackend) -> None:
        for odd in ODD_IDS:
            run = make_run(id=odd, workflow_name=odd, idempotency_key=odd, parent_id=odd)
            assert await backend.create_run(run) == (run, True)
            await backend.append(
                odd, [NewEvent(type=odd, id=odd, data={odd: odd})], expected_version=0
            )
            await backend.enqueue(make_task(id=odd, run_id=odd, kind=odd))
            await backend.create_hook(make_hook(token=_token(odd), run_id=odd, name=odd))
        for odd in ODD_IDS:
            got = await backend.get_run(odd)
            assert got is not None
            assert (got.id, got.workflow_name) == (odd, odd)
            (event,) = await backend.read(odd)
            assert (event.run_id, event.id, event.type, event.data) == (odd, odd, odd, {odd: odd})
            (event,) = await backend.read(odd, types=[odd])
            assert event.id == odd
            found = await all_runs(backend, RunFilter(workflow_name=odd))
            assert [r.id for r in found] == [odd]
            assert [r.id for r in await backend.children(odd)] == [odd]
            hook = await backend.get_hook(_token(odd))
            assert hook is not None
            assert (hook.name, hook.run_id) == (odd, odd)
        leases = await backend.claim("w", lease=60, limit=100, now=T0)
        assert sorted(lease.task.id for lease in leases) == sorted(ODD_IDS)
        assert {(lease.task.kind, lease.task.run_id) for lease in leases} == {
            (odd, odd) for odd in ODD_IDS
        }
