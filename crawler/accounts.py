"""New-media account collection: feeds, WeChat article pages, Weibo and selector-configured pages.

``crawl_accounts`` is what ``govwatch crawl --kind accounts`` runs. For every account it picks a
collector (crawler/spiders/*_account.py):

- ``feed``: the target has ``feed_url`` (RSS 2.0, Atom, JSON Feed from RSSHub, wewe-rss,
  we-mp-rss …); WeChat links in it are fetched and parsed for the full text and exact time;
- ``weibo``: platform ``weibo`` with a uid (``account_id`` or ``/u/UID`` in ``url``);
- ``wechat``: platform ``wechat`` with a list of article URLs in ``crawl["urls"]``;
- ``generic``: ``crawl["selectors"]`` (item, title, link, date, optional followers) on the
  account page, for platforms without a feed.

Why requests and threads rather than Scrapy here: an account crawl is a few requests per account
against a handful of platform hosts that throttle hard, so what matters is strict per-host
spacing and back-off, not throughput; and it runs in any process (``govwatch crawl --kind all``
runs the website crawl's reactor first, which cannot be restarted) and in tests without a
subprocess. Workers only fetch and parse; the store is used from the calling thread alone.

Collector health (DESIGN.md section 4, ``collector.error``):
- a target's crawl *fails* when its timeline (feed, profile/timeline, URL list, account page) could
  not be read: ``status`` becomes ``unknown``, ``consecutive_failures`` grows, ``error_kind`` and
  ``last_crawl_error`` say why, and ``last_crawl_ok_at`` and ``last_published_at`` do not move;
  nothing is stored, so no staleness can follow from a failed fetch;
- page-level trouble while the timeline was read (one WeChat article behind 环境异常, a long text
  that would not load) is not a failure: the timeline is good evidence, ``last_crawl_ok_at``
  moves, ``consecutive_failures`` and ``error_kind`` are cleared and ``last_crawl_error`` says
  "部分页面未能采集…" (scanner.timeline reads any error kind as "cannot judge", which would hide a
  stale account behind one bad page);
- except when the platform blocks every page (``crawl.wechat_blocked_limit`` blocked pages in a
  row): texts are no longer scanned, the admin must act, so that counts as a failure of kind
  ``blocked`` (items read from the feed are still stored);
- after ``alerts.collector_failures`` (default 3) failures in a row a ``collector.error`` finding
  (severity ``info``) is recorded; the alert policy routes that rule to the admins only, never to
  the office. When the collector recovers, the open finding is proposed as rectified.

Account status: ``gone`` only when the platform itself says the account is deleted, banned or
does not exist (an ``account.gone`` finding, high); a feed bridge failing is never evidence of
that. Follower counts are kept in ``target.followers`` where the page shows them.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from crawler.http import Fetched, fetch, header_value
from crawler.netguard import AddressPolicy, guarded_session
from govwatch.interrupt import Interrupted, interruptible, interrupted_stats, reason_text
from govwatch import rules as catalogue
from govwatch.models import Hit, Item, Target, now as utc_now
from govwatch.store import FindingFilter
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
OPEN = ("open", "confirmed", "rectifying")
GONE_RULE = "account.gone"
COLLECTOR_RULE = "collector.error"
DEFAULT_FAILURES = 3
MAX_WORKERS = 8
RUN_JOB = "crawl.accounts"


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


def choose_collector(target: Target) -> str:
    """feed, weibo, wechat, generic, or "" when the target cannot be collected as configured."""
    crawl = target.crawl or {}
    if target.feed_url:
        return "feed"
    if target.platform == "weibo":
        from crawler.spiders.weibo_account import weibo_uid
        if weibo_uid(target):
            return "weibo"
    if target.platform == "wechat" and crawl.get("urls"):
        return "wechat"
    if crawl.get("selectors") and (crawl.get("list_url") or target.url):
        return "generic"
    return ""


def collect(target: Target, ctx: Context) -> AccountResult:
    """Run the collector of ``target``; never raises (a collector bug becomes a ``parse`` error)."""
    kind = choose_collector(target)
    result = AccountResult(target, kind or "none")
    try:
        if kind == "feed":
            from crawler.spiders.feed_account import collect_feed
            return collect_feed(target, ctx, result)
        if kind == "weibo":
            from crawler.spiders.weibo_account import collect_weibo
            return collect_weibo(target, ctx, result)
        if kind == "wechat":
            from crawler.spiders.feed_account import collect_wechat_urls
            return collect_wechat_urls(target, ctx, result)
        if kind == "generic":
            from crawler.spiders.generic_account import collect_generic
            return collect_generic(target, ctx, result)
    except Exception as exc:  # one broken page must not stop the other accounts
        log.exception("collector %s failed on %s", kind, target.id)
        result.timeline_ok = False
        result.items = []
        result.fail("parse", f"采集程序出错：{type(exc).__name__}: {str(exc)[:200]}")
        return result
    if target.platform in UNCOLLECTABLE:
        result.skipped = "该平台无法自动采集（可配置订阅源或选择器）"
    else:
        result.fail("config", "未配置采集方式：请填写订阅源地址（feed_url）、微博 UID 或页面选择器（crawl.selectors）")
    return result


# --------------------------------------------------------------------------- applying results

@dataclass
class AccountsReport:
    """What ``crawl_accounts`` did; ``str()`` is the Chinese summary the CLI prints."""
    accounts: int = 0
    by_collector: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    stats: dict = field(default_factory=dict)
    ok: list[str] = field(default_factory=list)
    gone: dict[str, str] = field(default_factory=dict)  # target id → reason
    failed: dict[str, dict] = field(default_factory=dict)  # target id → first error
    degraded: dict[str, dict] = field(default_factory=dict)  # timeline read, pages failed
    skipped: dict[str, str] = field(default_factory=dict)
    findings_new: int = 0
    elapsed: float = 0.0

    def summary(self) -> str:
        s = self.stats
        names = {"feed": "订阅源", "weibo": "微博", "wechat": "微信文章列表", "generic": "页面选择器",
                 "none": "未配置"}
        parts = "、".join(f"{names.get(k, k)} {v}" for k, v in sorted(self.by_collector.items()))
        kinds: dict[str, int] = {}
        for err in self.failed.values():
            kinds[err["kind"]] = kinds.get(err["kind"], 0) + 1
        kind_text = "、".join(f"{ERROR_KINDS.get(k, k)} {n}" for k, n in sorted(kinds.items()))
        lines = [
            f"账号采集完成：账号 {self.accounts} 个（{parts or '无'}），请求 {self.requests} 次，用时 {self.elapsed:.1f} 秒；"
            f"新信息 {s.get('items_new', 0)} 条，修改 {s.get('items_changed', 0)} 条，未变 {s.get('items_unchanged', 0)} 条；"
            f"扫描 {s.get('scanned', 0)} 条；新发现问题 {self.findings_new} 个；"
            f"账号已注销或不存在 {len(self.gone)} 个；采集失败 {len(self.failed)} 个"
            + (f"（{kind_text}）" if kind_text else "") + "。"]
        for tid, reason in sorted(self.gone.items()):
            lines.append(f"  - {tid}：账号已注销、被封禁或不存在（{reason}）")
        for tid, err in sorted(self.failed.items()):
            lines.append(f"  - {tid}：采集失败，{ERROR_KINDS.get(err['kind'], err['kind'])}：{err['error']}"
                         "（不作为账号未更新的依据）")
        for tid, err in sorted(self.degraded.items()):
            lines.append(f"  - {tid}：部分页面未能采集，{ERROR_KINDS.get(err['kind'], err['kind'])}：{err['error']}")
        for tid, why in sorted(self.skipped.items()):
            lines.append(f"  - {tid}：跳过，{why}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _gone_hit(result: AccountResult) -> Hit:
    target = result.target
    from govwatch.models import PLATFORM_LABELS

    label = PLATFORM_LABELS.get(target.platform, target.platform)
    return Hit(rule=GONE_RULE, category=catalogue.label(GONE_RULE), severity=catalogue.severity(GONE_RULE), field="page",
               match=result.gone_reason[:60], url=result.gone_url or target.url,
               detail=f"{label}账号“{target.name}”的页面显示：{result.gone_reason}",
               suggestion=catalogue.measure_text(GONE_RULE))


def _collector_hit(target: Target, failures: int, kind: str, error: str, url: str) -> Hit:
    return Hit(rule=COLLECTOR_RULE, category="采集异常", severity="info", field="page", url=url,
               detail=f"连续 {failures} 次采集失败（{ERROR_KINDS.get(kind, kind)}）：{error}",
               suggestion="检查订阅源（桥接服务）、登录状态、访问频率或页面选择器；采集失败期间不判定账号未更新")


def _reopen_or_record(store, pairs, at, deadline_days, evidence=None):
    """Record item-less hits. A finding of the same fingerprint that was rectified or closed comes
    back as open (the problem is back, which a plain upsert would not do), its alert mark cleared
    so that it is announced again like a new finding."""
    from crawler.ingest import record_hits
    from govwatch.models import Finding

    reopened = []
    for _, tid, hit in pairs:
        fid = Finding.from_hit(hit, target_id=tid).id
        old = store.get_finding(fid)
        if old is not None and old.status in ("rectified", "closed"):
            store.transition_finding(fid, "open", by="system", note="复查再次发现该问题", at=at)
            store.update_finding(fid, alerted_at=None)
            reopened.append(fid)
    stats = record_hits(store, pairs, at=at, deadline_days=deadline_days, evidence=evidence)
    stats.new_findings.extend(f for f in (store.get_finding(fid) for fid in reopened) if f is not None)
    return stats


def _rectify(store, target_id: str, rule: str, note: str, at: datetime, evidence: dict) -> int:
    count = 0
    for f in store.list_findings(FindingFilter(target_id=target_id, status=OPEN, rule_prefix=rule)):
        if f.rule != rule:
            continue
        store.transition_finding(f.id, "rectified", by="system", note=note, at=at, evidence=evidence)
        count += 1
    return count


class _Applier:
    """Writes collector results into the store (calling thread only)."""

    def __init__(self, settings, store, lexicon, on_findings, ignore, at: datetime):
        from crawler.ingest import IngestStats, Ingestor

        self.store = store
        self.at = at
        self.deadline_days = getattr(settings, "deadlines_days", None) if settings else None
        alerts = (getattr(settings, "alerts", None) or {}) if settings else {}
        self.failures_limit = int(alerts.get("collector_failures") or DEFAULT_FAILURES)
        self.ingestor = Ingestor(store, lexicon, self.deadline_days, ignore=ignore,
                                 thresholds=getattr(settings, "thresholds", None) if settings else None)
        self.ignore = ignore
        self.on_findings = on_findings
        self.stats = IngestStats()

    def _ignored(self, target_id: str, hit: Hit) -> bool:
        if not self.ignore:
            return False
        try:
            return bool(self.ignore(None, hit, target_id=target_id))
        except TypeError:
            return bool(self.ignore(None, hit))

    def _announce(self, findings) -> None:
        if findings and self.on_findings:
            try:
                self.on_findings(self.store, findings)
            except Exception:  # an alerting failure must never lose collected data
                log.exception("on_findings callback failed")

    def apply(self, result: AccountResult, report: AccountsReport) -> None:
        target = self.store.get_target(result.target.id) or result.target
        at = self.at
        if result.skipped:
            report.skipped[target.id] = result.skipped
            return
        for key, raw in result.snapshots.items():
            self.store.put_snapshot(raw)
        if result.timeline_ok and result.items:
            part = self.ingestor.ingest(result.items, at=at)
            self.stats.add(part)
            report.findings_new += len(part.new_findings)
            self._announce(part.new_findings)
        evidence = {"fetched_at": at.isoformat()}
        gone_snapshot = result.gone_snapshot
        if result.status == "gone":
            report.gone[target.id] = result.gone_reason
            hit = _gone_hit(result)
            if not self._ignored(target.id, hit):
                part = _reopen_or_record(self.store, [(None, target.id, hit)], at, self.deadline_days,
                                         evidence={**evidence, "snapshot": gone_snapshot} if gone_snapshot else evidence)
                self.stats.add(part)
                report.findings_new += len(part.new_findings)
                self._announce(part.new_findings)
        elif result.timeline_ok and result.status == "live":
            self.stats.rectified += _rectify(self.store, target.id, GONE_RULE, "账号恢复访问", at,
                                             {**evidence, "url": target.url})

        state: dict = {"last_crawl_at": at, "crawl_errors": [
            {k: e.get(k) for k in ("url", "kind", "status", "error")} for e in result.errors[:50]]}
        if result.timeline_ok:
            state["last_crawl_ok_at"] = at
            state["status"] = result.status if result.status in ("live", "gone") else "live"
        else:
            state["status"] = "unknown"
        if result.followers is not None:
            state["followers"] = result.followers
        first = result.errors[0] if result.errors else None
        if result.failed:
            first = first or {"kind": "parse", "error": "采集失败（原因不明）", "url": ""}
            failures = (target.consecutive_failures or 0) + 1
            state.update(consecutive_failures=failures, error_kind=first["kind"], last_crawl_error=first["error"])
            report.failed[target.id] = first
            self.store.update_target_state(target.id, **state)  # an admin alert reads the new state
            if failures >= self.failures_limit:
                hit = _collector_hit(target, failures, first["kind"], first["error"],
                                     first.get("url") or target.feed_url or target.url)
                if not self._ignored(target.id, hit):
                    part = _reopen_or_record(self.store, [(None, target.id, hit)], at, self.deadline_days)
                    self.stats.add(part)
                    report.findings_new += len(part.new_findings)
                    self._announce(part.new_findings)
            return
        # the timeline was read: page-level trouble is reported, but is not a collector failure
        note = f"部分页面未能采集（{len(result.errors)} 处）：{first['error']}" if first else ""
        state.update(consecutive_failures=0, error_kind="", last_crawl_error=note)
        if first:
            report.degraded[target.id] = first
        if target.consecutive_failures:
            self.stats.rectified += _rectify(self.store, target.id, COLLECTOR_RULE, "采集恢复正常", at,
                                             {**evidence, "url": target.feed_url or target.url})
        if result.status != "gone":
            report.ok.append(target.id)
        self.store.update_target_state(target.id, **state)


def crawl_accounts(settings, store, accounts: list[Target], *, lexicon=None, on_findings=None, ignore=None,
                   now: datetime | None = None, http: Http | None = None) -> AccountsReport:
    """Collect every account in ``accounts`` into ``store`` and update their state.

    Returns an :class:`AccountsReport`; ``str(report)`` is the Chinese summary. ``now`` fixes the
    clock (relative dates such as 昨天 are read against it); ``http`` lets a caller share or inspect
    the client.
    """
    t0 = time.monotonic()
    at = now or utc_now()
    crawl = dict(getattr(settings, "crawl", None) or {}) if settings is not None else {}
    http = http or Http(crawl)
    http.policy.trust(accounts, crawl.get("trusted_hosts") or ())
    report = AccountsReport(accounts=len(accounts))
    applier = _Applier(settings, store, lexicon, on_findings, ignore, at)
    throttle = Throttle(int(crawl.get("host_refusals", 3)))
    jobs = []
    for target in accounts:
        kind = choose_collector(target) or "none"
        report.by_collector[kind] = report.by_collector.get(kind, 0) + 1
        known = store.item_signatures(target.id) if kind != "none" else {}
        jobs.append((target, Context(http, at, crawl, known, throttle)))
    workers = max(1, min(MAX_WORKERS, int(crawl.get("account_workers", crawl.get("concurrency", 4))), len(jobs) or 1))
    run = store.start_run(RUN_JOB, at=at)
    applied = 0
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="account")
    try:
        with interruptible():
            futures = [pool.submit(collect, target, ctx) for target, ctx in jobs]
            for future in as_completed(futures):
                result = future.result()
                applier.apply(result, report)
                applied += 1
                result.snapshots.clear()  # stored: let the bytes go while other accounts are collected
                result.items.clear()
    except Interrupted as exc:
        # accounts applied so far were collected completely; the others are untouched (no failure
        # counted, nothing judged) and the next round collects them
        pool.shutdown(wait=False, cancel_futures=True)
        report.stats = applier.stats.as_dict()
        store.finish_run(run, ok=False, error=f"账号采集被中断：{exc.reason}", stats=interrupted_stats(
            exc.reason, **_counts(report.stats), accounts=len(accounts), collected=applied))
        raise Interrupted(exc.reason, f"账号采集被中断（{reason_text(exc.reason)}）：已完成 {applied}/{len(accounts)} 个账号，"
                                      f"其余账号保持原状，下次采集补全。") from None
    pool.shutdown()
    report.stats = applier.stats.as_dict()
    report.requests = http.requests
    report.elapsed = time.monotonic() - t0
    store.finish_run(run, ok=True, stats={**_counts(report.stats), "status": "completed", "accounts": len(accounts),
                                          "collected": applied})
    return report


def _counts(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if isinstance(v, (int, float))
            and k not in ("accounts", "collected", "status", "reason")}
