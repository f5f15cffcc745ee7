"""Contract area 'properties' (tasks, leases, hooks, schedules): random arguments through
every public method of the queue, the hooks and the schedules; see :mod:`._property`.

These examples keep the queue empty between examples and check it with
:func:`~pyworkflow_conformance.dump.drain_tasks`, which claims and completes every task.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from pyworkflow import (
    ConflictError,
    Hook,
    HookStatus,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Schedule,
    ScheduleStatus,
    StorageBackend,
    Task,
)
from pyworkflow._ids import new_token

from pyworkflow_conformance.dump import assert_unchanged, drain_tasks, dump_store, same
from pyworkflow_conformance.helpers import T0, uid
from pyworkflow_conformance.strategies import (
    cursors,
    datetimes,
    durations,
    ids,
    json_objects,
    json_values,
    limits,
    sequence_numbers,
    texts,
)

from ._property import PropertyBase, attempt, storable

__all__ = ["WorkPropertiesContract"]

_MAX_ATTEMPTS = 10**9  # pyworkflow._validate.MAX_ATTEMPTS
_attempts: st.SearchStrategy[Any] = st.one_of(
    st.integers(0, 3), st.sampled_from([_MAX_ATTEMPTS, _MAX_ATTEMPTS + 1, -1, 2**63, True, 1.0])
)
_seconds: st.SearchStrategy[Any] = st.one_of(
    st.floats(0, 1e6), st.integers(0, 10**6), st.sampled_from([-1, 1e300, 10**400, "5", True])
)
#: Due times a drain can still claim (not in the last day of year 9999), any offset, or naive.
_due: st.SearchStrategy[Any] = st.one_of(
    st.datetimes(
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]
        ),
    ),
    st.datetimes(),
)
_SCHEDULE_FIELDS = ["workflow_name", "status", "cron", "interval", "calendar", "jitter"]
_SCHEDULE_FIELDS += ["timezone", "input", "next_run_at", "last_run_at", "stats"]


def _expect(given: Any, got: Any, name: str) -> None:
    """``got`` is what was stored for ``given`` (datetimes in UTC, enums by value)."""
    if isinstance(given, datetime):
        assert got == given, name
        assert got.tzinfo is UTC, name
    elif isinstance(got, HookStatus | ScheduleStatus):
        assert got == type(got)(given), name
    else:
        assert same(given, got), (name, given, got)
        storable(got)


def _fresh(prefix: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.builds(uid, st.just(prefix)), ids)


class WorkPropertiesContract(PropertyBase):
    """Tasks, leases, hooks and schedules under random (valid and invalid) arguments."""

    area = "properties"

    def test_enqueue_roundtrips_or_changes_nothing(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            await drain_tasks(store)  # whatever a failed example left
            task = Task(
                id=data.draw(_fresh("task"), "id"),
                run_id=data.draw(_fresh("run"), "run_id"),
                kind=data.draw(st.one_of(st.just("timer"), ids), "kind"),
                due_at=data.draw(st.one_of(st.just(T0), _due), "due_at"),
                payload=data.draw(json_objects, "payload"),
                attempts=data.draw(_attempts, "attempts"),
                created_at=data.draw(st.one_of(st.just(T0), datetimes), "created_at"),
            )
            out = await attempt(store.enqueue(task), InvalidInput, PayloadTooLarge)
            stored = await drain_tasks(store)
            if not out.ok:
                assert stored == []
                return
            assert out.value is True
            (got,) = stored
            for name in ("id", "run_id", "kind", "due_at", "payload", "attempts", "created_at"):
                _expect(getattr(task, name), getattr(got, name), name)

        self.run_examples(backend_url, example)

    def test_leases_follow_their_durations_or_change_nothing(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            await drain_tasks(store)  # whatever a failed example left
            task = Task(id=uid("task"), run_id="r", kind="timer", due_at=T0)
            await store.enqueue(task)
            now = data.draw(st.one_of(st.just(T0), datetimes), "now")
            lease = data.draw(durations, "lease")
            worker = data.draw(st.one_of(st.just("w"), ids), "worker")
            limit = data.draw(st.one_of(st.just(1), limits), "limit")
            out = await attempt(
                store.claim(worker, lease=lease, limit=limit, now=now), InvalidInput
            )
            if not out.ok or not out.value:
                (left,) = await drain_tasks(store)  # still there, never claimed
                assert left.attempts == 0
                return
            (held,) = out.value
            span = lease if isinstance(lease, timedelta) else timedelta(seconds=lease)
            assert held.expires_at == now + span
            assert held.task.attempts == 1
            by = data.draw(durations, "by")
            later = data.draw(st.one_of(st.just(T0), datetimes), "extend now")
            extended = await attempt(store.extend(held, by, now=later), InvalidInput)
            if extended.ok:
                span = by if isinstance(by, timedelta) else timedelta(seconds=by)
                assert extended.value.expires_at == later + span
            due = data.draw(st.one_of(st.none(), _due), "due_at")
            released = await attempt(store.release(held, due_at=due), InvalidInput)
            if released.ok:  # claimable again, by anyone, once due
                (back,) = await drain_tasks(store)
                assert back.attempts == 1
                if due is not None:
                    assert back.due_at == due
            else:  # the lease still holds: completing it works
                await store.complete(held)
                assert await drain_tasks(store) == []

        self.run_examples(backend_url, example)

    def test_hooks_roundtrip_or_change_nothing(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            token = data.draw(st.one_of(st.builds(new_token), ids), "token")
            fields: dict[str, Any] = {
                "token": token,
                "run_id": data.draw(_fresh("run"), "run_id"),
                "name": data.draw(st.one_of(st.just("approval"), ids), "name"),
                "status": data.draw(st.sampled_from([*HookStatus, "bogus"]), "status"),
                "payload": data.draw(json_values, "payload"),
                "url": data.draw(st.one_of(st.none(), texts, st.just(5)), "url"),
                "schema": data.draw(json_values, "schema"),
                "metadata": data.draw(json_objects, "metadata"),
                "created_at": data.draw(st.one_of(st.just(T0), datetimes), "created_at"),
                "expires_at": data.draw(st.one_of(st.none(), datetimes), "expires_at"),
            }
            before = await dump_store(store, tokens=[token])
            out = await attempt(
                store.create_hook(Hook(**fields)), InvalidInput, PayloadTooLarge, ConflictError
            )
            if not out.ok:
                assert_unchanged(before, await dump_store(store, tokens=[token]))
                if isinstance(out.error, ConflictError):  # only that exact token exists
                    assert before.hooks.get(token) is not None, token
            else:
                got = await store.get_hook(token)
                assert got is not None
                assert same(got, out.value)
                for name, given in fields.items():
                    _expect(given, getattr(got, name), name)
            payload = data.draw(json_values, "resolve payload")
            before = await dump_store(store, tokens=[token])
            resolved = await attempt(
                store.resolve_hook(token, payload), InvalidInput, PayloadTooLarge, NotFound
            )
            after = await dump_store(store, tokens=[token])
            if resolved.ok and resolved.value:
                got = after.hooks[token]
                assert got is not None
                assert got.status is HookStatus.RECEIVED
                _expect(payload, got.payload, "payload")
            else:
                assert_unchanged(before, after)

        self.run_examples(backend_url, example)

    def test_schedules_roundtrip_or_change_nothing(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            values = {
                "workflow_name": st.one_of(st.just("wf"), ids),
                "status": st.sampled_from([*ScheduleStatus, "bogus"]),
                "cron": st.one_of(st.none(), st.just("* * * * *"), texts),
                "interval": st.one_of(st.none(), _seconds),
                "calendar": st.one_of(st.lists(json_objects, max_size=2), json_values),
                "jitter": _seconds,
                "timezone": st.one_of(st.just("UTC"), texts),
                "input": json_values,
                "next_run_at": st.one_of(st.none(), datetimes),
                "last_run_at": st.one_of(st.none(), datetimes),
                "stats": json_objects,
            }
            fields = {name: data.draw(values[name], name) for name in _SCHEDULE_FIELDS}
            schedule_id = data.draw(_fresh("sched"), "id")
            before = await dump_store(store)
            out = await attempt(
                store.create_schedule(Schedule(id=schedule_id, **fields)),
                InvalidInput,
                PayloadTooLarge,
                ConflictError,
            )
            if not out.ok:
                assert_unchanged(before, await dump_store(store))
                if isinstance(out.error, ConflictError):  # only that exact id exists
                    assert any(s.id == schedule_id for s in before.schedules), schedule_id
            else:
                got = await store.get_schedule(schedule_id)
                assert got is not None
                assert same(got, out.value)
                for name, given in fields.items():
                    if name in ("interval", "jitter") and given is not None:
                        given = float(given)
                    _expect(given, getattr(got, name), name)
            names = st.sampled_from(_SCHEDULE_FIELDS)
            changes = data.draw(
                st.one_of(
                    st.dictionaries(st.one_of(names, st.just("revision")), json_values),
                    st.lists(names, max_size=2).flatmap(
                        lambda chosen: st.fixed_dictionaries({n: values[n] for n in chosen})
                    ),
                ),
                "changes",
            )
            revision = data.draw(st.one_of(st.none(), st.just(1), sequence_numbers), "revision")
            before = await dump_store(store)
            updated = await attempt(
                store.update_schedule(schedule_id, changes, expected_revision=revision),
                InvalidInput,
                PayloadTooLarge,
                NotFound,
            )
            after = await dump_store(store)
            if not updated.ok or not updated.value:
                assert_unchanged(before, after)
            else:
                got = await store.get_schedule(schedule_id)
                assert got is not None
                for name, given in changes.items():
                    if name in ("interval", "jitter") and given is not None:
                        given = float(given)
                    _expect(given, getattr(got, name), name)
            listed = await attempt(
                store.list_schedules(
                    status=data.draw(st.one_of(st.none(), values["status"]), "list status"),
                    limit=data.draw(st.one_of(st.just(2), limits), "list limit"),
                    cursor=data.draw(st.one_of(st.none(), cursors), "list cursor"),
                ),
                InvalidInput,
            )
            assert_unchanged(after, await dump_store(store))
            if listed.ok:
                found = [s.id for s in listed.value.items]
                assert found == sorted(found)
            # Keep the store small (every dump lists it): delete is exact too.
            deleted = await attempt(store.delete_schedule(schedule_id), InvalidInput)
            if deleted.ok:
                assert deleted.value or not out.ok
                assert await store.get_schedule(schedule_id) is None

        self.run_examples(backend_url, example)
