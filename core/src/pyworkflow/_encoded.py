"""A validated run together with the JSON text of its JSON fields (encode once).

The contract layer (:func:`pyworkflow._validate.check_run_encoded`) has to encode every JSON
field of a new run to validate it (key types, depth, size). Rather than throw that text away
and have the backend encode the same values again, it hands the backend an
:class:`EncodedRun`: the normalized run plus those texts, exactly as
:func:`pyworkflow.codec.dumps` writes them (``"null"`` for ``None``, ``"{}"`` for empty
metadata). A backend stores these strings instead of calling ``dumps`` on the values.

:func:`run_record_json` builds the text of a run's whole record
(``encode_valid(record(run))``, what the memory and document stores keep) from the same
pieces, so those stores encode only the handful of scalar fields.
"""

from __future__ import annotations

from typing import NamedTuple

from .codec import encode_valid, to_micros
from .models import WorkflowRun

__all__ = ["RUN_JSON_FIELDS", "EncodedRun", "run_record_json"]

#: The JSON-valued fields of a run, in the order of :class:`EncodedRun` and of the model.
RUN_JSON_FIELDS = ("input", "result", "error", "context", "metadata")


class EncodedRun(NamedTuple):
    """A new run ready to store: the validated (UTC, enum-typed) ``run`` and the compact JSON
    text of each of its JSON fields.

    Each text is what ``pyworkflow.codec.dumps(getattr(run, name))`` returns for that field;
    the texts are never re-validated by a backend. A tuple, not a dataclass: one is built per
    ``create_run``, and a tuple costs no per-field ``__setattr__``.
    """

    run: WorkflowRun
    input: str
    result: str
    error: str
    context: str
    metadata: str


def _micros(value: object) -> int | None:
    return None if value is None else to_micros(value)  # type: ignore[arg-type]


def run_record_json(new: EncodedRun) -> str:
    """``encode_valid(record(new.run))``, byte for byte, without encoding the JSON fields again.

    The record's keys are the model's fields in declaration order: three scalars, the five
    JSON fields (their texts spliced in), then eight scalars. The scalars are encoded as two
    small objects whose braces are replaced by the spliced middle; with the codec's compact
    separators this is the same text the whole record encodes to (tested against it).
    """
    run = new.run
    head = encode_valid(
        {"id": run.id, "workflow_name": run.workflow_name, "status": run.status.value}
    )
    tail = encode_valid(
        {
            "idempotency_key": run.idempotency_key,
            "parent_id": run.parent_id,
            "continued_from": run.continued_from,
            "continued_to": run.continued_to,
            "created_at": to_micros(run.created_at),
            "updated_at": to_micros(run.updated_at),
            "started_at": _micros(run.started_at),
            "completed_at": _micros(run.completed_at),
        }
    )
    return (
        f'{head[:-1]},"input":{new.input},"result":{new.result},"error":{new.error},'
        f'"context":{new.context},"metadata":{new.metadata},{tail[1:]}'
    )
