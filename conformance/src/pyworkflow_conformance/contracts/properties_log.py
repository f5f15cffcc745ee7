"""Contract area 'properties' (event log and runs): random arguments through every public
method of the log and the runs; see :mod:`._property` for the property checked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st
from pyworkflow import (
    ConflictError,
    InvalidInput,
    NewEvent,
    NotFound,
    PayloadTooLarge,
    RunFilter,
    RunStatus,
    StorageBackend,
    WorkflowRun,
)

from pyworkflow_conformance.dump import assert_unchanged, dump_store, same
from pyworkflow_conformance.helpers import T0, uid
from pyworkflow_conformance.strategies import (
    cursors,
    datetimes,
    ids,
    json_objects,
    json_values,
    limits,
    sequence_numbers,
)

from ._property import PropertyBase, attempt, storable

__all__ = ["LogPropertiesContract"]

_RUN_FIELDS = ["status", "result", "error", "context", "metadata", "started_at", "completed_at"]
_statuses: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(list(RunStatus)), st.sampled_from(["running", "bogus", 3])
)
_events: st.SearchStrategy[Any] = st.builds(
    NewEvent,
    type=st.one_of(st.just("step"), ids),
    id=st.one_of(st.builds(uid, st.just("e")), ids),
    data=json_objects,
    timestamp=st.one_of(st.none(), datetimes),
)
_batches: st.SearchStrategy[Any] = st.one_of(
    st.lists(_events, max_size=3), st.sampled_from([NewEvent(type="t"), "x"])
)
_filter_statuses: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.frozensets(st.sampled_from(list(RunStatus))),
    st.sampled_from(["pending", 5, ["bogus"]]),
)


def _same_time(given: datetime, got: datetime) -> bool:
    return got == given and got.tzinfo is UTC


def _valid_id(draw: st.DataObject, prefix: str) -> Any:
    """Mostly a fresh valid id, sometimes anything :data:`ids` draws."""
    return draw.draw(st.one_of(st.builds(uid, st.just(prefix)), ids), label=prefix)


class LogPropertiesContract(PropertyBase):
    """Event log and runs under random (valid and invalid) arguments."""

    area = "properties"

    def test_append_roundtrips_or_changes_nothing(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            run_id = data.draw(st.one_of(st.sampled_from(["log-a", "log-b"]), ids), "run_id")
            current = (await attempt(store.version(run_id), InvalidInput)).value or 0
            batch = data.draw(_batches, "events")
            expected = data.draw(st.one_of(st.just(current), sequence_numbers), "expected")
            before = await dump_store(store, run_ids=[run_id])
            out = await attempt(
                store.append(run_id, batch, expected_version=expected),
                InvalidInput,
                PayloadTooLarge,
                ConflictError,
            )
            if not out.ok:
                assert_unchanged(before, await dump_store(store, run_ids=[run_id]))
                return
            assert out.value == expected + len(batch)
            stored = await store.read(run_id, after=expected)
            assert [e.sequence for e in stored] == list(range(expected + 1, out.value + 1))
            for given, got in zip(batch, stored, strict=True):
                assert (got.run_id, got.id, got.type) == (run_id, given.id, given.type)
                assert same(given.data, got.data), (given.data, got.data)
                storable(got.data)
                if given.timestamp is not None:
                    assert _same_time(given.timestamp, got.timestamp)

        self.run_examples(backend_url, example)

    def test_read_filters_and_limits_or_refuses(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            run_id = "read-log"
            if await store.version(run_id) == 0:
                batch = [NewEvent(type="ab"[i % 2], data={"i": i}) for i in range(6)]
                await store.append(run_id, batch, expected_version=0)
            full = await store.read(run_id)
            after = data.draw(st.one_of(st.integers(0, 7), sequence_numbers), "after")
            limit = data.draw(st.one_of(st.none(), st.integers(1, 7), limits), "limit")
            types = data.draw(
                st.one_of(
                    st.none(),
                    st.frozensets(st.sampled_from(["a", "b", "c"])),
                    st.lists(ids, max_size=2),
                    st.sampled_from(["a", 5, [None]]),
                ),
                "types",
            )
            out = await attempt(
                store.read(run_id, after=after, limit=limit, types=types), InvalidInput
            )
            assert same(await store.read(run_id), full)
            if out.ok:
                want = [
                    e for e in full if e.sequence > after and (types is None or e.type in types)
                ]
                assert same(out.value, want[:limit] if limit is not None else want)

        self.run_examples(backend_url, example)

    def test_runs_roundtrip_or_change_nothing(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            fields = {
                "id": _valid_id(data, "run"),
                "workflow_name": data.draw(st.one_of(st.just("wf"), ids), "workflow_name"),
                "status": data.draw(_statuses, "status"),
                "metadata": data.draw(json_objects, "metadata"),
                "idempotency_key": data.draw(st.one_of(st.none(), ids), "idempotency_key"),
                "parent_id": data.draw(st.one_of(st.none(), ids), "parent_id"),
                "created_at": data.draw(st.one_of(st.just(T0), datetimes), "created_at"),
                "completed_at": data.draw(st.one_of(st.none(), datetimes), "completed_at"),
            }
            for name in ("input", "result", "error", "context"):
                fields[name] = data.draw(json_values, name)
            run = WorkflowRun(**fields)
            before = await dump_store(store)
            out = await attempt(store.create_run(run), InvalidInput, PayloadTooLarge, ConflictError)
            if not out.ok or not out.value[1]:  # refused, or an existing key's run returned
                assert_unchanged(before, await dump_store(store))
                # A conflict or a reused key needs that exact id or key stored already (a
                # collation that folds case or pads spaces would conflict on another one).
                if isinstance(out.error, ConflictError):
                    assert any(r.id == run.id for r in before.runs), run.id
                if out.ok:
                    key = run.idempotency_key
                    assert any(r.idempotency_key == key for r in before.runs), key
            else:
                stored = await store.get_run(run.id)
                assert stored is not None
                assert same(stored, out.value[0])
                for name, given in fields.items():
                    got = getattr(stored, name)
                    if isinstance(given, datetime):
                        assert _same_time(given, got), name
                    elif name == "status":
                        assert got == RunStatus(given)
                    else:
                        assert same(given, got), (name, given, got)
                        storable(got)
            await self._update(store, data, run.id if out.ok else "run-missing")

        self.run_examples(backend_url, example)

    async def _update(self, store: StorageBackend, data: st.DataObject, run_id: str) -> None:
        values = st.one_of(json_values, datetimes, _statuses, ids)
        changes = data.draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from([*_RUN_FIELDS, "continued_to", "id", "bogus"]),
                    values,
                    max_size=3,
                ),
                st.sampled_from([None, [("result", 1)]]),
            ),
            "changes",
        )
        expected = data.draw(st.one_of(st.none(), _statuses), "expected_status")
        run_id = data.draw(st.one_of(st.just(run_id), ids), "update run_id")
        before = await dump_store(store)
        out = await attempt(
            store.update_run(run_id, changes, expected_status=expected),
            InvalidInput,
            PayloadTooLarge,
            NotFound,
        )
        if not out.ok or out.value is False:
            assert_unchanged(before, await dump_store(store))
            return
        stored = await store.get_run(run_id)
        assert stored is not None
        for name, given in changes.items():
            got = getattr(stored, name)
            if isinstance(given, datetime):
                assert _same_time(given, got), name
            elif name == "status":
                assert got == RunStatus(given)
            else:
                assert same(given, got), (name, given, got)
                storable(got)

    def test_list_runs_pages_or_refuses(self, backend_url: str) -> None:
        async def example(store: StorageBackend, data: st.DataObject) -> None:
            if not (await store.list_runs(limit=1)).items:
                for i in range(3):
                    when = T0.replace(second=i)
                    await store.create_run(
                        WorkflowRun(id=f"r{i}", workflow_name="wf", created_at=when)
                    )
            flt = RunFilter(
                workflow_name=data.draw(st.one_of(st.none(), st.just("wf"), ids), "name"),
                statuses=data.draw(_filter_statuses, "statuses"),
                created_after=data.draw(st.one_of(st.none(), datetimes), "after"),
                created_before=data.draw(st.one_of(st.none(), datetimes), "before"),
                parent_id=data.draw(st.one_of(st.none(), ids), "parent_id"),
            )
            limit = data.draw(st.one_of(st.integers(1, 4), limits), "limit")
            cursor = data.draw(st.one_of(st.none(), cursors), "cursor")
            before = await dump_store(store)
            out = await attempt(store.list_runs(flt, limit=limit, cursor=cursor), InvalidInput)
            assert_unchanged(before, await dump_store(store))
            if out.ok:
                keys = [(r.created_at, r.id) for r in out.value.items]
                assert keys == sorted(keys, reverse=True)
                assert len(keys) <= limit

        self.run_examples(backend_url, example)
