"""The storage scenarios: each measures our backend and the raw ceiling doing the same work.

A scenario object is made once per backend: :meth:`Scenario.setup` does untimed preparation
(pre-filled logs for replay), then ``ours()`` and ``raw()`` each return one timed
:class:`~pyworkflow_benchmarks.measure.Sample` per repetition. Every repetition works on fresh
run ids, so repetitions never see each other's events (except ``deep_append``, whose point is
a long log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pyworkflow._ids import new_id
from pyworkflow.errors import ConflictError
from pyworkflow.models import NewEvent, WorkflowRun
from pyworkflow.storage import StorageBackend

from .measure import Sample, run_for
from .payload import PAYLOAD, new_event, raw_row
from .raw.base import RawCeiling, RawInsert

__all__ = ["SCENARIOS", "Context", "Scenario", "sequential_appends", "verify_log"]

WORKERS = 16
BATCH = 100


@dataclass
class Context:
    """What every scenario of one backend shares."""

    backend: StorageBackend
    raw: RawCeiling | None
    duration: float
    replay_events: int
    deep_events: int


class Scenario:
    """Base: subclasses set ``name``/``unit`` and implement ``ours`` and ``raw_sample``."""

    name: ClassVar[str] = ""
    unit: ClassVar[str] = "events"
    description: ClassVar[str] = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.b = ctx.backend
        self.notes: list[str] = []

    async def setup(self) -> None:
        """Untimed preparation, once per backend."""

    async def ours(self) -> Sample:
        raise NotImplementedError

    async def raw(self) -> Sample | None:
        """The ceiling's sample, or ``None`` when this backend has no raw ceiling."""
        return None if self.ctx.raw is None else await self.raw_sample(self.ctx.raw)

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        raise NotImplementedError


async def _prefill_ours(b: StorageBackend, run_id: str, count: int, start: int = 0) -> int:
    step = min(BATCH, b.features.max_batch)
    version = start
    while version < count:
        n = min(step, count - version)
        version = await b.append(run_id, [new_event() for _ in range(n)], expected_version=version)
    return version


async def _prefill_raw(raw: RawCeiling, run_id: str, count: int) -> None:
    for first in range(1, count + 1, BATCH):
        n = min(BATCH, count - first + 1)
        await raw.insert_batch(run_id, first, [raw_row() for _ in range(n)])


async def _raw_sequential(
    raw: RawCeiling,
    duration: float,
    workers: int,
    start: int = 0,
    run_ids: Sequence[str] | None = None,
) -> Sample:
    """``workers`` loops of single-event appends, each on its own run (new ones unless
    ``run_ids``, at version ``start``), for ``duration`` seconds: seq_append's operation."""
    runs = list(run_ids) if run_ids else [new_id() for _ in range(workers)]
    seqs = [start] * workers

    async def op(i: int) -> tuple[int, int]:
        seqs[i] += 1
        if not await raw.insert(runs[i], seqs[i], raw_row()):
            raise RuntimeError(f"raw insert conflicted on a private run at seq {seqs[i]}")
        return 1, 0

    return await run_for(duration, workers, op)


class SeqAppend(Scenario):
    name = "seq_append"
    description = "sequential single-event appends on one run"

    async def ours(self) -> Sample:
        return await sequential_appends(self.b, self.ctx.duration, 1)

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        sample = await _raw_sequential(raw, self.ctx.duration, 1)
        for label, write in raw.variants().items():
            v = await _raw_variant(write, self.ctx.duration)
            sample.extra[label] = {"events_per_s": v.rate, "cpu_us_per_event": v.cpu_us}
        return sample


async def _raw_variant(write: RawInsert, duration: float) -> Sample:
    run, seq = new_id(), [0]

    async def op(i: int) -> tuple[int, int]:
        seq[0] += 1
        if not await write(run, seq[0], raw_row()):
            raise RuntimeError("raw variant conflicted on a private run")
        return 1, 0

    return await run_for(duration, 1, op)


async def sequential_appends(
    b: StorageBackend,
    duration: float,
    workers: int,
    start: int = 0,
    run_ids: Sequence[str] | None = None,
) -> Sample:
    """``workers`` loops of single-event appends, each on its own run (new ones unless
    ``run_ids``, at version ``start``), for ``duration`` seconds: seq_append's operation."""
    runs = list(run_ids) if run_ids else [new_id() for _ in range(workers)]
    versions = [start] * workers

    async def op(i: int) -> tuple[int, int]:
        versions[i] = await b.append(runs[i], [new_event()], expected_version=versions[i])
        return 1, 0

    return await run_for(duration, workers, op)


class Concurrent16(Scenario):
    name = "concurrent_16"
    description = "16 concurrent appenders, each on its own run"

    async def ours(self) -> Sample:
        return await sequential_appends(self.b, self.ctx.duration, WORKERS)

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        return await _raw_sequential(raw, self.ctx.duration, WORKERS)


class Batch100(Scenario):
    name = "batch_100"
    description = "appends of 100 events at a time on one run"

    async def ours(self) -> Sample:
        run, version, size = new_id(), [0], min(BATCH, self.b.features.max_batch)
        if size < BATCH and not self.notes:
            self.notes.append(f"backend max_batch={size}")

        async def op(i: int) -> tuple[int, int]:
            batch: list[NewEvent] = [new_event() for _ in range(size)]
            version[0] = await self.b.append(run, batch, expected_version=version[0])
            return size, 0

        return await run_for(self.ctx.duration, 1, op)

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        run, seq = new_id(), [1]

        async def op(i: int) -> tuple[int, int]:
            await raw.insert_batch(run, seq[0], [raw_row() for _ in range(BATCH)])
            seq[0] += BATCH
            return BATCH, 0

        return await run_for(self.ctx.duration, 1, op)


def verify_log(sequences: Sequence[int], ids: Sequence[str], acked: Sequence[str]) -> list[str]:
    """Problems in a log read back after contention: duplicate or missing sequences, ids
    stored twice, acknowledged events lost, or stored events nobody was told about."""
    problems: list[str] = []
    if list(sequences) != list(range(1, len(sequences) + 1)):
        dups = len(sequences) - len(set(sequences))
        problems.append(f"sequences not dense 1..{len(sequences)} ({dups} duplicates)")
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} event ids stored twice")
    lost = set(acked) - set(ids)
    if lost:
        problems.append(f"{len(lost)} acknowledged events lost")
    phantom = set(ids) - set(acked)
    if phantom:
        problems.append(f"{len(phantom)} stored events were never acknowledged")
    if len(acked) != len(set(acked)):
        problems.append("an event was acknowledged twice")
    return problems


class Contention16(Scenario):
    name = "contention_16"
    description = "16 contenders appending to ONE run; losers re-read the version and retry"

    async def ours(self) -> Sample:
        run = new_id()
        versions = [0] * WORKERS
        acked: list[str] = []

        async def op(i: int) -> tuple[int, int]:
            event = new_event()
            try:
                versions[i] = await self.b.append(run, [event], expected_version=versions[i])
            except ConflictError:
                versions[i] = await self.b.version(run)
                return 0, 1
            acked.append(event.id)
            return 1, 0

        sample = await run_for(self.ctx.duration, WORKERS, op)
        log = await self.b.read(run)
        problems = verify_log([e.sequence for e in log], [e.id for e in log], acked)
        sample.extra["verified_events"] = len(log)
        sample.extra["problems"] = problems
        return sample

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        run = new_id()
        seqs = [0] * WORKERS

        async def op(i: int) -> tuple[int, int]:
            if await raw.insert(run, seqs[i] + 1, raw_row()):
                seqs[i] += 1
                return 1, 0
            seqs[i] = await raw.last_seq(run)
            return 0, 1

        return await run_for(self.ctx.duration, WORKERS, op)


class Replay(Scenario):
    name = "replay_10k"
    description = "read a whole run back (default 10k events): fetch + decode"

    async def setup(self) -> None:
        n = self.ctx.replay_events
        if n != 10_000:
            self.notes.append(f"replay of {n} events")
        self.run = new_id()
        await _prefill_ours(self.b, self.run, n)
        if self.ctx.raw is not None:
            self.raw_run = new_id()
            await _prefill_raw(self.ctx.raw, self.raw_run, n)

    async def ours(self) -> Sample:
        async def op(i: int) -> tuple[int, int]:
            events = await self.b.read(self.run)
            if len(events) != self.ctx.replay_events or events[-1].sequence != len(events):
                raise RuntimeError(f"replay read {len(events)} events")
            return len(events), 0

        return _with_ms(await run_for(self.ctx.duration, 1, op), self.ctx.replay_events)

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        async def op(i: int) -> tuple[int, int]:
            return await raw.replay(self.raw_run), 0

        return _with_ms(await run_for(self.ctx.duration, 1, op), self.ctx.replay_events)


def _with_ms(sample: Sample, n: int) -> Sample:
    sample.extra["ms_per_replay"] = n / sample.rate * 1000 if sample.rate else 0.0
    return sample


class CreateRun(Scenario):
    name = "create_run"
    unit = "runs"
    description = "sequential create_run of new runs (~200-byte input)"

    async def ours(self) -> Sample:
        async def op(i: int) -> tuple[int, int]:
            await self.b.create_run(
                WorkflowRun(id=new_id(), workflow_name="bench.workflow", input=PAYLOAD)
            )
            return 1, 0

        return await run_for(self.ctx.duration, 1, op)

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        row = raw_row()

        async def op(i: int) -> tuple[int, int]:
            r = raw_row()
            await raw.create_run(r.id, "bench.workflow", row.data, r.timestamp)
            return 1, 0

        return await run_for(self.ctx.duration, 1, op)


class DeepAppend(Scenario):
    name = "deep_append"
    description = "sequential appends to a run that already holds --deep-events events"

    async def setup(self) -> None:
        self.run, self.raw_run = new_id(), new_id()
        self.version = await _prefill_ours(self.b, self.run, self.ctx.deep_events)
        self.raw_seq = self.ctx.deep_events
        if self.ctx.raw is not None:
            await _prefill_raw(self.ctx.raw, self.raw_run, self.ctx.deep_events)

    async def ours(self) -> Sample:
        s = await sequential_appends(self.b, self.ctx.duration, 1, self.version, [self.run])
        self.version += s.events
        return s

    async def raw_sample(self, raw: RawCeiling) -> Sample:
        s = await _raw_sequential(raw, self.ctx.duration, 1, self.raw_seq, [self.raw_run])
        self.raw_seq += s.events
        return s


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls
    for cls in (SeqAppend, Concurrent16, Batch100, Contention16, Replay, CreateRun, DeepAppend)
}
