"""Interrupted runs: SIGINT and SIGTERM as an exception the run can record before it stops.

A run (probe round, recheck, account round; the website crawl has Scrapy's own graceful stop)
either completes, and then judges, or is interrupted, and then records what it did, judges nothing
from absence and leaves the rest to the next run. ``interruptible()`` turns SIGINT and SIGTERM (the
scheduler's timeout and shutdown) into ``Interrupted`` in the main thread; the command line prints
its Chinese message and exits with ``EXIT_CODE``. Imports nothing of the project.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

EXIT_CODE = 3
REASONS = {"SIGINT": "收到中断信号（Ctrl-C）", "SIGTERM": "收到终止信号（超时或服务停止）"}


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal. ``reason``: SIGINT, SIGTERM …; ``message``: Chinese, for the user."""

    def __init__(self, reason: str = "SIGINT", message: str = ""):
        super().__init__(message or reason)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message or f"已中断（{reason_text(self.reason)}）"


def reason_text(reason: str) -> str:
    return REASONS.get(reason, reason or "未知原因")


def interrupted_stats(reason: str, **done) -> dict:
    """The stats of a run record for an interrupted run: its status, why, and what was done."""
    return {"status": "interrupted", "reason": reason, **done}


@contextmanager
def interruptible():
    """Within the block, SIGINT and SIGTERM raise ``Interrupted`` in the main thread (elsewhere a
    no-op: only the main thread can install handlers). The previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
