"""What :meth:`~pyworkflow.storage.StorageBackend.list_tasks` returns: a task as it stands.

A :class:`TaskInfo` is a stored :class:`~pyworkflow.models.Task` with its lease (which
worker holds it, until when) and its :class:`TaskState` at a given time. The lease token is
never part of it: the token is what lets a worker complete or release the task, so a listing
(shown in a browser, printed by a CLI) must not hand it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .models import Task

__all__ = ["TaskInfo", "TaskState", "task_state"]


class TaskState(StrEnum):
    """Where a task stands at a given time ``now``.

    ``ready``: due (``due_at <= now``) and not leased: the next claim may take it.
    ``scheduled``: not leased and due later (``due_at > now``).
    ``leased``: a worker holds it and the lease has not expired (``expires_at > now``).
    ``expired``: a worker's lease has expired and nobody has claimed the task again; a claim
    may take it, and until then the old holder may still complete, extend or release it.
    """

    READY = "ready"
    SCHEDULED = "scheduled"
    LEASED = "leased"
    EXPIRED = "expired"


def task_state(due_at: datetime, lease_expires_at: datetime | None, now: datetime) -> TaskState:
    """The state of a task due at ``due_at`` whose lease (if any) ends at
    ``lease_expires_at``, at ``now`` (the one definition every backend uses)."""
    if lease_expires_at is not None:
        return TaskState.LEASED if lease_expires_at > now else TaskState.EXPIRED
    return TaskState.READY if due_at <= now else TaskState.SCHEDULED


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskInfo:
    """A task, its lease and its state, as :meth:`list_tasks` saw them.

    ``worker`` and ``lease_expires_at`` are ``None`` unless the task is leased (state
    ``leased`` or ``expired``). ``task.attempts`` counts the claims so far, the current one
    included.
    """

    task: Task
    state: TaskState
    worker: str | None = None
    lease_expires_at: datetime | None = None

    @classmethod
    def at(
        cls, task: Task, worker: str | None, lease_expires_at: datetime | None, now: datetime
    ) -> TaskInfo:
        """The info of ``task`` with this lease (``worker``/``lease_expires_at`` ``None``
        when not leased) at ``now``."""
        if lease_expires_at is None:
            worker = None
        return cls(
            task=task,
            state=task_state(task.due_at, lease_expires_at, now),
            worker=worker,
            lease_expires_at=lease_expires_at,
        )
