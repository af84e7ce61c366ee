"""What every account collector (crawler/spiders/*_account.py) works with: the throttled HTTP
client with per-host spacing and back-off, the collector's context, the result it fills in, and the
error kinds. ``crawler.accounts`` picks a collector per account and applies the results; the
collectors import this module, never ``crawler.accounts``, so the two do not import each other.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from crawler.http import Fetched, fetch, header_value
from crawler.netguard import AddressPolicy, guarded_session
from govwatch.models import Item, Target
from govwatch.store.base import snapshot_key

log = logging.getLogger(__name__)

ERROR_KINDS = {
    "blocked": "被拦截（验证码或环境异常）",
    "rate_limited": "访问受限（限流）",
    "login_expired": "登录状态失效",
    "network": "网络错误",
    "http": "HTTP 错误",
    "parse": "内容无法解析",
    "config": "未配置采集方式",
    "refused": "拒绝访问（非 http/https 或内网地址）",
}
# Kinds that mean the platform is pushing back: the host's request spacing is doubled.
PUSHBACK_KINDS = ("blocked", "rate_limited")
# Platforms that cannot be collected automatically unless a feed or selectors are configured.
UNCOLLECTABLE = ("app", "miniprogram")
WEIBO_HOSTS = ("weibo.cn", "weibo.com")


# --------------------------------------------------------------------------- HTTP

class _Gate:
    """Spacing of requests to one host: at least ``delay`` seconds between two starts."""

    def __init__(self, delay: float):
        self.delay = delay
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            pause = self.next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.next_at = time.monotonic() + self.delay


class Http:
    """A bounded HTTP client shared by the collectors of one run.

    Timeouts, a size cap and retries of network errors come from the ``[crawl]`` settings;
    requests to one host are spaced by ``account_delay`` seconds (``weibo_delay`` for Weibo
    hosts); ``penalize`` doubles a host's spacing after it pushed back (432, 418, 403, 429,
    captcha). ``log`` keeps (url, status or error kind) of every request, for tests and the summary.
    """

    def __init__(self, crawl: dict | None = None, policy: AddressPolicy | None = None):
        crawl = crawl or {}
        # where requests may go (crawler.netguard); crawl_accounts trusts the accounts' own hosts
        self.policy = policy or AddressPolicy()
        self.timeout = float(crawl.get("timeout", 15))
        self.max_bytes = int(crawl.get("max_page_bytes", 5 * 1024 * 1024))
        self.retries = int(crawl.get("retries", 1))
        self.user_agent = str(crawl.get("user_agent") or "govwatch/0.1")
        self.verify = bool(crawl.get("verify_tls", True))
        self.account_delay = float(crawl.get("account_delay", 1.0))
        self.weibo_delay = float(crawl.get("weibo_delay", 3.0))
        self.max_delay = float(crawl.get("max_delay", 60.0))
        self._local = threading.local()
        self._gates: dict[str, _Gate] = {}
        self._lock = threading.Lock()
        self.log: list[tuple[str, object]] = []

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = guarded_session(self.policy, header_value(self.user_agent))
            self._local.session = session
        return session

    def _gate(self, url: str, lane: str) -> _Gate:
        parts = urlsplit(url)
        key = f"{lane}|{(parts.hostname or '').lower()}:{parts.port or ''}"
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = _Gate(self.weibo_delay if lane == "weibo" else self.account_delay)
            return gate

    def penalize(self, url: str, lane: str = "") -> None:
        """Double the spacing of this host (and lane) after it pushed back."""
        gate = self._gate(url, lane)
        with self._lock:
            gate.delay = min(self.max_delay, gate.delay * 2)

    def get(self, url: str, headers: dict | None = None, verify: bool | None = None,
            lane: str = "") -> Fetched:
        """GET ``url``. ``lane`` names the platform (weibo, wechat …): hosts are spaced per lane, so
        one platform's back-off never slows another's even when both sit behind one host."""
        attempts = 1 + max(0, self.retries)
        result = Fetched(url)
        for attempt in range(attempts):
            self._gate(url, lane).wait()
            result = fetch(self._session(), url, timeout=self.timeout, max_bytes=self.max_bytes,
                           verify=self.verify if verify is None else verify, headers=headers)
            with self._lock:
                self.log.append((url, result.status if result.status is not None else result.error_kind))
            retry = result.error_kind == "network" or (result.status or 0) in (500, 502, 503, 504)
            if not retry or attempt == attempts - 1:
                break
            time.sleep(min(2.0, self.account_delay) * (attempt + 1))
        return result

    @property
    def requests(self) -> int:
        return len(self.log)

    def close(self) -> None:
        """Close the sessions of this thread (workers' sessions go with their threads)."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None


# --------------------------------------------------------------------------- one account

@dataclass
class AccountResult:
    """What one collector learnt about one account (built in a worker, applied in the caller)."""
    target: Target
    collector: str
    items: list[Item] = field(default_factory=list)
    timeline_ok: bool = False  # the account's list of posts was read (staleness evidence is valid)
    status: str = "unknown"  # live, gone, unknown
    gone_reason: str = ""
    gone_url: str = ""
    gone_snapshot: str = ""
    followers: int | None = None
    errors: list[dict] = field(default_factory=list)  # kind, error, url, status; timeline-level first
    snapshots: dict[str, bytes] = field(default_factory=dict)
    skipped: str = ""  # why nothing was tried (a platform that cannot be collected automatically)
    pages_broken: bool = False  # the platform refuses every page (client-level block): a failure

    @property
    def failed(self) -> bool:
        """A collector failure: the timeline was not read, or the platform blocks all our pages."""
        return not self.timeline_ok or self.pages_broken

    def fail(self, kind: str, error: str, url: str = "", status: int | None = None) -> None:
        self.errors.append({"kind": kind, "error": error, "url": url, "status": status})

    def fail_fetch(self, fetched: Fetched, what: str) -> None:
        if fetched.error_kind:
            self.fail(fetched.error_kind, f"{what}：{fetched.error}", fetched.url)
        else:
            self.fail("http", f"{what}：HTTP {fetched.status}", fetched.url, fetched.status)

    def snapshot(self, raw: bytes) -> str:
        key = snapshot_key(raw)
        self.snapshots[key] = raw
        return key

    def gone(self, reason: str, url: str) -> None:
        self.status, self.gone_reason, self.gone_url = "gone", reason, url
        self.gone_snapshot = next(reversed(self.snapshots), "")  # the page that said so
        self.timeline_ok = True  # the platform answered: the account's state is known


@dataclass
class Context:
    """What a collector may use: the HTTP client, the time, settings and what is already stored."""
    http: Http
    now: datetime
    crawl: dict
    known: dict[str, tuple[str, str, str]]  # item signatures of this target (url → hash, validator, title)
    throttled: "Throttle"


class Throttle:
    """Hosts that keep pushing back within one run: after ``limit`` accounts in a row were refused,
    the remaining accounts on that host are not tried this run (recorded as the same error)."""

    def __init__(self, limit: int = 3):
        self.limit = limit
        self.strikes: dict[str, int] = {}
        self.lock = threading.Lock()

    @staticmethod
    def host(url: str) -> str:
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or ''}"

    def refused(self, url: str) -> None:
        with self.lock:
            key = self.host(url)
            self.strikes[key] = self.strikes.get(key, 0) + 1

    def answered(self, url: str) -> None:
        with self.lock:
            self.strikes[self.host(url)] = 0

    def closed(self, url: str) -> bool:
        with self.lock:
            return self.strikes.get(self.host(url), 0) >= self.limit
