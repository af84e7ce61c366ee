"""Secrets never leave settings: the one masking function for logs, alert-log records and messages.

Masked wherever they appear in text:
- URL query parameters that carry credentials (``access_token``, ``token``, ``key``, ``secret``,
  ``sign``, ``password`` …: 钉钉/企业微信/飞书 robot URLs put their token there);
- a signing secret in a URL fragment (``#secret=SEC…``) and bare 钉钉 ``SEC…`` secrets;
- a ``user:password@`` part of any URL;
- every value registered with ``register`` (the SMTP password and user, the Weibo cookie: see
  ``register_settings``), wherever it shows up verbatim.

``redact_data`` walks dicts and lists (an alert-log event) and masks every string in them.
``RedactingFilter`` is a logging filter doing the same to every record's message and arguments.
Imports nothing of the project.
"""
from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_PARAM = re.compile(
    r"(?i)([?&#;](?:access_token|accesstoken|token|key|secret|sign|signature|password|passwd|pwd|ticket|"
    r"auth|authorization|api_key|apikey|client_secret)=)[^&#\s\"'<>]*")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}://)[^/@\s:\"'<>]{1,256}:[^/@\s\"'<>]{1,256}@")
_DINGTALK_SECRET = re.compile(r"\bSEC[0-9a-f]{32,128}\b")
_HOOK_PATH = re.compile(r"(?i)(open\.(?:feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/)[A-Za-z0-9-]{8,}")

_known: set[str] = set()
_lock = threading.Lock()


def register(*values) -> None:
    """Mask these exact values from now on (short values are ignored: they would mask words)."""
    with _lock:
        _known.update(str(v) for v in values if v and len(str(v)) >= 4)


def register_settings(settings) -> None:
    """Register the credentials a Settings object holds (SMTP user and password, the Weibo cookie)."""
    data = getattr(settings, "data", settings) or {}
    smtp = data.get("smtp", {}) or {}
    crawl = data.get("crawl", {}) or {}
    register(smtp.get("password"), smtp.get("user"), crawl.get("weibo_cookie"))


def redact(text) -> str:
    """``text`` with every credential masked (non-strings are returned as they are)."""
    if not isinstance(text, str) or not text:
        return text
    out = _PARAM.sub(lambda m: m.group(1) + MASK, text)
    out = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", out)
    out = _DINGTALK_SECRET.sub(MASK, out)
    out = _HOOK_PATH.sub(lambda m: m.group(1) + MASK, out)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in out:
            out = out.replace(value, MASK)
    return out


def redact_data(value):
    """Dicts, lists and tuples with every string in them masked."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Masks credentials in a log record's message, arguments and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is left to the handler's own error path
            return True
        masked = redact(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, (str, dict, list)):
                setattr(record, key, redact_data(value))
        return True


_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


def install_logging_filter(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (the root logger by default)."""
    logger = logger or logging.getLogger()
    handlers = list(logger.handlers)
    if logging.lastResort is not None:  # what prints warnings when no handler is configured (the CLI)
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
