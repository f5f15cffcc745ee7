"""MariaDB/MySQL group commit on the real server: concurrent appends share one transaction
and one round trip, and each still succeeds or fails on its own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pyworkflow import NewEvent, StorageBackend
from pyworkflow.errors import ConflictError, PayloadTooLarge
from pyworkflow_mysql import MySQLBackend
from pyworkflow_mysql.group import _batch_end


def _count_groups(b: MySQLBackend) -> list[int]:
    sizes: list[int] = []
    original = b._append_group

    async def counting(group: list[Any]) -> list[int]:
        sizes.append(len(group))
        return await original(group)

    b._append_group = counting  # type: ignore[method-assign]
    return sizes


class TestGroupCommit:
    backend_name = "mysql"

    @pytest.mark.parametrize("max_packet", [None, 4096])
    async def test_a_group_keeps_each_append_atomic(
        self, backend_url: str, max_packet: int | None
    ) -> None:
        # max_packet=4096: the group no longer fits one text and goes out as several, in one
        # transaction (the duplicate keys then fall in different texts).
        async with StorageBackend.from_url(backend_url, retries=0) as b:
            assert isinstance(b, MySQLBackend)
            assert b.group_commit
            if max_packet:
                b._max_packet = max_packet
            await b.append("dup", [NewEvent(type="a", id="taken")], expected_version=0)
            await b.append("first", [NewEvent(type="a")], expected_version=0)
            sizes = _count_groups(b)
            lone = b.append("lone", [NewEvent(type="x")], expected_version=0)  # runs inline
            good = [b.append(f"g{i}", [NewEvent(type="x")], expected_version=0) for i in range(6)]
            # In the same group: a batch repeating an event id (duplicate key mid-group), a
            # stale version (guard miss), a second first append (duplicate key on seq 1), and
            # a batch after v1 that must land.
            bad_id = b.append(
                "dup", [NewEvent(type="b"), NewEvent(type="b", id="taken")], expected_version=1
            )
            stale = b.append("dup", [NewEvent(type="c")], expected_version=5)
            again = b.append("first", [NewEvent(type="b")], expected_version=0)
            more = [
                b.append(f"h{i}", [NewEvent(type="y"), NewEvent(type="z")], expected_version=0)
                for i in range(6)
            ]
            results = await asyncio.gather(
                lone, *good, bad_id, stale, again, *more, return_exceptions=True
            )
            assert results[:7] == [1] * 7
            assert [type(r) for r in results[7:10]] == [ConflictError] * 3
            assert results[10:] == [2] * 6
            assert sizes
            assert max(sizes) >= 10
            assert [e.id for e in await b.read("dup")] == ["taken"]
            assert await b.version("first") == 1
            for i in range(6):
                assert await b.version(f"g{i}") == 1
                assert [e.type for e in await b.read(f"h{i}")] == ["y", "z"]

    async def test_a_too_large_append_fails_alone_in_its_group(self, backend_url: str) -> None:
        async with StorageBackend.from_url(backend_url, retries=0) as b:
            assert isinstance(b, MySQLBackend)
            b._max_packet = 8192
            sizes = _count_groups(b)
            big = [NewEvent(type="big", data={"pad": "x" * 5000})]
            calls = [b.append(f"r{i}", [NewEvent(type="x")], expected_version=0) for i in range(4)]
            calls.insert(2, b.append("big", big, expected_version=0))
            results = await asyncio.gather(*calls, return_exceptions=True)
            assert isinstance(results.pop(2), PayloadTooLarge)
            assert results == [1] * 4
            assert sizes == [4]
            assert await b.version("big") == 0

    async def test_group_commit_can_be_turned_off(self, backend_url: str) -> None:
        async with StorageBackend.from_url(backend_url, group_commit=False) as b:
            assert isinstance(b, MySQLBackend)
            assert not b.group_commit
            sizes = _count_groups(b)
            calls = [b.append(f"r{i}", [NewEvent(type="x")], expected_version=0) for i in range(8)]
            assert await asyncio.gather(*calls) == [1] * 8
            assert sizes == []


def test_a_text_is_bounded_but_holds_at_least_one_statement() -> None:
    stmt = (0, "INSERT x", ["a" * 100])  # 4 * (8 + 102) = 440 bytes
    statements = [stmt] * 5
    assert _batch_end(statements, 0, 10_000) == 5
    assert _batch_end(statements, 0, 900) == 2
    assert _batch_end(statements, 3, 900) == 5
    assert _batch_end(statements, 1, 100) == 2  # over the bound alone: still sent, alone
