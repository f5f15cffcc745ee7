"""Typed step context: :class:`StepContext`, a frozen pydantic model that a workflow declares
with ``@workflow(context_class=Cls)``, sets with ``set_step_context`` and its steps read with
``get_step_context()`` (an instance of ``Cls``).

pydantic is not a dependency of core: this module imports it only when ``StepContext`` is
first used (``from pyworkflow import StepContext``), and raises
:class:`~pyworkflow.errors.MissingDependency` naming the extra to install when it is absent.
The context is stored as the model's plain JSON (``to_dict()``), so any process can read it
and a run without ``context_class`` keeps the plain-JSON context of
:func:`~pyworkflow.engine.calls.set_step_context`.
"""

from __future__ import annotations

import functools
from typing import Any

from pyworkflow.errors import MissingDependency

from .errors import WorkflowError

__all__ = ["InvalidContext", "StepContextReadOnly", "step_context_class"]


class StepContextReadOnly(WorkflowError, RuntimeError):
    """``set_step_context`` was called inside a step: only the workflow may change it (a
    ``RuntimeError``, as the predecessor documented)."""


class InvalidContext(WorkflowError, TypeError):
    """``set_step_context`` got a value that is not an instance of the workflow's
    ``context_class`` (a ``TypeError``, as the predecessor raised)."""


@functools.cache
def step_context_class() -> type[Any]:
    """The ``StepContext`` base class, built on first use (pydantic is imported here)."""
    try:
        from pydantic import BaseModel, ConfigDict
    except ImportError as exc:  # pragma: no cover - pydantic is installed in the workspace
        raise MissingDependency("StepContext needs pydantic: pip install 'pydantic>=2'") from exc

    class StepContext(BaseModel):
        """Base class of a typed step context: subclass it with typed fields.

        Frozen (assigning an attribute raises pydantic's ``ValidationError``) and strict about
        fields (an unknown one raises). Make a changed copy with :meth:`with_updates` and store
        it with ``await set_step_context(ctx)`` from the workflow.
        """

        model_config = ConfigDict(frozen=True, extra="forbid")

        def with_updates(self, **changes: Any) -> Any:
            """A copy with ``changes`` applied (not re-validated, as ``model_copy``)."""
            return self.model_copy(update=changes)

        def to_dict(self) -> dict[str, Any]:
            """The fields as a plain JSON-able dict (``model_dump(mode="json")``)."""
            return self.model_dump(mode="json")

        @classmethod
        def from_dict(cls, data: dict[str, Any]) -> Any:
            """An instance from :meth:`to_dict`'s output, validated."""
            return cls.model_validate(data)

    StepContext.__module__ = "pyworkflow"
    return StepContext
