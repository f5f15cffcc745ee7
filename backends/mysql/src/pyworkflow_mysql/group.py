"""Group commit for MariaDB/MySQL: several appends' statements in one transaction, one trip.

The group goes out as one multi-statement text (aiomysql connects with ``MULTI_STATEMENTS``):
``START TRANSACTION; append 1; ...; append n; COMMIT``. Each append stays all-or-nothing on
its own because InnoDB rolls back only the failing *statement* on a duplicate key (the
transaction stays open, the other appends' rows stay in it); a version-guard miss inserts
nothing (rowcount 0). The server stops executing a multi-statement text at its first error,
so after a duplicate key the rest of the group (and the COMMIT) is sent again as a new text in
the same, still open, transaction. Any other error (deadlock, lost connection, a failing
COMMIT) rolls the whole group back and is raised to every append in it. A group larger
than ``max_bytes`` goes out as several texts, still in one transaction.

Edge cases: a group whose statements all fail still commits an empty transaction (harmless);
statements are sent in the caller's order, which the backend sorts by run id so concurrent
groups take row locks in one order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import aiomysql

__all__ = ["write_group"]

#: One append's statement: its position in the caller's group, SQL (``%s`` style) and args.
Statement = tuple[int, str, Sequence[Any]]


async def write_group(
    conn: aiomysql.Connection,
    statements: list[Statement],
    is_duplicate_key: Callable[[BaseException], bool],
    size: int,
    max_bytes: int,
) -> list[int]:
    """Run ``statements`` in one transaction on ``conn`` (autocommit mode); per group
    position (``size`` of them): rows inserted, or -1 for a duplicate key. Positions without a
    statement get 0."""
    results = [0] * size
    pos, begun = 0, False
    async with conn.cursor() as cur:
        try:
            while True:
                end = _batch_end(statements, pos, max_bytes)
                batch = statements[pos:end]
                head = [] if begun else ["START TRANSACTION"]
                tail = ["COMMIT"] if end == len(statements) else []
                sql = ";".join([*head, *(s for _, s, _ in batch), *tail])
                args = [a for _, _, stmt_args in batch for a in stmt_args]
                counts: list[int] = []
                try:
                    await cur.execute(sql, args)
                    counts.append(cur.rowcount)
                    while await cur.nextset():
                        counts.append(cur.rowcount)
                except Exception as exc:
                    failed = len(counts) - len(head)  # index in batch of the failing statement
                    if not 0 <= failed < len(batch) or not is_duplicate_key(exc):
                        raise  # START TRANSACTION or COMMIT failed, or not a duplicate key
                    begun = True
                    _record(results, batch[:failed], counts[len(head) :])
                    results[batch[failed][0]] = -1
                    pos += failed + 1
                    continue
                if len(counts) != len(head) + len(batch) + len(tail):
                    raise RuntimeError(f"expected {len(batch)} results, got {counts!r}")
                _record(results, batch, counts[len(head) : len(head) + len(batch)])
                if tail:
                    return results
                begun, pos = True, end
        except BaseException:
            if begun or conn.get_transaction_status():
                # If the connection is gone, the pool drops it (it is still in a transaction).
                with contextlib.suppress(Exception):
                    await conn.rollback()
            raise


def _batch_end(statements: list[Statement], pos: int, max_bytes: int) -> int:
    """The end of the next text from ``pos``: at least one statement, at most ``max_bytes``
    (a bound: 4 bytes per character of SQL and arguments, which escaping cannot exceed)."""
    total, end = 0, pos
    while end < len(statements):
        _, sql, args = statements[end]
        total += 4 * (len(sql) + sum(len(a) + 2 if isinstance(a, str) else 24 for a in args))
        if total > max_bytes and end > pos:
            break
        end += 1
    return end


def _record(results: list[int], batch: list[Statement], counts: list[int]) -> None:
    for (i, _, _), n in zip(batch, counts, strict=True):
        results[i] = n
