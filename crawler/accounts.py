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

Collector health (``collector.error``):
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
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

from crawler.collector import (  # noqa: F401  (re-exported for the collectors' callers)
    ERROR_KINDS, PUSHBACK_KINDS, UNCOLLECTABLE, WEIBO_HOSTS, AccountResult, Context, Http, Throttle,
)
from govwatch.interrupt import Interrupted, interruptible, interrupted_stats, reason_text
from govwatch import rules as catalogue
from govwatch.lifecycle import deadline_days, rectify_rule, reopen_or_record
from govwatch.models import Hit, Target, now as utc_now

log = logging.getLogger(__name__)

GONE_RULE = "account.gone"
COLLECTOR_RULE = "collector.error"
DEFAULT_FAILURES = 3
MAX_WORKERS = 8
RUN_JOB = "crawl.accounts"


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


class _Applier:
    """Writes collector results into the store (calling thread only)."""

    def __init__(self, settings, store, lexicon, on_findings, ignore, at: datetime):
        from crawler.ingest import IngestStats, Ingestor

        self.store = store
        self.at = at
        self.deadline_days = deadline_days(settings)
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
                part = reopen_or_record(self.store, [(None, target.id, hit)], at, self.deadline_days,
                                         evidence={**evidence, "snapshot": gone_snapshot} if gone_snapshot else evidence)
                self.stats.add(part)
                report.findings_new += len(part.new_findings)
                self._announce(part.new_findings)
        elif result.timeline_ok and result.status == "live":
            self.stats.rectified += rectify_rule(self.store, target.id, GONE_RULE, "账号恢复访问", at,
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
                    part = reopen_or_record(self.store, [(None, target.id, hit)], at, self.deadline_days)
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
            self.stats.rectified += rectify_rule(self.store, target.id, COLLECTOR_RULE, "采集恢复正常", at,
                                             {**evidence, "url": target.feed_url or target.url})
        if result.status != "gone":
            report.ok.append(target.id)
        self.store.update_target_state(target.id, **state)


def crawl_accounts(settings, store, accounts: list[Target], *, lexicon=None, on_findings=None, ignore=None,
                   now: datetime | None = None, http: Http | None = None, on_account=None) -> AccountsReport:
    """Collect every account in ``accounts`` into ``store`` and update their state.

    Returns an :class:`AccountsReport`; ``str(report)`` is the Chinese summary. ``now`` fixes the
    clock (relative dates such as 昨天 are read against it); ``http`` lets a caller share or inspect
    the client. ``on_account(target, result)`` is called after each account is stored (progress).
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
                if on_account is not None:
                    on_account(result.target, result)
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
