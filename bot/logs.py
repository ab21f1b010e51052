"""How the processes log: readable lines (the default) or, with HOGO_LOG_FORMAT=json, one JSON object per line
for a log collector. Either way My Numbers are masked in every record (bot.privacy) and the lines written while
a web request is handled carry its request id.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from bot.privacy import install_log_masking, mask_my_numbers
from bot.settings import Settings

# The web request being handled (request_id, method, path), set by bot.web.access for its duration.
current_request: ContextVar[dict[str, str] | None] = ContextVar("hogo_request", default=None)
FIELDS = ("request_id", "method", "path", "status", "ms")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, then request_id, method and path when a request is being handled, and
    status and ms on the line that ends it; an exception's traceback under ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(current_request.get() or {})
        for name in FIELDS:  # given with extra= (the access line): they win
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        # The record's message and arguments are masked where the record is made; the fields are masked here.
        return json.dumps({k: mask_my_numbers(v)[0] if isinstance(v, str) else v for k, v in entry.items()},
                          ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Text lines: ``[request id]`` after the level while a request is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        record.request_tag = f" [{request['request_id']}]" if request else ""
        return True


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's records at HOGO_LOG_LEVEL to ``stream`` (stderr) in HOGO_LOG_FORMAT; replaces the
    root logger's handlers. Returns the handler."""
    install_log_masking()
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s%(request_tag)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler
