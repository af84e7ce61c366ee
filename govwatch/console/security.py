"""The console's defences that do not depend on the web framework: login throttling, masking of
ID and phone numbers, CSRF token comparison, and the response headers.
"""
from __future__ import annotations

import hmac
import re
import threading
import time
from collections import defaultdict, deque

# Content-Security-Policy of every page: scripts only from the console's own static files (no
# inline script, no eval); crawled pages are only ever shown in the sandboxed snapshot frame.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
# A captured page: no script at all (the sandbox directive applies even when opened directly), no
# request anywhere (images inline only), framed only by the console.
SNAPSHOT_CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def tokens_match(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


# ---------------------------------------------------------------------------- masking

# 18-digit resident ID (last character may be X) and mainland mobile numbers, not inside longer
# digit runs. Both patterns are linear (fixed-length runs, no nested quantifiers).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_personal(text: str) -> str:
    """ID numbers and phone numbers with their middle digits hidden (110105********0021, 138****5678)."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


# ---------------------------------------------------------------------------- throttling

class LoginThrottle:
    """Failed logins counted per account name and per client address, in memory: after
    ``max_failures`` within ``lock_seconds`` further attempts are refused until the oldest counted
    failure is ``lock_seconds`` old. A success clears the name's count."""

    def __init__(self, max_failures: int, lock_seconds: float, clock=time.monotonic):
        self.max_failures = max(1, int(max_failures))
        self.lock_seconds = float(lock_seconds)
        self.clock = clock
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, at: float) -> deque:
        q = self._failures[key]
        while q and at - q[0] >= self.lock_seconds:
            q.popleft()
        return q

    def wait_seconds(self, *keys: str) -> float:
        """0 when an attempt is allowed, else the seconds until it is."""
        at = self.clock()
        with self._lock:
            waits = []
            for key in keys:
                q = self._recent(key, at)
                if len(q) >= self.max_failures:
                    waits.append(self.lock_seconds - (at - q[-self.max_failures]))
            return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        at = self.clock()
        with self._lock:
            for key in keys:
                q = self._recent(key, at)
                q.append(at)
                while len(q) > self.max_failures:
                    q.popleft()

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
