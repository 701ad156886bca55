"""Structured logging: events with fields, rendered as one JSON object per line.

Callers pass identifiers (membership ids, refs), never personal data; see tests for the leak checks.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

# uvicorn adds an ANSI-coloured copy of each message for its own console formatter.
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


WHERE_FRAMES = 12  # the innermost frames of a logged exception's traceback


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where it was raised, never its text or any variable:
            # exception texts can carry data we do not control.
            payload["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])[-WHERE_FRAMES:]
            payload["where"] = [f"{f.filename}:{f.lineno} {f.name}" for f in frames]
        return json.dumps(payload, default=str, ensure_ascii=False)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """Logging for the server and worker processes: every logger's lines through
    ``JsonFormatter`` - uvicorn's (an unhandled exception in a request), APScheduler's (in a job)
    and any library's - so no exception text reaches the log, only its type. For uvicorn's
    ``log_config`` and ``logging.config.dictConfig``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("supportline", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(level: int = logging.INFO) -> None:
    """Our events as JSON on stderr, unless the process logs everything so already
    (``log_config``)."""
    if any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers):
        return
    root = logging.getLogger("supportline")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = True


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"supportline.{name}")
