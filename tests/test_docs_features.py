"""Each backend README's features table says what the backend declares in ``features``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyworkflow.storage import StorageBackend

ROOT = Path(__file__).resolve().parent.parent

#: A URL of each backend with a features table (constructing a backend connects to nothing).
URLS = {
    "sqlite": "sqlite:///docs-check.db",
    "files": "file:///tmp/pyworkflow-docs-check",
    "postgres": "postgresql://user@localhost/db",
    "mysql": "mysql://user@localhost/db",
    "cassandra": "cassandra://localhost:9042/ks",
    "dynamodb": "dynamodb://pwt?region=us-east-1",
}
_UNITS = {"": 1, "KiB": 1024, "MiB": 1024 * 1024}


def _value(cell: str) -> bool | int:
    """The declared value a table cell states: yes/true, no/false, or a size."""
    word = cell.strip().split(" ")[0].lower()
    if word in ("yes", "true", "no", "false"):
        return word in ("yes", "true")
    size = re.match(r"([\d,]+)\s*(KiB|MiB)?", cell.strip())
    assert size, f"cannot read a feature value from {cell!r}"
    return int(size.group(1).replace(",", "")) * _UNITS[size.group(2) or ""]


def table(text: str) -> dict[str, bool | int]:
    """``{feature: value}`` of the ``| feature | value |`` table in a README."""
    found: dict[str, bool | int] = {}
    rows = re.findall(r"^\| *(`[^|]+) *\| *([^|]+?) *\|", text.split("| feature |", 1)[-1], re.M)
    for names_cell, value_cell in rows:
        names = re.findall(r"`(\w+)`", names_cell)
        values = value_cell.split(" / ") if " / " in value_cell else [value_cell] * len(names)
        for name, value in zip(names, values, strict=True):
            found[name] = _value(value)
    return found


@pytest.mark.parametrize("name", sorted(URLS))
def test_features_table_matches_the_backend(name: str) -> None:
    documented = table((ROOT / "backends" / name / "README.md").read_text())
    features = StorageBackend.from_url(URLS[name]).features
    declared = {key: getattr(features, key) for key in documented}
    assert documented == declared
    assert len(documented) >= 6  # the table was read, not skipped over


def test_a_wrong_features_table_is_read_as_written() -> None:
    text = "| feature | value |\n|---|---|\n| `durable` | no |\n| `max_batch` | 1,000 |\n"
    text += "| `multi_process` / `multi_host` | yes / no |\n| `max_event_bytes` | 64 KiB |\n"
    assert table(text) == {
        "durable": False,
        "max_batch": 1000,
        "multi_process": True,
        "multi_host": False,
        "max_event_bytes": 65536,
    }
