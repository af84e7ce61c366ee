"""Timeline rules: stale homepages and columns, stale / zombie / empty accounts, backdated and
future-dated items, late reprints.

Pure functions: they get a target, the per-column publication state kept at ingest (objects with
``column``, ``last_published_at`` and ``items``, such as ``govwatch.store.ColumnState``), the
collector health carried by the target, "now", and for a few rules some items or publication
times. They never read the store; ``govwatch.detection`` feeds them every night.

Day convention (all staleness rules)
------------------------------------
Days are Asia/Shanghai calendar days. For a last publication at ``p`` and a judgment at ``now``::

    days_since = local_date(now) - local_date(p)        # an integer, never below 0

The time of day does not matter: anything published on 2026-11-01 (00:00 or 23:59 Beijing time)
has ``days_since == 14`` on every moment of 2026-11-15. A limit of N days is kept while
``days_since <= N`` and broken when ``days_since > N``: the target is over the limit once neither
today nor any of the N calendar days before today carried a publication. Today, still in
progress when the nightly job runs at 02:00, never counts against anybody: an account that posts
every Monday keeps a 7-day rule, and a homepage last updated on 11-01 is 单项否决 from 11-16
(day 15), not on 11-15 (day 14). With the defaults:

* accounts, 图文 (7 days): 6 and 7 days 即将超期 (warning above 80 % of the limit, i.e. > 5.6),
  8 days 超期 (``account.stale``); 音视频 (10 days): 9-10 即将超期, 11 超期;
* 14-day veto (``account.stale_veto``, ``site.homepage_stale``): 13 and 14 days kept (12-14 warn
  for the homepage), 15 days 单项否决;
* 90 days: 90 is still 单项否决, 91 is 僵尸候选 (``account.zombie``);
* 365 days: 365 is still 僵尸候选, 366 is 僵尸;
* columns: 动态要闻 14 (warn from 12), 通知公告 / 政策文件 180 (warn from 145), 概况 365 (warn
  from 293); a registered ``max_gap_days`` replaces its kind's limit.

The warning band is ``ratio * N < days_since <= N`` (``column_warn_ratio``, default 0.8). Only
columns raise a warning finding (``site.column_stale`` at severity info); for the
homepage and accounts 即将超期 is a status in the report, not a finding.

Durations that compare two instants we own are not calendar days: a reprint is on time when it is
published no later than exactly ``reprint_hours`` (12 h) after the upstream item (12 h 00 min is on
time, 12 h 01 min late); an item is backdated when first seen more than ``backdated_days`` x 24 h
after its stated time; a date is in the future when it is more than
``future_date_tolerance_minutes`` after the fetch.

A time stated only to the month (``Item.published_at_precision == "month"``, stored as the first
of the month) is read conservatively: for backdating at the last moment of its month, for future
dates at its first; the finding says the date names only a month. For staleness the store keeps
such an item's column and target at the last moment of its month, never later than the item was
first seen (``Item.freshest_published_at``). An upstream item dated only by
its month starts no reprint clock, and a reprint dated only by its month counts at the moment of
its month most in its favour.

Unknown is not stale
--------------------
When the collector failed last time (``consecutive_failures > 0`` or ``error_kind`` set), when the
target was never crawled successfully and holds no item, or when the last good crawl is older than
``crawl_max_age_hours``, the verdict is 未知 with the collector's error, and no staleness finding is
raised. What we know (last update, days since) is still reported.

Homepage
--------
The website spider records the items listed on the homepage in the column ``首页``
(``crawler.spiders.site.HOMEPAGE_COLUMN``); the homepage's freshness is that column's newest
publication (``target.rules["homepage_columns"]`` may name other columns). A site without such a
column is judged on its newest publication anywhere: 19号 applies the homepage test to the second
level pages when the homepage is only a navigation portal.

Columns
-------
Registered columns (``target.columns``) are joined with the column states by name. A registered
column without state or items is ``site.column_empty``; one whose items all lack a date is
``site.undated`` and, where its kind has a limit, stale ("未注明信息发布时间的视为不更新"). Without
registered columns, discovered columns (states named like 动态 / 通知 / 政策 / 概况) are judged
by the kind their name suggests. At ``column_stale_veto_count`` (5) stale columns, or
``column_empty_veto_count`` (5) blank columns, their findings become veto.

Thresholds
----------
``settings.thresholds`` (``govwatch.settings.DEFAULTS``), then ``by_platform[platform]``, then
``by_content_type[content_type]``, then any threshold named in ``target.rules`` (for example
``{"account_stale_days": 3, "column_stale_days": {"notice": 90}}``). Rules listed in
``target.rules["disabled"]`` are not raised.

Reprints
--------
A subordinate account names its upstream feeds in ``target.rules["reprint_from"]``: a target id,
a list of ids, or ``{"target": id, "column": "要闻"}`` entries (only that column of the upstream).
Every upstream item published in the last ``reprint_lookback_hours`` whose 12 hours have passed
must have a reprint: an item of the subordinate, published no earlier than 24 h before the upstream
item, whose normalised title (NFKC, lower case, reprint markers such as 【转载】 / 转发： dropped,
punctuation and spaces removed) equals or contains the upstream's, or has a
``difflib.SequenceMatcher`` ratio of at least ``reprint_similarity`` (0.8).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Iterable

from govwatch.models import (
    CONTENT_TYPE_LABELS, HOMEPAGE_COLUMN, TZ, UTC, Hit, Item, Target, aware, discovered_column_kind, fmt_local,
    latest_instant,
)
from govwatch import rules as catalogue
from govwatch.settings import DEFAULTS

STATUS_OK = "正常"
STATUS_WARN = "即将超期"
STATUS_STALE = "超期"
STATUS_VETO = "单项否决"
STATUS_ZOMBIE_CANDIDATE = "僵尸候选"
STATUS_ZOMBIE = "僵尸"
STATUS_EMPTY = "空壳"
STATUS_UNKNOWN = "未知"
STATUSES = (STATUS_OK, STATUS_WARN, STATUS_STALE, STATUS_VETO, STATUS_ZOMBIE_CANDIDATE, STATUS_ZOMBIE,
            STATUS_EMPTY, STATUS_UNKNOWN)
# how serious a known status is ("worst of" several scopes); unknown overrides everything
STATUS_RANK = {s: i for i, s in enumerate(STATUSES[:-1])}

ACCOUNT_SCOPE = ""
REPRINT_SCOPE = "*转载"
UNTIMED_PLATFORMS = ("app", "miniprogram")  # no post stream to judge

ZOMBIE_CANDIDATE_CATEGORY = "疑似僵尸账号"
# rules judged nightly from the column states; a target that publishes again clears them
STALENESS_RULES = ("site.homepage_stale", "site.column_stale", "site.column_empty", "site.undated",
                   "account.stale", "account.stale_veto", "account.zombie", "account.empty")
NIGHTLY_RULES = STALENESS_RULES + ("timeline.reprint_late",)
INGEST_RULES = ("timeline.backdated", "timeline.future_date")

ERROR_KIND_LABELS = {
    "blocked": "被拦截（验证码或环境异常）", "rate_limited": "被限流", "login_expired": "登录失效",
    "network": "网络错误", "http": "HTTP 错误",
}
COLUMN_KIND_LABELS = {"news": "动态要闻", "notice": "通知公告", "policy": "政策文件", "overview": "概况信息",
                      "interaction": "互动交流", "other": "其他"}


# ----------------------------------------------------------------------------- days

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Asia/Shanghai is UTC+8 without daylight saving since 1992; before that use the zone database
_FIXED_OFFSET_FROM = datetime(1992, 1, 1, tzinfo=UTC).timestamp()


def local_day_number(dt: datetime) -> int:
    """Ordinal of the Asia/Shanghai calendar date of ``dt`` (naive means UTC, as in models)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    stamp = dt.timestamp()
    if stamp >= _FIXED_OFFSET_FROM:
        return int((stamp + 28800) // 86400) + _EPOCH_ORDINAL
    return dt.astimezone(TZ).date().toordinal()


_TODAY: list = [None, 0]


def _today(now: datetime) -> int:
    """``local_day_number(now)``, remembered for the last ``now`` (a run judges all at one now)."""
    if _TODAY[0] is not now:
        _TODAY[1] = local_day_number(now)
        _TODAY[0] = now
    return _TODAY[1]


def days_between(earlier: datetime | None, later: datetime) -> int | None:
    """Calendar days from ``earlier`` to ``later`` in Asia/Shanghai, never below 0."""
    if earlier is None:
        return None
    return max(0, local_day_number(later) - local_day_number(earlier))


_DAY_TEXT: dict[int, str] = {}


def _day(dt: datetime | None) -> str:
    """YYYY-MM-DD of ``dt`` in Beijing time ("无" for none); cached, hits repeat few dates."""
    if dt is None:
        return "无"
    n = local_day_number(dt)
    text = _DAY_TEXT.get(n)
    if text is None:
        text = _DAY_TEXT[n] = date.fromordinal(n).isoformat()
    return text


# ----------------------------------------------------------------------------- thresholds

_OVERRIDE_SECTIONS = ("by_platform", "by_content_type")


def _merged(base: dict, over: dict | None) -> dict:
    if not over:
        return base
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


class ThresholdBook:
    """Resolves the thresholds of one target: settings → per platform → per content type →
    ``target.rules``. Caches per (platform, content type), so 100,000 targets cost little."""

    def __init__(self, base: dict | None = None):
        self.base = _merged(DEFAULTS["thresholds"], base) if base is not None else DEFAULTS["thresholds"]
        self._cache: dict[tuple[str, str], dict] = {}

    def for_kind(self, platform: str, content_type: str) -> dict:
        """The thresholds of every target of this platform and content type without own rules."""
        key = (platform, content_type)
        th = self._cache.get(key)
        if th is None:
            th = _merged(self.base, (self.base.get("by_platform") or {}).get(platform))
            th = _merged(th, (self.base.get("by_content_type") or {}).get(content_type))
            th = self._cache[key] = _derived(th, content_type)
        return th

    def for_target(self, target: Target) -> dict:
        th = self.for_kind(target.platform, target.content_type)
        rules = target.rules
        if rules:
            over = {k: v for k, v in rules.items() if k in th and k not in _OVERRIDE_SECTIONS}
            if over:
                th = _derived(_merged(th, over), target.content_type)
        return th


def _derived(th: dict, content_type: str) -> dict:
    """Numbers every judgment needs, computed once per threshold set (keys start with "_")."""
    th = dict(th)
    th["_ratio"] = float(th["column_warn_ratio"])
    th["_account_days"] = account_stale_days(th, content_type)
    th["_crawl_age_s"] = float(th.get("crawl_max_age_hours") or 0) * 3600
    return th


def _book(thresholds) -> ThresholdBook:
    return thresholds if isinstance(thresholds, ThresholdBook) else ThresholdBook(thresholds)


def account_stale_days(th: dict, content_type: str) -> int:
    value = th["account_stale_days"]
    if isinstance(value, dict):
        value = value.get(content_type, value.get("text", 7))
    return int(value)


def column_limit(th: dict, kind: str, max_gap_days: int | None) -> int | None:
    if max_gap_days:
        return int(max_gap_days)
    value = (th.get("column_stale_days") or {}).get(kind)
    return int(value) if value else None


def guess_column_kind(name: str) -> str:
    """Kind of a column seen in the items without a registered list; interaction boards are read
    by the site checks, not judged on staleness."""
    kind = discovered_column_kind(name)
    return "" if kind == "interaction" else kind


# ----------------------------------------------------------------------------- verdict

@dataclass(slots=True)
class Scope:
    """One judged part of a target: the account itself (name ""), the homepage, or a column."""
    name: str
    kind: str  # account, homepage, news, notice, policy, overview, interaction, other
    url: str = ""
    last_published_at: datetime | None = None
    items: int = 0
    days_since: int | None = None
    limit_days: int | None = None
    status: str = STATUS_OK


@dataclass(slots=True)
class Verdict:
    target_id: str
    status: str
    last_published_at: datetime | None = None
    days_since: int | None = None
    limit_days: int | None = None  # the target's own update requirement (homepage or account)
    reason: str = ""
    hits: list[Hit] = field(default_factory=list)
    hit_scopes: list[str] = field(default_factory=list)  # the scope each hit is about, index for index
    scopes: dict[str, Scope] = field(default_factory=dict)

    @property
    def unknown(self) -> bool:
        return self.status == STATUS_UNKNOWN

    def add(self, hit: Hit, scope: str) -> None:
        self.hits.append(hit)
        self.hit_scopes.append(scope)

    def keep(self, wanted) -> None:
        """Keep only the hits for which ``wanted(hit)`` is true."""
        pairs = [(h, s) for h, s in zip(self.hits, self.hit_scopes) if wanted(h)]
        self.hits, self.hit_scopes = [h for h, _ in pairs], [s for _, s in pairs]


def _hit(rule: str, severity: str, match: str, detail: str, url: str, suggestion: str = "",
         category: str | None = None) -> Hit:
    return Hit(rule=rule, category=category or catalogue.label(rule), severity=severity, match=match,
               detail=detail, url=url, field="page", suggestion=suggestion)


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=STATUS_RANK.__getitem__, default=STATUS_OK)


def _level(days: int | None, limit: int, ratio: float) -> str:
    if days is None or days > limit:
        return STATUS_STALE
    if days > ratio * limit:
        return STATUS_WARN
    return STATUS_OK


def collector_problem(target: Target, now: datetime, th: dict, has_items: bool) -> str:
    """Why we cannot judge the target now ("" when we can)."""
    if target.consecutive_failures > 0 or target.error_kind:
        label = ERROR_KIND_LABELS.get(target.error_kind, target.error_kind or "采集失败")
        times = f"，连续 {target.consecutive_failures} 次" if target.consecutive_failures > 1 else ""
        error = f"：{target.last_crawl_error}" if target.last_crawl_error else ""
        return f"采集失败（{label}{times}）{error}，无法判断更新情况"
    ok = aware(target.last_crawl_ok_at)
    if ok is None:
        return "" if has_items else "尚未成功采集，无法判断更新情况"
    max_age = th.get("crawl_max_age_hours")
    if max_age and (now - ok).total_seconds() > float(max_age) * 3600:
        return f"最近一次成功采集在 {fmt_local(ok)}，已超过 {max_age} 小时，无法判断更新情况"
    return ""


def judge_target(target: Target, states: Iterable, now: datetime,
                 thresholds: dict | ThresholdBook | None = None) -> Verdict:
    """Status, last update, days since, and the staleness hits of one target as of ``now``.

    ``states``: the target's column states (``column``, ``last_published_at``, ``items``); callers
    should leave out publications later than ``now`` (``govwatch.detection`` rebuilds such states
    from items). ``thresholds``: the settings' thresholds dict or a shared ``ThresholdBook``.
    """
    now = aware(now)
    th = thresholds.for_target(target) if isinstance(thresholds, ThresholdBook) else _book(thresholds).for_target(target)
    by_column = {}
    last = None
    items = 0
    for st in states:
        by_column[st.column] = st
        items += st.items or 0
        p = st.last_published_at
        if p is not None and (last is None or p > last):
            last = p
    if last is None and not by_column:
        last = aware(target.last_published_at)
    verdict = Verdict(target_id=target.id, status=STATUS_OK, last_published_at=last,
                      days_since=None if last is None else max(0, _today(now) - local_day_number(last)))
    if target.platform == "website":
        _judge_site(target, by_column, last, items, now, th, verdict)
    else:
        _judge_account(target, last, items, now, th, verdict)
    ok = target.last_crawl_ok_at
    healthy = (not target.consecutive_failures and not target.error_kind and ok is not None
               and (not th["_crawl_age_s"] or (now - ok).total_seconds() <= th["_crawl_age_s"]))
    problem = "" if healthy else collector_problem(target, now, th, has_items=items > 0 or last is not None)
    if problem:
        verdict.status, verdict.reason = STATUS_UNKNOWN, problem
        verdict.hits, verdict.hit_scopes = [], []
        return verdict
    off = (target.rules or {}).get("disabled") or ()
    if off:
        verdict.keep(lambda h: h.rule not in off)
    return verdict


def plainly_current(summary, now: datetime, book: ThresholdBook, states: Iterable = ()) -> int | None:
    """Days since the last publication when a target is plainly current, else None.

    ``summary`` has the fields of ``govwatch.store.TargetSummary``; ``states`` are a website's
    column states. Plainly current: no rules of its own, a healthy and recent collector, nothing
    dated after ``now``, and everything inside its warning band (an account's last post; a
    website's homepage and every column, none empty or undated). Its verdict is 正常 with no
    finding, exactly what ``judge_target`` would say, so the nightly run skips loading it
    (tests/test_timeline.py checks the two agree)."""
    if summary.has_rules or summary.consecutive_failures or summary.error_kind:
        return None
    ok = summary.last_crawl_ok_at
    th = book.for_kind(summary.platform, summary.content_type)
    if ok is None or (th["_crawl_age_s"] and (now - ok).total_seconds() > th["_crawl_age_s"]):
        return None
    today, ratio = _today(now), th["_ratio"]
    if summary.platform != "website":
        last = summary.last_published_at
        if last is None or last > now:
            return None
        days = max(0, today - local_day_number(last))
        return days if days <= ratio * th["_account_days"] else None
    by_column = {st.column: st for st in states}
    dated = [st.last_published_at for st in by_column.values() if st.last_published_at is not None]
    if not dated or max(dated) > now:
        return None
    last = max(dated)
    homepage = by_column.get(HOMEPAGE_COLUMN)
    hp_last = homepage.last_published_at if homepage is not None else last
    if hp_last is None or today - local_day_number(hp_last) > ratio * int(th["homepage_stale_days"]):
        return None
    columns = [(name, kind, gap) for name, kind, gap in summary.columns if name != HOMEPAGE_COLUMN]
    if not summary.columns:
        columns = [(name, kind, None) for name in by_column
                   if name != HOMEPAGE_COLUMN and (kind := guess_column_kind(name))]
    for name, kind, gap in columns:
        st = by_column.get(name)
        if st is None or st.last_published_at is None:
            return None  # empty or undated: a finding
        limit = column_limit(th, kind, gap)
        if limit is not None and today - local_day_number(st.last_published_at) > ratio * limit:
            return None
    return max(0, today - local_day_number(hp_last))  # the homepage's days, as the full judgment shows


def _judge_site(target: Target, by_column: dict, last, items: int, now: datetime, th: dict,
                verdict: Verdict) -> None:
    today = _today(now)
    ratio = th["_ratio"]
    reasons: list[str] = []

    def days(p):
        return None if p is None else max(0, today - local_day_number(p))

    # homepage ------------------------------------------------------------------------------
    homepage_names = (target.rules or {}).get("homepage_columns") or [HOMEPAGE_COLUMN]
    listed = [by_column[n] for n in homepage_names if n in by_column]
    if listed:
        hp_last = max((s.last_published_at for s in listed if s.last_published_at), default=None)
        hp_items = sum(s.items or 0 for s in listed)
    else:  # a navigation portal: judged on the second-level pages (19号)
        hp_last, hp_items = last, items
    hp_limit = int(th["homepage_stale_days"])
    hp_days = days(hp_last)
    hp = Scope(HOMEPAGE_COLUMN, "homepage", target.url, hp_last, hp_items, hp_days, hp_limit,
               _level(hp_days, hp_limit, ratio))
    verdict.scopes[HOMEPAGE_COLUMN] = hp
    verdict.limit_days = hp_limit
    # the row's 最近更新 / 未更新天数 are the homepage's, the dates its limit and status are judged on
    # (a column updated yesterday must not show 1 day beside 首页 20 天未更新)
    verdict.last_published_at, verdict.days_since = hp_last, hp_days
    statuses = [STATUS_OK]
    if hp.status == STATUS_STALE:
        hp.status = STATUS_VETO
        if hp_last is None:
            detail = "首页未发现注明发布时间的信息（未注明发布时间的视为不更新）"
            reasons.append("首页无注明日期的信息")
        else:
            # the evidence: how many dated entries the homepage showed, and the newest date among them
            seen = f"首页识别出 {hp_items} 条注明日期的信息，最新日期为 {_day(hp_last)}" if hp_items \
                else f"首页最近一次更新为 {_day(hp_last)}"
            detail = f"{seen}，超过 {hp_limit} 天无新信息（首页不更新，单项否决）"
            reasons.append(f"首页 {hp_days} 天未更新")
        verdict.add(_hit("site.homepage_stale", "veto", f"首页（最近更新：{_day(hp_last)}）", detail,
                         target.url, "及时在首页发布新信息"), HOMEPAGE_COLUMN)
    elif hp.status == STATUS_WARN:
        reasons.append(f"首页 {hp_days} 天未更新，即将超过 {hp_limit} 天")
    statuses.append(hp.status)

    # columns -------------------------------------------------------------------------------
    columns = [(c.name, c.url, c.kind, c.max_gap_days) for c in target.columns
               if c.name not in homepage_names]
    if not target.columns:
        columns = [(name, "", kind, None) for name in sorted(by_column)
                   if name not in homepage_names and (kind := guess_column_kind(name))]
    stale: list[Hit] = []
    empty: list[Hit] = []
    for name, url, kind, max_gap in columns:
        st = by_column.get(name)
        c_last = st.last_published_at if st else None
        c_items = (st.items or 0) if st else 0
        limit = column_limit(th, kind, max_gap)
        c_days = days(c_last)
        where = url or target.url
        label = COLUMN_KIND_LABELS.get(kind, kind)
        scope = Scope(name, kind, where, c_last, c_items, c_days, limit, STATUS_OK)
        verdict.scopes[name] = scope
        if c_last is None and c_items == 0:
            scope.status = STATUS_STALE
            h = _hit("site.column_empty", "medium", name, f"栏目“{name}”没有任何信息（空白栏目）", where,
                     "补充栏目内容，或按规定归并、关闭该栏目")
            empty.append(h)
            verdict.add(h, name)
            continue
        if c_last is None:
            verdict.add(_hit("site.undated", "low", name,
                             f"栏目“{name}”的信息均未注明发布时间（未注明发布时间的视为不更新）", where,
                             "在信息页面标注发布时间"), name)
        if limit is None:
            continue
        scope.status = _level(c_days, limit, ratio)
        since = _day(c_last)
        if scope.status == STATUS_STALE:
            detail = (f"栏目“{name}”（{label}）最近一次更新为 {since}，超过 {limit} 天未更新" if c_last
                      else f"栏目“{name}”（{label}）没有注明发布时间的信息，视为未更新")
            h = _hit("site.column_stale", "medium", f"{name}（最近更新：{since}）", detail, where,
                     f"{label}栏目应在 {limit} 天内更新")
            stale.append(h)
            verdict.add(h, name)
        elif scope.status == STATUS_WARN:
            verdict.add(_hit("site.column_stale", "info", f"即将超期：{name}（最近更新：{since}）",
                             f"栏目“{name}”（{label}）最近一次更新为 {since}，如不更新将于 "
                             f"{date.fromordinal(local_day_number(c_last) + limit + 1)} 超过 {limit} 天的要求",
                             where, f"{label}栏目应在 {limit} 天内更新"), name)
        statuses.append(scope.status)
    if empty:
        statuses.append(STATUS_STALE)
        reasons.append(f"{len(empty)} 个空白栏目")
    if stale:
        reasons.append(f"{len(stale)} 个栏目不更新")
    if len(stale) >= int(th["column_stale_veto_count"]):
        _raise_to_veto(verdict, stale, f"（共 {len(stale)} 个栏目不更新，单项否决）")
        statuses.append(STATUS_VETO)
    if len(empty) >= int(th["column_empty_veto_count"]):
        _raise_to_veto(verdict, empty, f"（共 {len(empty)} 个空白栏目，单项否决）")
        statuses.append(STATUS_VETO)
    verdict.status = _worst(statuses)
    verdict.reason = "；".join(reasons)


def _raise_to_veto(verdict: Verdict, hits: list[Hit], note: str) -> None:
    raised = {id(h): replace(h, severity="veto", detail=h.detail + note) for h in hits}
    verdict.hits = [raised.get(id(h), h) for h in verdict.hits]


def _judge_account(target: Target, last, items: int, now: datetime, th: dict, verdict: Verdict) -> None:
    limit = th["_account_days"]
    veto = int(th["account_stale_veto_days"])
    candidate, zombie = int(th["zombie_candidate_days"]), int(th["zombie_days"])
    d = verdict.days_since
    scope = Scope(ACCOUNT_SCOPE, "account", target.url, last, items, d, limit, STATUS_OK)
    verdict.scopes[ACCOUNT_SCOPE] = scope
    verdict.limit_days = limit
    where = target.url or target.feed_url
    if last is None:
        if items:
            scope.status = verdict.status = STATUS_UNKNOWN
            verdict.reason = f"已采集的 {items} 条信息均无发布时间，无法判断更新情况"
            return
        scope.status = verdict.status = STATUS_EMPTY
        verdict.reason = "未发现任何发布内容"
        verdict.add(_hit("account.empty", "high", "未发现任何发布", "账号未发现任何已发布的内容（空壳账号）",
                         where, "开展运营，或按程序注销账号"), ACCOUNT_SCOPE)
        return
    if d > min(limit, veto, candidate):
        since = _day(last)
        match = f"最近发布：{since}"
        if d > limit:
            label = CONTENT_TYPE_LABELS.get(target.content_type, "")
            verdict.add(_hit("account.stale", "medium", match,
                             f"最近一次发布为 {since}，超过 {limit} 天未更新（{label}账号每 {limit} 天至少更新一次）",
                             where, "按要求及时更新"), ACCOUNT_SCOPE)
        if d > veto:
            verdict.add(_hit("account.stale_veto", "veto", match,
                             f"最近一次发布为 {since}，超过 {veto} 天未更新（两周内无更新，单项否决）",
                             where, "立即恢复更新"), ACCOUNT_SCOPE)
        if d > candidate:
            is_zombie = d > zombie
            verdict.add(_hit("account.zombie", "high", match,
                             f"最近一次发布为 {since}，超过 {zombie if is_zombie else candidate} 天未更新"
                             f"（{'僵尸账号' if is_zombie else '列入僵尸账号候选'}）", where,
                             "恢复更新；无力维护的按程序关停注销或整合",
                             category=None if is_zombie else ZOMBIE_CANDIDATE_CATEGORY), ACCOUNT_SCOPE)
    if d > zombie:
        status = STATUS_ZOMBIE
    elif d > candidate:
        status = STATUS_ZOMBIE_CANDIDATE
    elif d > veto:
        status = STATUS_VETO
    else:
        status = _level(d, limit, th["_ratio"])
    scope.status = verdict.status = status
    if status == STATUS_WARN:
        verdict.reason = f"{d} 天未更新，即将超过 {limit} 天"
    elif status != STATUS_OK:
        verdict.reason = f"{d} 天未更新"


# ----------------------------------------------------------------------------- ingest-time rules

def judge_new_items(target: Target, items: Iterable[Item], now: datetime, crawled_since: datetime | None,
                    column_latest: dict[str, datetime | None] | None = None,
                    thresholds: dict | ThresholdBook | None = None) -> list[tuple[Item, Hit]]:
    """Backdating and future dates of items seen for the first time (call it for new items only).

    ``crawled_since``: the target's last successful crawl before this one (what the store held
    before the batch). ``column_latest``: each column's newest publication before the batch; a
    column missing from it was never crawled before and is not judged for backdating.

    * ``timeline.future_date``: stated publication more than ``future_date_tolerance_minutes``
      after the item was first fetched.
    * ``timeline.backdated``: the stated time lies in a period we had already crawled (more than
      the same tolerance before ``crawled_since``), the item is first seen more than
      ``backdated_days`` after it, and (with ``column_latest``) it is newer than everything the
      column showed before, so a list sorted by date would have shown it at the top. Older items
      that surface because others were deleted or lists re-paginated are not raised, unless the
      list itself puts the item above entries dated later than it (``meta.list_newer_below``, the
      newest date listed below it on its list page, set by the site crawler): an old date at the
      top of an active column, above yesterday's items, is a back-fill whatever the column held.
    """
    now = aware(now)
    th = _book(thresholds).for_target(target)
    tolerance = timedelta(minutes=float(th["future_date_tolerance_minutes"]))
    gap = timedelta(days=float(th["backdated_days"]))
    crawled_since = aware(crawled_since)
    off = set((target.rules or {}).get("disabled") or ())
    out: list[tuple[Item, Hit]] = []
    for item in items:
        pub = aware(item.published_at)
        if pub is None or item.state != "live" or (item.meta or {}).get("attachment"):
            continue  # attachments inherit their page's date: the page is judged
        seen = aware(item.first_seen_at) or now
        shown, vague = fmt_local(pub), ""
        if item.published_at_precision == "month":  # only the month is known: judge its last moment
            shown = f"{pub.astimezone(TZ):%Y-%m}（只注明到月）"
            vague = "；发布时间只注明到月，按该月最后一刻从宽判断"
        if pub > seen + tolerance:  # the first of the month is the earliest it can mean
            if "timeline.future_date" not in off:
                out.append((item, _hit(
                    "timeline.future_date", "high", shown,
                    f"发布时间 {shown} 晚于采集时间 {fmt_local(seen)}", item.url,
                    "核实并更正发布时间")))
            continue
        pub = latest_stated(pub, item.published_at_precision)
        if crawled_since is None or pub >= crawled_since - tolerance or seen - pub <= gap:
            continue
        above = _listed_above_newer(item, pub, tolerance)
        if column_latest is not None:
            if item.column not in column_latest:
                continue
            before = column_latest[item.column]
            if before is not None and pub <= aware(before) and above is None:
                continue
        if "timeline.backdated" not in off:
            hours = (seen - pub).total_seconds() / 3600
            where = f"，在栏目列表中排在 {fmt_local(above)} 发布的信息之前" if above is not None else ""
            out.append((item, _hit(
                "timeline.backdated", "medium", shown,
                f"标注发布时间为 {shown}，但 {fmt_local(crawled_since)} 采集时尚未出现，"
                f"{fmt_local(seen)} 才首次发现（晚 {hours / 24:.1f} 天）{where}，疑似补发并倒填日期{vague}",
                item.url, "如实标注发布时间，不得倒填日期")))
    return out


def latest_stated(pub: datetime, precision: str) -> datetime:
    """The latest instant a stated time can mean (the last second of its month for a
    month-precision time, see ``govwatch.models.latest_instant``)."""
    return latest_instant(pub, precision)


def _listed_above_newer(item: Item, pub: datetime, tolerance: timedelta) -> datetime | None:
    """The newest date listed below ``item`` on its list page, when later than the item's own date."""
    raw = (item.meta or {}).get("list_newer_below")
    if not raw:
        return None
    try:
        below = aware(datetime.fromisoformat(str(raw)))
    except ValueError:
        return None
    return below if below is not None and below > pub + tolerance else None


# ----------------------------------------------------------------------------- reprints

_REPRINT_MARKERS = re.compile(r"^(?:\s*(?:【[^】]{0,16}】|\[[^\]]{0,16}\]|(?:转发|转载|转自|转)\s*[:：]?))+")
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title or "").lower().strip()
    return _NOT_WORD.sub("", _REPRINT_MARKERS.sub("", text))


def title_similarity(a: str, b: str) -> float:
    """Similarity of two normalised titles: 1.0 when equal or when one contains the other (a
    reprint adds a prefix or a suffix), else difflib's ratio."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 6 and short in long_:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def reprint_sources(target: Target) -> list[tuple[str, str]]:
    """(upstream target id, column or "") pairs of ``target.rules["reprint_from"]``."""
    raw = (target.rules or {}).get("reprint_from")
    if not raw:
        return []
    if isinstance(raw, (str, dict)):
        raw = [raw]
    out = []
    for entry in raw:
        if isinstance(entry, str) and entry:
            out.append((entry, ""))
        elif isinstance(entry, dict) and entry.get("target"):
            out.append((str(entry["target"]), str(entry.get("column") or "")))
    return out


def _when(item: Item) -> datetime | None:
    return aware(item.published_at) or aware(item.first_seen_at)


def judge_reprints(target: Target, upstream_items: Iterable[Item], own_items: Iterable[Item],
                   now: datetime, thresholds: dict | ThresholdBook | None = None) -> list[Hit]:
    """``timeline.reprint_late`` for ``target``: upstream items (of the targets and columns named
    in ``rules["reprint_from"]``) whose reprint deadline has passed without an on-time reprint.

    ``upstream_items`` may hold more than needed: only live, dated items of the configured
    sources published within ``reprint_lookback_hours`` before ``now`` and due by ``now`` are
    judged. ``own_items``: the subordinate's recent items.
    """
    sources = reprint_sources(target)
    if not sources or "timeline.reprint_late" in ((target.rules or {}).get("disabled") or ()):
        return []
    now = aware(now)
    th = _book(thresholds).for_target(target)
    window = timedelta(hours=float(th["reprint_hours"]))
    oldest = now - timedelta(hours=float(th["reprint_lookback_hours"]))
    need = float(th["reprint_similarity"])
    wanted = {(tid, col) for tid, col in sources}
    whole = {tid for tid, col in sources if not col}
    own = [(when, normalise_title(i.title), i.published_at_precision == "month" and i.published_at is not None)
           for i in own_items
           if i.state == "live" and (when := _when(i)) is not None]
    hits = []
    for up in upstream_items:
        pub = aware(up.published_at)
        if up.published_at_precision == "month":
            continue  # a 12-hour clock cannot start from a month: not judged
        if (pub is None or up.state != "live" or pub < oldest or pub + window >= now
                or not (up.target_id in whole or (up.target_id, up.column) in wanted)):
            continue
        title = normalise_title(up.title)
        if not title:
            continue
        deadline = pub + window
        earliest = pub - timedelta(hours=24)
        # a reprint dated only by its month may have come any time in it: the moment most in its favour
        matches = sorted(min(max(when, pub), latest_stated(when, "month")) if month else when
                         for when, t, month in own
                         if (latest_stated(when, "month") if month else when) >= earliest
                         and title_similarity(title, t) >= need)
        if matches and matches[0] <= deadline:
            continue
        if matches:
            late = (matches[0] - pub).total_seconds() / 3600
            detail = (f"上级发布《{up.title}》（{fmt_local(pub)}）后，{late:.1f} 小时才转载，"
                      f"超过 {th['reprint_hours']} 小时")
        else:
            detail = (f"上级发布《{up.title}》（{fmt_local(pub)}）后 {th['reprint_hours']} 小时内未转载"
                      f"（截至 {fmt_local(now)}）")
        hits.append(_hit("timeline.reprint_late", "medium", up.title[:80], detail, up.url,
                         f"在 {th['reprint_hours']} 小时内转载上级发布的信息"))
    return hits


# ----------------------------------------------------------------------------- monthly statistics

@dataclass
class PeriodStats:
    posts: int  # publications within the period
    longest_gap_days: int  # longest run of calendar days in the period without a publication
    days_out: int  # calendar days in the period on which days_since > limit


def period_stats(times: Iterable[datetime], start: date, end: date, limit_days: int) -> PeriodStats:
    """Statistics of one target over the calendar days ``start``..``end`` (inclusive).

    ``times`` may start up to ``limit_days + 1`` days before ``start`` (and should, for
    ``days_out`` to be exact on the first days): a target with no publication in that lookback is
    out of standard from ``start`` until its first publication.
    """
    s, e = start.toordinal(), end.toordinal()
    if e < s:
        return PeriodStats(0, 0, 0)
    posts = 0
    before = None
    inside: list[int] = []
    for t in times:
        d = local_day_number(t)
        if d < s:
            if before is None or d > before:
                before = d
        elif d <= e:
            posts += 1
            inside.append(d)
    inside = sorted(set(inside))
    longest, prev = 0, s - 1
    for d in inside:
        longest = max(longest, d - prev - 1)
        prev = d
    longest = max(longest, e - prev)
    out = 0
    last = before
    for d in [*inside, e + 1]:
        first_out = s if last is None else max(s, last + limit_days + 1)
        out += max(0, min(e, d - 1) - first_out + 1)
        last = d
    return PeriodStats(posts, longest, out)
