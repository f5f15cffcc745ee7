"""Which tasks an inline ``wait(run_id)`` may execute: those of the run it waits for and of
the runs that run depends on (its children, grandchildren..., its continue-as-new
successors), never another program's.

Why: executing a task means importing the workflow it names. A script waiting on its own run
that executed every due task in a shared store would import other programs' modules (and,
for a workflow defined in another script's ``__main__``, map that name to whichever script
ran first), after which the waiting script's own dataclasses and pydantic models no longer
decode. Workers (``pyworkflow worker``) are the ones that execute everything.

The filter uses only the existing contract: claim, then give back at once, due as before,
every claimed task outside the scope (see :meth:`RunScope.accepts`). A run's ancestry
(``parent_id``, ``continued_from``) never changes, so each run is looked up once per wait.
"""

from __future__ import annotations

from pyworkflow.models import Task
from pyworkflow.storage import StorageBackend

__all__ = ["RunScope"]

#: how many ancestors are followed before a run is judged outside the scope (a guard against
#: a corrupted, cyclic ancestry; real chains of continue-as-new are followed through
#: ``continued_from`` one lookup per run and remembered)
MAX_HOPS = 100_000


class RunScope:
    """The runs reachable from ``root`` through children and continue-as-new successors."""

    def __init__(self, storage: StorageBackend, root: str) -> None:
        self._storage = storage
        self._inside: set[str] = {root}
        self._outside: set[str] = set()

    async def accepts(self, task: Task) -> bool:
        """``True`` if ``task`` resumes a run in the scope. Schedule firings and tasks of
        runs that no longer exist are outside it (a worker handles them)."""
        seen: list[str] = []
        run_id: str | None = task.run_id
        verdict = False
        for _ in range(MAX_HOPS):
            if run_id is None or run_id in self._outside:
                break
            if run_id in self._inside:
                verdict = True
                break
            seen.append(run_id)
            run = await self._storage.get_run(run_id)
            if run is None:
                break
            # the parent of a child, or the predecessor of a continued run
            run_id = run.parent_id if run.parent_id is not None else run.continued_from
        (self._inside if verdict else self._outside).update(seen)
        return verdict
