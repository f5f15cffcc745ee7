"""The predecessor's logging helpers over stdlib logging."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyworkflow import bind_step_context, bind_workflow_context, configure_logging, get_logger, logs


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    logger = logging.getLogger("pyworkflow")
    level = logger.level
    yield
    if logs._handler is not None:
        logger.removeHandler(logs._handler)
        logs._handler.close()
        logs._handler = None
    logger.setLevel(level)


def test_json_lines_carry_the_bound_context(tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    configure_logging(level="DEBUG", log_file=str(out), json_logs=True)
    configure_logging(level="DEBUG", log_file=str(out), json_logs=True)  # no double lines
    bind_workflow_context("run-1", "orders").info("started")
    bind_step_context("run-1", "s-1", "charge").debug("charging")
    get_logger("mine").info("plain")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["message"] for line in lines] == ["started", "charging", "plain"]
    assert lines[0]["run_id"] == "run-1"
    assert lines[0]["workflow_name"] == "orders"
    assert lines[1]["step_name"] == "charge"
    assert lines[2]["logger"] == "pyworkflow.mine"


def test_text_shows_context_and_level_filters(tmp_path: Path) -> None:
    out = tmp_path / "log.txt"
    configure_logging(level="WARNING", log_file=str(out))
    bind_workflow_context("run-2", "orders").info("hidden")
    bind_workflow_context("run-2", "orders").warning("shown")
    text = out.read_text()
    assert "hidden" not in text
    assert "shown [run_id=run-2 workflow_name=orders]" in text
    assert get_logger() is logging.getLogger("pyworkflow")
    with pytest.raises(ValueError):
        configure_logging(level="LOUD")
