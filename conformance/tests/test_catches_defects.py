"""The suite fails each storage defect of the predecessor, not just passes memory: shared
sequences, renumbered reads, idempotency check-then-act, lost updates, shared claims, lossy
round trips, half-done retention and contract divergences.

Each defect is a few lines patched into a subclass of the memory reference backend; the child
pytest run must report the named contract test as failed for exactly that subclass.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

DEFECTS = '''
import asyncio
import dataclasses
import re

import pytest

from pyworkflow import NotFound
from pyworkflow.errors import ConflictError
from pyworkflow.memory import MemoryBackend, _enc
from pyworkflow.registry import register
from pyworkflow_conformance import BackendContract


class RacyAppend(MemoryBackend):
    """Row 1: check the version, then write, with a gap in between (MAX(seq)+1)."""

    async def _append(self, run_id, events, expected_version):
        log = self._s.events.setdefault(run_id, [])
        if len(log) != expected_version:
            raise ConflictError("stale")
        await asyncio.sleep(0)
        for e in events:
            log.append((e.id, e.type, e.data, e.timestamp))
        return len(log)


class ZeroBased(MemoryBackend):
    """Row 2: sequences start at 0."""

    async def _read(self, run_id, after, limit, types):
        found = await super()._read(run_id, after, limit, types)
        return [dataclasses.replace(e, sequence=e.sequence - 1) for e in found]


class RenumberingFilter(MemoryBackend):
    """Row 2: a filtered read numbers events by their position in the result."""

    async def _read(self, run_id, after, limit, types):
        found = await super()._read(run_id, after, limit, types)
        return [dataclasses.replace(e, sequence=after + i) for i, e in enumerate(found, 1)]


class CheckThenActKey(MemoryBackend):
    """Row 6: look the idempotency key up, then insert without a unique constraint."""

    async def _create_run(self, new):
        run = new.run
        key = run.idempotency_key
        if key is not None and key in self._s.idempotency:
            return self._run(self._s.idempotency[key]), False
        await asyncio.sleep(0)
        self._s.runs[run.id] = _enc(run)
        if key is not None:
            self._s.idempotency[key] = run.id
        return run, True


class NoCompareAndSwap(MemoryBackend):
    """Row 7: read the status, then write unconditionally."""

    async def _update_run(self, run_id, changes, expected_status):
        current = self._run(run_id)
        if current is None:
            raise NotFound(run_id)
        if expected_status is not None and current.status != expected_status:
            return False
        await asyncio.sleep(0)
        return await super()._update_run(run_id, changes, None)


class NoLeases(MemoryBackend):
    """Row 8: due work is read without a claim."""

    async def _claim(self, worker, now, expires_at, limit):
        for row in self._s.tasks.values():
            row.expires_at = None
        return await super()._claim(worker, now, expires_at, limit)


class LossyHook(MemoryBackend):
    """Row 9: the hook url is not stored."""

    async def _create_hook(self, hook):
        await super()._create_hook(dataclasses.replace(hook, url=None))


class RetentionLeavesEvents(MemoryBackend):
    """Row 10: a sweep deletes runs but leaves their events."""

    async def _delete_runs(self, older_than, statuses):
        events, ids = dict(self._s.events), dict(self._s.event_ids)
        count = await super()._delete_runs(older_than, statuses)
        self._s.events.update(events)
        self._s.event_ids.update(ids)
        return count


class LikeNames(MemoryBackend):
    """Row 11: workflow_name matched with LIKE, % and _ unescaped."""

    async def _list_runs(self, flt, limit, after):
        if flt.workflow_name is None:
            return await super()._list_runs(flt, limit, after)
        pattern = "".join(
            ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in flt.workflow_name
        )
        runs = await super()._list_runs(dataclasses.replace(flt, workflow_name=None), 10**6, after)
        return [r for r in runs if re.fullmatch(pattern, r.workflow_name)][:limit]


class SilentMissingUpdate(MemoryBackend):
    """Row 11: update of a missing id is silently ignored."""

    async def _update_run(self, run_id, changes, expected_status):
        if self._run(run_id) is None:
            return False
        return await super()._update_run(run_id, changes, expected_status)


class LeakyRepr(MemoryBackend):
    """Row 19: the password shows in the repr."""

    def __repr__(self):
        return f"<LeakyRepr {self.url.render(hide_password=False)}>"


def _join(cls):
    scheme = cls.__name__.lower()
    register(scheme, f"{__name__}:{cls.__name__}")

    class Test(BackendContract):
        @pytest.fixture
        def backend_url(self):
            return f"{scheme}://"

    Test.__name__ = Test.__qualname__ = f"Test{cls.__name__}"
    return Test


for _cls in [RacyAppend, ZeroBased, RenumberingFilter, CheckThenActKey, NoCompareAndSwap,
             NoLeases, LossyHook, RetentionLeavesEvents, LikeNames, SilentMissingUpdate,
             LeakyRepr]:
    globals()[f"Test{_cls.__name__}"] = _join(_cls)
'''

EXPECTED = {
    "RacyAppend": "test_concurrent_appenders_on_one_run",
    "ZeroBased": "test_append_assigns_dense_one_based_sequences",
    "RenumberingFilter": "test_types_filter_never_renumbers",
    "CheckThenActKey": "test_concurrent_create_run_one_idempotency_key",
    "NoCompareAndSwap": "test_concurrent_status_transitions_compare_and_swap",
    "NoLeases": "test_eight_workers_never_share_a_task",
    "LossyHook": "test_hook_every_field",
    "RetentionLeavesEvents": "test_deletes_exactly_old_terminal_runs_with_their_rows",
    "LikeNames": "test_workflow_name_matches_exactly",
    "SilentMissingUpdate": "test_update_of_missing_run_raises_not_found",
    "LeakyRepr": "test_errors_carry_no_password",
}


def test_each_predecessor_defect_fails_its_contract_test(tmp_path: Path) -> None:
    (tmp_path / "test_defects.py").write_text(textwrap.dedent(DEFECTS))
    selection = " or ".join(sorted(set(EXPECTED.values())))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_defects.py",
            "-q",
            "-rf",
            "-p",
            "no:cacheprovider",
            "-k",
            selection,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    failed = {
        line.split()[1].split("[")[0]
        for line in proc.stdout.splitlines()
        if line.startswith("FAILED ")
    }
    for defect, test in EXPECTED.items():
        assert f"test_defects.py::Test{defect}::{test}" in failed, (
            f"{defect} was not caught by {test}\n" + proc.stdout[-4000:]
        )
