"""Files-backend-only tests: recovery from torn and corrupted files, index rebuild, options,
several processes on one run, and that an append costs O(1) reads (counted, not timed)."""

from __future__ import annotations

import asyncio
import os
import struct
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import ConflictError, InvalidInput, SchemaError
from pyworkflow.models import RunStatus, Task, WorkflowRun, utcnow
from pyworkflow_files import FilesBackend, _eventlog
from pyworkflow_files._disk import safe_name

RUN = "run-1"


@asynccontextmanager
async def opened(store: Path, **options: Any) -> AsyncIterator[StorageBackend]:
    backend = StorageBackend.from_url(f"file://{store}", **options)
    async with backend:
        yield backend


def evs(n: int, start: int = 0) -> list[NewEvent]:
    return [NewEvent(type="step", id=f"e{start + i}", data={"i": start + i}) for i in range(n)]


def append_bytes(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def log_path(store: Path, run_id: str = RUN) -> Path:
    return store / "events" / safe_name(run_id) / "log"


def idx_path(store: Path, run_id: str = RUN) -> Path:
    return store / "events" / safe_name(run_id) / "idx"


async def check_log(backend: StorageBackend, n: int, run_id: str = RUN) -> None:
    got = await backend.read(run_id)
    assert [(e.sequence, e.id, e.data) for e in got] == [
        (i + 1, f"e{i}", {"i": i}) for i in range(n)
    ]
    assert await backend.version(run_id) == n


async def test_registry_opens_the_file_scheme(tmp_path: Path) -> None:
    backend = StorageBackend.from_url(f"file://{tmp_path}/s")
    assert isinstance(backend, FilesBackend)


async def test_torn_tail_is_cut_and_the_rest_intact(tmp_path: Path) -> None:
    store = tmp_path / "s"
    async with opened(store) as b:
        await b.append(RUN, evs(5), expected_version=0)
    size = log_path(store).stat().st_size
    frame = log_path(store).read_bytes()[-60:]
    append_bytes(log_path(store), frame[:30])  # half a record, as a crash mid-write leaves it
    async with opened(store) as b:
        await check_log(b, 5)
        assert log_path(store).stat().st_size == size  # the torn bytes are gone
        assert await b.append(RUN, evs(1, 5), expected_version=5) == 6
        await check_log(b, 6)


async def test_complete_record_missing_from_the_index_is_indexed(tmp_path: Path) -> None:
    # A crash between writing the log and the index: the record is whole, so it is kept.
    store = tmp_path / "s"
    async with opened(store) as b:
        await b.append(RUN, evs(4), expected_version=0)
    idx = idx_path(store).read_bytes()
    idx_path(store).write_bytes(idx[:-16])
    async with opened(store) as b:
        await check_log(b, 4)
        with pytest.raises(ConflictError):
            await b.append(RUN, evs(1, 9), expected_version=3)
        with pytest.raises(ConflictError):  # e3's id is known again after the rebuild
            await b.append(RUN, [NewEvent(type="x", id="e3")], expected_version=4)


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage-tail", "past-the-log"])
async def test_index_is_rebuilt_from_the_log(tmp_path: Path, damage: str) -> None:
    store = tmp_path / "s"
    async with opened(store) as b:
        await b.append(RUN, evs(50), expected_version=0)
    idx = idx_path(store)
    if damage == "delete":
        idx.unlink()
    elif damage == "truncate":
        idx.write_bytes(idx.read_bytes()[: 16 * 7 + 5])
    elif damage == "garbage-tail":
        data = bytearray(idx.read_bytes())
        data[-16:] = b"\xff" * 16
        idx.write_bytes(bytes(data))
    else:
        append_bytes(idx, struct.pack("<QQ", 10**9, 1))
    async with opened(store) as b:
        await check_log(b, 50)
        assert await b.append(RUN, evs(1, 50), expected_version=50) == 51
    assert idx.stat().st_size == 16 * 52


async def test_corrupted_record_in_the_middle_is_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "s"
    async with opened(store) as b:
        await b.append(RUN, evs(10), expected_version=0)
        offsets = idx_path(store).read_bytes()
    start = struct.unpack_from("<Q", offsets, 16 * 4)[0]  # where event 5 starts
    data = bytearray(log_path(store).read_bytes())
    data[start + 12] ^= 0x20  # flip a bit inside event 5's payload
    log_path(store).write_bytes(bytes(data))
    async with opened(store) as b:
        with pytest.raises(SchemaError, match=str(log_path(store))):
            await b.read(RUN)
        assert [e.sequence for e in await b.read(RUN, limit=4)] == [1, 2, 3, 4]
        assert [e.sequence for e in await b.read(RUN, after=5)] == [6, 7, 8, 9, 10]


async def test_corrupted_record_found_by_recovery_is_not_dropped(tmp_path: Path) -> None:
    # Damage followed by intact records is not a torn write: recovery must refuse, not cut.
    store = tmp_path / "s"
    async with opened(store) as b:
        await b.append(RUN, evs(10), expected_version=0)
    idx_path(store).unlink()
    data = bytearray(log_path(store).read_bytes())
    data[40] ^= 0x01
    log_path(store).write_bytes(bytes(data))
    async with opened(store) as b:
        with pytest.raises(SchemaError, match="checksum"):
            await b.version(RUN)
    assert len(log_path(store).read_bytes()) == len(data)  # nothing was truncated


async def test_torn_journal_tail_is_cut(tmp_path: Path) -> None:
    store = tmp_path / "s"
    async with opened(store) as b:
        await b.create_run(WorkflowRun(id="a", workflow_name="wf"))
    append_bytes(store / "runs.log", b"\x50\x00\x00\x00\x01\x02")
    async with opened(store) as b:
        assert (await b.get_run("a")) is not None
        await b.create_run(WorkflowRun(id="b", workflow_name="wf"))
    async with opened(store) as b:
        assert {r.id for r in (await b.list_runs()).items} == {"a", "b"}


async def test_journal_compaction_keeps_data_and_other_instances_follow(tmp_path: Path) -> None:
    store = tmp_path / "s"
    async with opened(store, durability="none") as a, opened(store, durability="none") as b:
        await a.create_run(WorkflowRun(id="r", workflow_name="wf", context={"n": 0}))
        assert (await b.get_run("r")) is not None
        inode = os.stat(store / "runs.log").st_ino
        blob = "x" * 20_000
        for n in range(150):  # ~3 MB of superseded records
            await a.update_run("r", {"context": {"n": n, "blob": blob}})
        assert os.stat(store / "runs.log").st_ino != inode  # compacted (replaced by rename)
        # 3 MB written; dead records are compacted away once they pass 1 MB.
        assert os.stat(store / "runs.log").st_size < 1_100_000
        run = await b.get_run("r")
        assert run is not None
        assert run.context == {"n": 149, "blob": blob}


async def test_interrupted_retention_is_finished_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s"
    done = utcnow() - timedelta(days=2)
    async with opened(store) as b:
        await b.create_run(
            WorkflowRun(id="old", workflow_name="wf", status=RunStatus.COMPLETED, completed_at=done)
        )
        await b.append("old", evs(3), expected_version=0)
        await b.enqueue(Task(run_id="old", kind="timer", due_at=done))
        # Crash right after the runs were marked: nothing else happened.
        monkeypatch.setattr(FilesBackend, "_finish_deletions", lambda self, ids: None)
        assert await b.delete_runs(older_than=utcnow()) == 1
        assert await b.get_run("old") is None
        monkeypatch.undo()
    assert log_path(store, "old").exists()
    async with opened(store) as b:
        assert await b.read("old") == []
        assert await b.claim("w", lease=60) == []
        assert await b.delete_runs(older_than=utcnow()) == 0
    assert not log_path(store, "old").exists()
    assert os.listdir(store / "trash") == []


async def test_ids_that_are_not_file_names(tmp_path: Path) -> None:
    store = tmp_path / "s"
    odd = ["../../etc", "A/b", "é ü", "x" * 255, "CON", ".", "Run-1"]
    async with opened(store) as b:
        for run_id in odd:
            await b.append(run_id, evs(2), expected_version=0)
        for run_id in odd:
            await check_log(b, 2, run_id)
    assert sorted(os.listdir(store / "events")) == sorted({safe_name(r) for r in odd})


@pytest.mark.parametrize(("mode", "durable"), [("fsync", True), ("flush", False), ("none", False)])
async def test_durability_modes(tmp_path: Path, mode: str, durable: bool) -> None:
    async with opened(tmp_path / "s", durability=mode) as b:
        assert b.features.durable is durable
        assert b.features.multi_process is True
        assert b.features.multi_host is False
        await b.append(RUN, evs(3), expected_version=0)
        await check_log(b, 3)
    async with opened(tmp_path / "s") as b:  # every mode writes the same format
        await check_log(b, 3)


@pytest.mark.parametrize(
    "url",
    [
        "file:///tmp/x?durability=sometimes",
        "file:///tmp/x?fsync=1",
        "file:///tmp/x?max_open_runs=0",
        "file://otherhost/tmp/x",
        "file://",
    ],
)
def test_bad_urls_and_options_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        StorageBackend.from_url(url)


async def test_a_store_of_another_format_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "FORMAT").write_text("pyworkflow-files 99\n")
    with pytest.raises(SchemaError, match="FORMAT"):
        async with opened(tmp_path / "s"):
            pass


async def test_open_logs_are_bounded(tmp_path: Path) -> None:
    async with opened(tmp_path / "s", max_open_runs=3) as b:
        for i in range(10):
            await b.append(f"r{i}", evs(1), expected_version=0)
        assert len(b._logs) <= 3  # type: ignore[attr-defined]
        for i in range(10):
            await check_log(b, 1, f"r{i}")


_CONTENDER = r"""
import asyncio, sys
from pyworkflow import ConflictError, NewEvent, StorageBackend

async def main(url, name, count):
    async with StorageBackend.from_url(url) as backend:
        for version in range(count):
            event = NewEvent(type="try", id=f"{name}-{version}")
            try:
                await backend.append("shared", [event], expected_version=version)
                print(event.id, flush=True)
            except ConflictError:
                pass

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_append_to_one_run(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/s"
    count = 300
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CONTENDER,
            url,
            name,
            str(count),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for name in ("p", "q")
    ]
    outputs = [await p.communicate() for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    wins = [line for out, _ in outputs for line in out.decode().split()]
    async with opened(tmp_path / "s") as b:
        stored = await b.read("shared")
    # One winner per version, and the log holds exactly the acknowledged winners, in order.
    assert [e.sequence for e in stored] == list(range(1, count + 1))
    assert sorted(e.id for e in stored) == sorted(wins)
    assert [int(e.id.split("-")[1]) for e in stored] == list(range(count))


async def test_append_and_version_read_nothing_however_long_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    real = _eventlog.read_exact

    def counting(fd: int, length: int, offset: int) -> bytes:
        data = real(fd, length, offset)
        read.append(len(data))
        return data

    monkeypatch.setattr(_eventlog, "read_exact", counting)
    async with opened(tmp_path / "s", durability="none") as b:
        version = 0
        for _ in range(20):  # 20,000 events
            batch = [NewEvent(type="fill", data={"pad": "p" * 100}) for _ in range(1000)]
            version = await b.append(RUN, batch, expected_version=version)
        per_append: list[int] = []
        for n in (0, 10, 100):
            read.clear()
            for _ in range(n or 1):
                version = await b.append(RUN, evs(1, version), expected_version=version)
                assert await b.version(RUN) == version
            per_append.append(sum(read))
        assert per_append == [0, 0, 0]  # no bytes of the log or the index are re-read
        read.clear()
        last = await b.read(RUN, after=version - 1)
        assert [e.sequence for e in last] == [version]
        # One index range (two entries) and exactly one record: no scan.
        assert sum(read) < 200, read


_TABLES = r"""
import asyncio, sys
from datetime import timedelta
from pyworkflow import StorageBackend, WorkflowRun

async def main(url, name):
    async with StorageBackend.from_url(url) as backend:
        for k in range(40):
            run = WorkflowRun(id=f"{name}-{k}", workflow_name="wf", idempotency_key=f"key-{k}")
            got, created = await backend.create_run(run)
            print("run", k, got.id, int(created), flush=True)
        while True:
            leases = await backend.claim(name, lease=timedelta(minutes=5), limit=3)
            if not leases:
                break
            for lease in leases:
                print("task", lease.task.id, flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_processes_share_idempotency_keys_and_never_share_a_claim(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/s"
    due = utcnow() - timedelta(seconds=1)
    async with opened(tmp_path / "s") as b:
        tasks = [Task(id=f"t{i:03}", run_id="r", kind="timer", due_at=due) for i in range(120)]
        for task in tasks:
            await b.enqueue(task)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _TABLES,
            url,
            name,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for name in ("p", "q", "s")
    ]
    outputs = [await p.communicate() for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    lines = [line.split() for out, _ in outputs for line in out.decode().splitlines()]
    runs: dict[str, set[str]] = {}
    created: dict[str, int] = {}
    for _, k, run_id, made in (line for line in lines if line[0] == "run"):
        runs.setdefault(k, set()).add(run_id)
        created[k] = created.get(k, 0) + int(made)
    assert all(len(ids) == 1 for ids in runs.values()), runs  # every caller got the same run
    assert set(created.values()) == {1}  # and exactly one created it
    claimed = [line[1] for line in lines if line[0] == "task"]
    assert sorted(claimed) == [t.id for t in tasks]  # each task claimed exactly once
