"""Structured logs: one JSON object per line, for log collectors in production."""
import datetime
import json
import logging

from config.security import client_ip

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    """Time (UTC, ISO 8601), level, logger, message, request facts, extras and the traceback, as JSON."""

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name in STANDARD_ATTRIBUTES or name.startswith("_"):
                continue
            if name == "request":
                # Django's request loggers attach the request; its method and path are what an operator needs.
                entry["method"] = getattr(value, "method", None)
                entry["path"] = getattr(value, "path", None)
                if hasattr(value, "META"):
                    # The client as the trusted proxies say, never an address the client made up.
                    entry["client"] = client_ip(value)
                continue
            entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
