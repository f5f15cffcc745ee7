"""The benchmark's result records, their JSON form, and a hand-written schema check.

The JSON document is meant for CI history, so its shape is fixed and versioned
(``"schema": "pyworkflow-bench/1"``); :func:`validate` returns every way a document departs
from it (an empty list means valid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .measure import Summary

__all__ = ["SAME_TURN_APPENDS", "SCHEMA_ID", "BackendRun", "Result", "validate"]

SCHEMA_ID = "pyworkflow-bench/1"
#: ``extra`` key of ``workflow_100_steps``: the rate (events/s) of sequential single-event
#: appends timed in the workflow's own turns, the yardstick of its step rate.
SAME_TURN_APPENDS = "seq_append_same_turns"


@dataclass
class Result:
    """One (backend, scenario): our medians, the raw ceiling's, and what was noticed."""

    backend: str
    scenario: str
    unit: str
    ours: Summary | None = None
    raw: Summary | None = None
    raw_how: str = ""
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: Why the scenario did not run here (not a failure), e.g. "engine not available".
    skipped: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.raw is None or not self.raw.rate:
            return None
        return self.ours.rate / self.raw.rate

    @property
    def ok(self) -> bool:
        return self.error is None and (self.ours is not None or self.skipped is not None)

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "backend": self.backend,
            "scenario": self.scenario,
            "unit": self.unit,
            "ok": self.ok,
            "error": self.error,
            "skipped": self.skipped,
            "ours": None if self.ours is None else self.ours.as_json(),
            "raw": None if self.raw is None else self.raw.as_json(),
            "ratio": None if ratio is None else round(ratio, 4),
            "raw_how": self.raw_how,
            "notes": list(self.notes),
            "extra": self.extra,
        }


@dataclass
class BackendRun:
    """A backend that was run (``skipped`` is None) or skipped, with the reason."""

    name: str
    url: str
    skipped: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "skipped": self.skipped, "facts": self.facts}


# -- schema ---------------------------------------------------------------------------------
# A tiny schema language: a type, a tuple of types (any of), a dict of required keys -> spec,
# or a one-element list [spec] for "list of spec".
NUM = (int, float)
OPT_STR = (str, type(None))
SUMMARY = {
    "events_per_s": NUM,
    "cpu_us_per_event": NUM,
    "conflicts": int,
    "events": int,
    "samples_events_per_s": [NUM],
}
RESULT = {
    "backend": str,
    "scenario": str,
    "unit": str,
    "ok": bool,
    "error": OPT_STR,
    "skipped": OPT_STR,
    "ours": (SUMMARY, type(None)),
    "raw": (SUMMARY, type(None)),
    "ratio": (*NUM, type(None)),
    "raw_how": str,
    "notes": [str],
    "extra": dict,
}
DOCUMENT = {
    "schema": str,
    "ok": bool,
    "started_at": str,
    "finished_at": str,
    "settings": {
        "duration": NUM,
        "repetitions": int,
        "replay_events": int,
        "deep_events": int,
        "scenarios": [str],
    },
    "machine": {"cores": int, "python": str, "cpu_model": str, "platform": str},
    "backends": [{"name": str, "url": str, "skipped": OPT_STR, "facts": dict}],
    "results": [RESULT],
    "goals": [
        {"goal": str, "backend": str, "value": (*NUM, type(None)), "met": (bool, type(None))}
    ],
}


def validate(doc: Any, spec: Any = DOCUMENT, where: str = "$") -> list[str]:
    """Every departure of ``doc`` from ``spec`` as ``"path: problem"`` (``[]`` when valid).

    Extra keys are allowed (forward compatible); ``bool`` never passes for ``int``/``float``.
    """
    if isinstance(spec, tuple) and any(isinstance(s, dict | list) for s in spec):
        options = [validate(doc, s, where) for s in spec]
        return [] if any(not o for o in options) else options[0]
    if isinstance(spec, dict):
        if not isinstance(doc, dict):
            return [f"{where}: expected an object, got {type(doc).__name__}"]
        problems: list[str] = []
        for key, sub in spec.items():
            if key not in doc:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += validate(doc[key], sub, f"{where}.{key}")
        return problems
    if isinstance(spec, list):
        if not isinstance(doc, list):
            return [f"{where}: expected a list, got {type(doc).__name__}"]
        return [p for i, item in enumerate(doc) for p in validate(item, spec[0], f"{where}[{i}]")]
    types = spec if isinstance(spec, tuple) else (spec,)
    if isinstance(doc, bool) and bool not in types:
        return [f"{where}: expected {_names(types)}, got bool"]
    if not isinstance(doc, types):
        return [f"{where}: expected {_names(types)}, got {type(doc).__name__}"]
    return []


def _names(types: tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in types)
