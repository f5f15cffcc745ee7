"""The options of ``@workflow(...)`` beyond its name, as one value (:class:`WorkflowOptions`)
that the decorator validates once and a run's metadata records.

Precedence for ``durable``: ``start(durable=...)``, then the decorator's, then
``pyworkflow.engine.settings.current().default_durable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyworkflow.errors import InvalidInput

from .durations import to_seconds

__all__ = ["MAX_TAGS", "WorkflowOptions"]

#: the most tags a workflow may carry (the predecessor's limit)
MAX_TAGS = 3


@dataclass(frozen=True, slots=True)
class WorkflowOptions:
    """``durable``: ``None`` falls back to the configured default. ``max_duration``: a
    duration (``"1h"``, seconds, ``timedelta``) recorded as seconds in the run's metadata.
    ``tags``: at most :data:`MAX_TAGS` strings, recorded in the metadata (``tags``).
    ``recover_on_worker_loss`` and ``max_recovery_attempts`` are accepted for the
    predecessor's programs: leases make every durable run recover from a lost worker, without
    a limit (a run is never stranded), so they change nothing. ``max_retries`` (default 0): how
    many times a failed run is started again as a new attempt
    (:mod:`~pyworkflow.engine.workflow_retry`)."""

    durable: bool | None = None
    max_duration: float | None = None
    tags: tuple[str, ...] = ()
    recover_on_worker_loss: bool | None = None
    max_recovery_attempts: int | None = None
    max_retries: int = 0

    @classmethod
    def of(
        cls,
        *,
        durable: bool | None = None,
        max_duration: Any = None,
        tags: Any = None,
        recover_on_worker_loss: bool | None = None,
        max_recovery_attempts: int | None = None,
        max_retries: int = 0,
    ) -> WorkflowOptions:
        """Validate the decorator's keywords; :class:`InvalidInput` (a ``ValueError``) for a
        bad one."""
        if durable is not None and not isinstance(durable, bool):
            raise InvalidInput(f"durable must be True, False or None, got {durable!r}")
        tag_list = [] if tags is None else list(tags) if not isinstance(tags, str) else [tags]
        if len(tag_list) > MAX_TAGS:
            raise InvalidInput(
                f"Workflows can have at most {MAX_TAGS} tags, got {len(tag_list)}: {tag_list}"
            )
        if not all(isinstance(t, str) and t for t in tag_list):
            raise InvalidInput(f"tags must be non-empty strings, got {tag_list!r}")
        seconds = None if max_duration is None else to_seconds(max_duration)
        if seconds is not None and seconds <= 0:
            raise InvalidInput(f"max_duration must be positive, got {max_duration!r}")
        if max_recovery_attempts is not None and (
            not isinstance(max_recovery_attempts, int)
            or isinstance(max_recovery_attempts, bool)
            or max_recovery_attempts < 0
        ):
            raise InvalidInput(
                f"max_recovery_attempts must be an int >= 0, got {max_recovery_attempts!r}"
            )
        if (
            not isinstance(max_retries, int)
            or isinstance(max_retries, bool)
            or not 0 <= max_retries <= 1000
        ):
            raise InvalidInput(f"max_retries must be an int in [0, 1000], got {max_retries!r}")
        return cls(
            durable=durable,
            max_duration=seconds,
            tags=tuple(tag_list),
            recover_on_worker_loss=recover_on_worker_loss,
            max_recovery_attempts=max_recovery_attempts,
            max_retries=max_retries,
        )

    def metadata(self) -> dict[str, Any]:
        """What a run records of these options (only the ones set)."""
        out: dict[str, Any] = {}
        if self.tags:
            out["tags"] = list(self.tags)
        if self.max_duration is not None:
            out["max_duration"] = self.max_duration
        if self.max_retries:
            out["max_retries"] = self.max_retries
        return out
