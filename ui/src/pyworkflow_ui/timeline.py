"""A run's timeline, built from its event log in one pass.

The engine writes every event of a step, sleep, hook or child with the same ``pos`` (the
call's position in the workflow), so grouping by ``pos`` gives one row per call: when it began,
when it ended, how many attempts it took and how it ended. Workflow-level events
(``workflow.*``, ``cancellation.requested``, ``context.updated``) become markers. Nothing here
reads storage: the page reads the log once and hands it over, so 10,000 events cost one read
(in pages) and one linear pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyworkflow.models import Event

__all__ = ["Marker", "Span", "Timeline", "build_timeline"]


@dataclass(slots=True)
class Span:
    """One call of the workflow (a step, sleep, hook wait or child) across its events."""

    pos: int
    kind: str
    name: str
    start: datetime
    end: datetime | None = None
    state: str = "running"  # running | completed | failed | waiting | received | expired ...
    attempts: int = 0
    retries: int = 0
    first_seq: int = 0
    detail: str = ""
    offset: float = 0.0  # seconds from the run's first event, filled by build_timeline
    left: float = 0.0  # percent of the run's span, filled by build_timeline
    width: float = 0.0

    @property
    def duration(self) -> float | None:
        """Seconds from the first to the last event of the call; ``None`` while open."""
        return None if self.end is None else (self.end - self.start).total_seconds()


@dataclass(slots=True)
class Marker:
    """A workflow-level event on the time axis."""

    sequence: int
    type: str
    at: datetime
    offset: float = 0.0
    left: float = 0.0


@dataclass(slots=True)
class Timeline:
    spans: list[Span] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    events: int = 0

    @property
    def seconds(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return (self.end - self.start).total_seconds()


_OPEN = frozenset({"running", "sleeping", "waiting", "retrying"})


def _micros(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1_000_000, UTC)
    return None


def _apply(span: Span, event: Event) -> None:
    """Fold one event of a call into its span."""
    kind = event.type
    data = event.data
    span.end = event.timestamp
    if kind == "step.started":
        span.attempts = max(span.attempts, int(data.get("attempt", span.attempts + 1) or 0))
        span.state = "running"
    elif kind == "step.completed":
        span.state = "completed"
    elif kind == "step.failed":
        if data.get("final", True):
            span.state = "failed"
        else:
            span.retries += 1
            span.state = "retrying"
            retry_at = _micros(data.get("retry_at"))
            if retry_at is not None:
                span.detail = f"retry at {retry_at:%Y-%m-%d %H:%M:%S} UTC"
    elif kind == "sleep.started":
        span.state = "sleeping"
        wake_at = _micros(data.get("wake_at"))
        span.detail = f"{data.get('seconds', '?')} s" + (
            "" if wake_at is None else f", wakes {wake_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    elif kind == "sleep.completed":
        span.state = "completed"
    elif kind == "hook.created":
        span.state = "waiting"
        span.detail = "waiting for a payload"
    elif kind in ("hook.received", "hook.expired"):
        span.state = kind.split(".", 1)[1]
        span.detail = ""
    elif kind.startswith("child_workflow."):
        outcome = kind.split(".", 1)[1]
        span.state = "running" if outcome == "started" else outcome
        child = data.get("child_id") or data.get("run_id")
        if isinstance(child, str):
            span.detail = child
    else:
        span.state = kind.rsplit(".", 1)[-1]


def build_timeline(events: Iterable[Event]) -> Timeline:
    """Group ``events`` (in sequence order) into spans by ``pos`` and markers for the rest.

    Events without an integer ``pos`` in their data are markers. An event log that ends with a
    call still open leaves that span's ``end`` at its last event and its state as that event
    left it (``running``, ``sleeping``, ``waiting``); its bar reaches to the log's end.
    Positions (``left``, ``width``) are percents of the time from the earliest to the latest
    event timestamp; a run whose events all share one timestamp gets zero-width bars at 0 %.
    """
    tl = Timeline()
    by_pos: dict[int, Span] = {}
    for event in events:
        tl.events += 1
        # min/max, not first/last: a step's start is stamped when its attempt began, which
        # can precede events appended before it in the same batch.
        if tl.start is None or event.timestamp < tl.start:
            tl.start = event.timestamp
        if tl.end is None or event.timestamp > tl.end:
            tl.end = event.timestamp
        pos = event.data.get("pos")
        if not isinstance(pos, int) or isinstance(pos, bool):
            tl.markers.append(Marker(event.sequence, event.type, event.timestamp))
            continue
        span = by_pos.get(pos)
        if span is None:
            family = event.type.split(".", 1)[0]
            kind = str(event.data.get("kind") or family)
            span = Span(
                pos=pos,
                kind=kind,
                name=str(event.data.get("name") or kind),
                start=event.timestamp,
                first_seq=event.sequence,
            )
            by_pos[pos] = span
            tl.spans.append(span)
        _apply(span, event)
    total = tl.seconds
    if tl.start is not None:
        origin = tl.start
        scale = 100 / total if total > 0 else 0.0
        for span in tl.spans:
            span.offset = (span.start - origin).total_seconds()
            span.left = span.offset * scale
            # A call still open (sleeping, waiting, running) reaches to the log's end.
            end = (tl.end if span.state in _OPEN else span.end) or span.start
            span.width = max(0.0, (end - span.start).total_seconds() * scale)
        for marker in tl.markers:
            marker.offset = (marker.at - origin).total_seconds()
            marker.left = marker.offset * scale
    return tl
