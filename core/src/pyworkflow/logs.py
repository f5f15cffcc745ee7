"""The predecessor's logging helpers over the standard library's :mod:`logging` (it used
loguru; we add no logging dependency).

``configure_logging`` attaches one handler to the ``pyworkflow`` logger (replacing the one
it attached before, so calling it twice does not double every line); ``get_logger`` returns
a ``logging.Logger``; ``bind_workflow_context`` / ``bind_step_context`` return a
``logging.LoggerAdapter`` whose records carry ``run_id``, ``workflow_name``, ``step_id``,
``step_name`` (shown with ``show_context``; fields of the JSON lines with ``json_logs``).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

__all__ = ["bind_step_context", "bind_workflow_context", "configure_logging", "get_logger"]

ROOT = "pyworkflow"
_CONTEXT = ("run_id", "workflow_name", "step_id", "step_name")
_handler: logging.Handler | None = None


class _Text(logging.Formatter):
    def __init__(self, show_context: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.show_context = show_context

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if self.show_context:
            bound = [f"{k}={getattr(record, k)}" for k in _CONTEXT if hasattr(record, k)]
            if bound:
                line += " [" + " ".join(bound) + "]"
        return line


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: getattr(record, k) for k in _CONTEXT if hasattr(record, k)})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure_logging(
    level: str | int = "INFO",
    log_file: str | None = None,
    json_logs: bool = False,
    show_context: bool = True,
) -> None:
    """Send pyworkflow's log records at ``level`` and above to stderr (or ``log_file``),
    as text or JSON lines. An unknown level name raises ``ValueError``."""
    global _handler
    logger = logging.getLogger(ROOT)
    # First, so that a bad level raises before the previous handler is removed.
    logger.setLevel(level.upper() if isinstance(level, str) else level)
    if _handler is not None:
        logger.removeHandler(_handler)
        _handler.close()
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(_Json() if json_logs else _Text(show_context))
    logger.addHandler(handler)
    _handler = handler


def get_logger(name: str | None = None) -> logging.Logger:
    """The ``pyworkflow`` logger, or ``pyworkflow.<name>`` (a name already under
    ``pyworkflow`` is used as it is)."""
    if not name:
        return logging.getLogger(ROOT)
    return logging.getLogger(name if name.split(".")[0] == ROOT else f"{ROOT}.{name}")


def bind_workflow_context(run_id: str, workflow_name: str) -> logging.LoggerAdapter[Any]:
    """A logger whose records carry the run's id and workflow name."""
    return logging.LoggerAdapter(
        get_logger("workflow"), {"run_id": run_id, "workflow_name": workflow_name}
    )


def bind_step_context(run_id: str, step_id: str, step_name: str) -> logging.LoggerAdapter[Any]:
    """A logger whose records carry the run's id and the step's id and name."""
    return logging.LoggerAdapter(
        get_logger("step"), {"run_id": run_id, "step_id": step_id, "step_name": step_name}
    )
