"""Structured logs: one JSON object per line, to stderr and to a rotating file under var/logs/.

Extra fields passed with ``logger.info("...", extra={"job": "probe", ...})`` become keys of the line.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import datetime
from pathlib import Path

from govwatch.models import TZ
from govwatch.redact import RedactingFilter, register_settings

_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, TZ).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info or record.exc_text:
            # exc_text first: the redacting filter leaves the masked traceback there
            line["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def teardown_logging() -> None:
    """Remove the handlers ``setup_logging`` added."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_govwatch", False):
            root.removeHandler(h)
            h.close()


def log_path(settings) -> Path:
    return settings.var_path / settings.data.get("logging", {}).get("file", "logs/govwatch.log")


def setup_logging(settings, stream=None) -> Path:
    """Route the root logger to stderr and the rotating file; returns the file's path."""
    cfg = settings.data.get("logging", {})
    path = log_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    teardown_logging()
    root = logging.getLogger()
    fmt = JsonFormatter()
    handlers = [logging.StreamHandler(stream) if stream else StderrHandler(),
                logging.handlers.RotatingFileHandler(path, maxBytes=int(cfg.get("max_bytes", 10 * 1024 * 1024)),
                                                     backupCount=int(cfg.get("backups", 5)), encoding="utf-8")]
    register_settings(settings)
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactingFilter())  # webhook tokens and SMTP credentials never reach a log
        h._govwatch = True
        root.addHandler(h)
    root.setLevel(getattr(logging, str(cfg.get("level", "INFO")).upper(), logging.INFO))
    # APScheduler's own chatter (every wakeup) stays out unless debugging
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
    return path
