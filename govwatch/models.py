"""Plain data of govwatch (see docs/architecture.md, "Data model"). Imports nothing of the project.

Every datetime is timezone-aware. Day boundaries and display use Asia/Shanghai (``TZ``).
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
import functools
import gc
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc

PLATFORMS = (
    "website", "wechat", "weibo", "douyin", "toutiao", "kuaishou", "bilibili",
    "app", "miniprogram", "feed", "other",
)
PLATFORM_LABELS = {
    "website": "网站", "wechat": "微信", "weibo": "微博", "douyin": "抖音", "toutiao": "头条",
    "kuaishou": "快手", "bilibili": "哔哩哔哩", "app": "移动客户端", "miniprogram": "小程序",
    "feed": "订阅源", "other": "其他",
}
OPERATOR_TYPES = ("self", "subsidiary", "mainstream_media", "outsourced")
OPERATOR_LABELS = {"self": "自营", "subsidiary": "下属单位", "mainstream_media": "主流媒体", "outsourced": "外包"}
CONTENT_TYPES = ("text", "video")
CONTENT_TYPE_LABELS = {"text": "图文", "video": "音视频"}
OWNER_LEVELS = ("省", "市", "县", "部门")
MAINTENANCE_KINDS = ("升级改版", "临时关停")

SEVERITIES = ("veto", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # lower is more serious
SEVERITY_LABELS = {"veto": "单项否决", "high": "严重", "medium": "一般", "low": "轻微", "info": "提示"}

FINDING_STATUSES = ("open", "confirmed", "rectifying", "rectified", "closed", "false_positive")
FINDING_STATUS_LABELS = {
    "open": "待处理", "confirmed": "已确认", "rectifying": "整改中", "rectified": "已整改",
    "closed": "已销号", "false_positive": "误报",
}
# Allowed transitions of the finding lifecycle; a rescan never reopens a false positive.
FINDING_TRANSITIONS = {
    "open": {"confirmed", "rectifying", "rectified", "closed", "false_positive"},
    "confirmed": {"rectifying", "rectified", "closed", "false_positive"},
    "rectifying": {"rectified", "closed", "open"},
    "rectified": {"closed", "open"},
    "closed": {"open"},
    "false_positive": {"open"},
}
ITEM_STATES = ("live", "deleted", "unreachable")
# The column that holds what a website's homepage lists: the homepage's freshness is its newest date.
HOMEPAGE_COLUMN = "首页"

# Column kinds and the words in a column's name that give its kind. The kind decides which
# staleness limit applies (thresholds.column_stale_days) and where interaction boards are read.
# The one place a column's kind is inferred: the registry (names in the file), the site crawl
# (navigation labels) and the timeline (columns seen without a registered list) all ask here.
COLUMN_KINDS = ("news", "notice", "policy", "overview", "interaction", "other")
COLUMN_KIND_WORDS = (  # first match wins
    ("interaction", re.compile(r"互动|咨询|信箱|留言|问答|诉求|调查|征集")),
    ("news", re.compile(r"动态|要闻|新闻|工作信息|政务信息|部门信息|基层|图片|视频")),
    ("notice", re.compile(r"通知|公告|公示")),
    ("policy", re.compile(r"政策|文件|法规|规章|解读")),
    ("overview", re.compile(r"概况|简介|职能|领导|机构|介绍")),
)


def column_kind(name: str) -> str:
    """The kind of a column from its name (通知公告 → notice); "" when no word fits."""
    for kind, pattern in COLUMN_KIND_WORDS:
        if pattern.search(name or ""):
            return kind
    return ""


def discovered_column_kind(label: str) -> str:
    """The kind of a column found on a page rather than in the registry: only short labels that
    name a column (not the homepage, not a headline) get one."""
    label = (label or "").strip()
    if not label or len(label) > 12 or label in (HOMEPAGE_COLUMN, "网站首页"):
        return ""
    return column_kind(label)


def now() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC (what databases hand back)."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def local_day(dt: datetime) -> date:
    return dt.astimezone(TZ).date()


def fmt_local(dt: datetime | None, with_time: bool = True) -> str:
    if dt is None:
        return ""
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


@contextmanager
def gc_paused():
    """Building hundreds of thousands of short-lived, acyclic records: full collections only cost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stable_id(*parts: str, length: int = 20) -> str:
    h = hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return h[:length]


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    return value


class Record:
    """Mixin: dict conversion for dataclasses (datetimes as ISO strings with ``jsonable``)."""

    def to_dict(self, jsonable: bool = False) -> dict:
        d = {name: getattr(self, name) for name in _field_names(type(self))}
        return _to_jsonable(d) if jsonable else d

    @classmethod
    def from_dict(cls, d: dict):
        # hot: the nightly detection loads every open finding; field names are looked up once per class
        names = _field_names(cls)
        kwargs = {k: v for k, v in d.items() if k in names}
        for k in cls._datetime_fields:
            v = kwargs.get(k)
            if isinstance(v, str):
                kwargs[k] = datetime.fromisoformat(v) if v else None
            elif isinstance(v, datetime) and v.tzinfo is None:
                kwargs[k] = v.replace(tzinfo=UTC)
        return cls(**kwargs)

    _datetime_fields: frozenset = frozenset()


@functools.cache
def _field_names(cls) -> dict[str, None]:
    """A dataclass's field names, in order, with O(1) membership."""
    return dict.fromkeys(f.name for f in dataclasses.fields(cls))


@dataclass
class Column(Record):
    name: str
    url: str = ""
    kind: str = "news"  # news, notice, policy, overview, interaction, other
    max_gap_days: int | None = None


@dataclass
class Maintenance(Record):
    kind: str  # 升级改版 / 临时关停
    until: date | None = None

    def active(self, at: datetime) -> bool:
        return self.until is None or local_day(at) <= self.until

    @classmethod
    def parse(cls, value) -> "Maintenance | None":
        """From a stored document (``until`` as an ISO string, a date or a datetime)."""
        if not isinstance(value, dict):
            return value
        until = value.get("until")
        if isinstance(until, str) and until:
            until = date.fromisoformat(until[:10])
        elif isinstance(until, datetime):
            until = until.date()
        return cls(kind=value.get("kind", ""), until=until or None)


@dataclass
class Contact(Record):
    name: str
    role: str = "联系人"  # 负责人 / 联系人
    email: str = ""
    phone: str = ""
    webhook: str = ""
    channels: list[str] = field(default_factory=lambda: ["email"])
    hours: str = ""  # e.g. "08:00-22:00"; empty means any time


@dataclass
class Target(Record):
    id: str
    name: str
    platform: str = "website"
    url: str = ""
    account_id: str = ""
    feed_url: str = ""
    owner: str = ""
    owner_level: str = ""
    office: str = ""
    emails: list[str] = field(default_factory=list)
    operator_type: str = "self"
    operator_name: str = ""
    operator_qualified: bool | None = None
    parent: str = ""
    maintenance: Maintenance | None = None
    contacts: list[Contact] = field(default_factory=list)
    content_type: str = "text"
    columns: list[Column] = field(default_factory=list)
    rules: dict = field(default_factory=dict)
    enabled: bool = True
    tags: list[str] = field(default_factory=list)
    crawl: dict = field(default_factory=dict)  # per-target crawl options: obey_robots, verify_tls, selectors …
    # derived state, maintained by the store at ingest and by collectors
    last_published_at: datetime | None = None
    last_crawl_ok_at: datetime | None = None
    last_crawl_error: str = ""
    status: str = "unknown"  # live, gone, unknown (accounts); up, down (websites)
    # collector health: a failed fetch is never evidence of staleness
    consecutive_failures: int = 0
    error_kind: str = ""  # blocked, rate_limited, login_expired, network, http
    last_crawl_at: datetime | None = None
    followers: int | None = None
    down_since: datetime | None = None  # set by the probe while the site is reported down
    crawl_errors: list[dict] = field(default_factory=list)  # the last crawl's failed pages: url, kind, error
    homepage_sketch: list[int] = field(default_factory=list)  # MinHash of the homepage text (defacement)
    homepage_changes: list[float] = field(default_factory=list)  # recent crawl-to-crawl change ratios
    # links that failed their check: url -> {status, error, first_seen, last_seen, count, page, text, homepage}
    link_failures: dict = field(default_factory=dict)

    _datetime_fields = frozenset({"last_published_at", "last_crawl_ok_at", "last_crawl_at", "down_since"})
    REGISTRY_FIELDS = (
        "id", "name", "platform", "url", "account_id", "feed_url", "owner", "owner_level", "office",
        "emails", "operator_type", "operator_name", "operator_qualified", "parent", "maintenance",
        "contacts", "content_type", "columns", "rules", "enabled", "tags", "crawl",
    )

    def to_dict(self, jsonable: bool = False) -> dict:
        d = super().to_dict(jsonable)
        d["maintenance"] = self.maintenance.to_dict(jsonable) if self.maintenance else None
        d["contacts"] = [c.to_dict(jsonable) for c in self.contacts]
        d["columns"] = [c.to_dict(jsonable) for c in self.columns]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Target":
        t = super().from_dict(d)
        t.maintenance = Maintenance.parse(t.maintenance)
        t.contacts = [Contact.from_dict(c) if isinstance(c, dict) else c for c in (t.contacts or [])]
        t.columns = [Column.from_dict(c) if isinstance(c, dict) else c for c in (t.columns or [])]
        return t

    def registry_dict(self) -> dict:
        """The part of a target that the registry file owns (no derived state)."""
        d = self.to_dict()
        return {k: d[k] for k in self.REGISTRY_FIELDS}

    def in_maintenance(self, at: datetime) -> bool:
        return self.maintenance is not None and self.maintenance.active(at)


@dataclass
class Item(Record):
    target_id: str
    url: str
    platform: str = "website"
    id: str = ""
    column: str = ""
    title: str = ""
    published_at: datetime | None = None
    published_at_source: str = "none"  # meta, text, url, js, api, feed, none
    # second, minute, day or month: how much of published_at the source stated ("" unknown);
    # a month-precision time is the first of that month (timeline rules read it conservatively)
    published_at_precision: str = ""
    source: str = ""
    author: str = ""
    text: str = ""
    links: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    images: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    content_hash: str = ""
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    state: str = "live"
    snapshot: str = ""
    scanned_with: str = ""
    parent_url: str = ""

    _datetime_fields = frozenset({"published_at", "first_seen_at", "last_seen_at"})

    def __post_init__(self):
        if not self.id:
            self.id = item_id(self.platform, self.url)
        if not self.content_hash:
            self.content_hash = stable_id(self.title, self.text, str(self.published_at or ""), length=32)

    @property
    def freshest_published_at(self) -> datetime | None:
        """The latest instant the stated publication time can mean, for staleness: the last moment
        of its month for a month-precision time (never after the item was first seen), else the
        time itself."""
        if self.published_at is None or self.published_at_precision != "month":
            return self.published_at
        end = latest_instant(self.published_at, "month")
        return min(end, aware(self.first_seen_at) or now())


def latest_instant(value: datetime, precision: str) -> datetime:
    """The latest instant a stated time can mean: for a month-precision time (stored as the first
    of the month), the last second of that month in Asia/Shanghai; otherwise ``value``."""
    if precision != "month":
        return value
    local = aware(value).astimezone(TZ)
    first_next = (local.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0,
                                                                    microsecond=0)
    return first_next - timedelta(seconds=1)


def item_id(platform: str, canonical_url: str) -> str:
    return stable_id(platform, canonical_url)


@dataclass(frozen=True, init=False)
class Hit:
    """What a scanner rule returns: one problem in one document, before it becomes a Finding."""
    rule: str
    category: str
    severity: str
    match: str = ""
    start: int = -1
    end: int = -1
    snippet: str = ""
    suggestion: str = ""
    field: str = "text"  # which part of the document: text, title, source, url, page
    detail: str = ""  # human explanation (e.g. clickbait signals)
    url: str = ""  # where, when the hit is about a page other than the item (dead link, column …)

    # The generated __init__ of a frozen dataclass sets each field through object.__setattr__;
    # the scanner builds a Hit per finding, so this one fills the instance dict at once (half the
    # time).  tests/test_rules.py checks that it takes the fields above, in order, with their defaults.
    def __init__(self, rule: str, category: str, severity: str, match: str = "", start: int = -1, end: int = -1,
                 snippet: str = "", suggestion: str = "", field: str = "text", detail: str = "", url: str = ""):
        self.__dict__.update(rule=rule, category=category, severity=severity, match=match, start=start, end=end,
                             snippet=snippet, suggestion=suggestion, field=field, detail=detail, url=url)


@dataclass
class Finding(Record):
    target_id: str
    rule: str
    category: str = ""
    severity: str = "medium"
    item_id: str = ""
    url: str = ""
    title: str = ""
    match: str = ""
    snippet: str = ""
    start: int = -1
    end: int = -1
    suggestion: str = ""
    detail: str = ""
    evidence: dict = field(default_factory=dict)  # {"snapshot": sha256, "fetched_at": iso}
    status: str = "open"
    history: list = field(default_factory=list)  # [{"at","by","from","to","note"}]
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    deadline: datetime | None = None
    alerted_at: datetime | None = None
    severity_override: str = ""
    id: str = ""

    _datetime_fields = frozenset({"first_seen_at", "last_seen_at", "deadline", "alerted_at"})

    def __post_init__(self):
        if not self.id:
            self.id = finding_id(self.target_id, self.item_id or self.url, self.rule, self.match)

    @property
    def effective_severity(self) -> str:
        return self.severity_override or self.severity

    @classmethod
    def from_hit(cls, hit: Hit, *, target_id: str, item: Item | None = None, url: str = "",
                 evidence: dict | None = None, at: datetime | None = None) -> "Finding":
        return cls(
            target_id=target_id, rule=hit.rule, category=hit.category, severity=hit.severity,
            item_id=item.id if item else "", url=hit.url or (item.url if item else url),
            title=item.title if item else "", match=hit.match, snippet=hit.snippet,
            start=hit.start, end=hit.end, suggestion=hit.suggestion, detail=hit.detail,
            evidence=unread_evidence(ocr_evidence(
                evidence or ({"snapshot": item.snapshot} if item and item.snapshot else {}), item, hit.start, hit.end),
                item),
            first_seen_at=at, last_seen_at=at,
        )


def unread_evidence(evidence: dict, item: Item | None) -> dict:
    """A finding in a document that was not read in full says which parts were not read and why
    (``item.meta["unread"]``: "第 3 页未读取：…"), so that a reader knows the rest went unchecked."""
    unread = (item.meta or {}).get("unread") if item is not None else None
    return {**evidence, "unread": list(unread)} if unread else evidence


def ocr_evidence(evidence: dict, item: Item | None, start: int, end: int) -> dict:
    """A match in text read from an image says so: the image, the page it appeared on, and the box
    (x0, y0, x1, y1 in the image's pixels; the page of a scanned PDF) where it was read."""
    lines = (item.meta.get("ocr_lines") if item is not None else None) or []
    touched = [line for line in lines if start >= 0 and line["start"] < end and start < line["end"]]
    if not lines:
        return evidence
    extra = {"text_source": "ocr", "image_url": item.url, "page_url": item.parent_url}
    if touched:
        boxes = [line["box"] for line in touched]
        extra["image_box"] = [min(b[0] for b in boxes), min(b[1] for b in boxes),
                              max(b[2] for b in boxes), max(b[3] for b in boxes)]
        if touched[0].get("page"):
            extra["image_page"] = touched[0]["page"]
    return {**evidence, **extra}


def normalise_match(match: str) -> str:
    return "".join(match.split()).lower()


def finding_id(target_id: str, where: str, rule: str, match: str) -> str:
    return stable_id(target_id, where, rule, normalise_match(match), length=24)


@dataclass
class Check(Record):
    target_id: str
    url: str
    at: datetime
    ok: bool
    http_status: int | None = None
    elapsed_ms: int | None = None
    error: str = ""
    tls_expires_at: datetime | None = None

    _datetime_fields = frozenset({"at", "tls_expires_at"})


@dataclass
class Alert(Record):
    dedup_key: str
    channel: str  # email, webhook
    to: str
    subject: str
    body: str
    finding_ids: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = ""
    status: str = "pending"  # pending, sent, failed, held
    html: str = ""
    id: str = ""

    _datetime_fields = frozenset({"created_at", "next_attempt_at", "sent_at"})

    def __post_init__(self):
        if not self.id:
            self.id = stable_id(self.dedup_key, self.channel, self.to, length=24)


@dataclass
class Run(Record):
    job: str
    started_at: datetime
    finished_at: datetime | None = None
    ok: bool | None = None
    stats: dict = field(default_factory=dict)
    error: str = ""
    id: str = ""

    _datetime_fields = frozenset({"started_at", "finished_at"})


@dataclass
class SiteReport(Record):
    """What one crawl of a website saw beyond its items: the input of the site checks."""
    target_id: str
    homepage_url: str
    fetched_at: datetime
    homepage_ok: bool = False
    homepage_status: int | None = None
    homepage_ms: int | None = None
    homepage_error: str = ""
    homepage_snapshot: str = ""
    homepage_text: str = ""
    footer_text: str = ""
    links: list[dict] = field(default_factory=list)  # homepage links: url, text, hidden, area
    hidden_links: list[dict] = field(default_factory=list)  # hidden links seen on any page: url, text, how, page
    list_pages: int = 0  # column list pages fetched (pagination included)
    link_status: dict = field(default_factory=dict)  # url -> {"status", "error", "page", "text", "homepage"}
    outbound_pages: dict = field(default_factory=dict)  # friend-link url -> visible text of that page
    columns: list[dict] = field(default_factory=list)  # name, url, kind, items, latest, discovered
    errors: list[dict] = field(default_factory=list)  # url, kind, status, error
    article_pages: int = 0
    meta_missing: list[str] = field(default_factory=list)  # article urls without the standard meta tags
    homepage_items: list[dict] = field(default_factory=list)  # url, title, published_at
    interaction: list[dict] = field(default_factory=list)  # 政务咨询 messages: url, title, asked_at, answered, column

    _datetime_fields = frozenset({"fetched_at"})


def units_below(targets: Iterable[Target], units: Iterable[str]) -> set[str]:
    """``units`` and every unit under them in the roll-up (a unit's parent is its targets' ``parent``)."""
    children: dict[str, set[str]] = defaultdict(set)
    for t in targets:
        if t.owner and t.parent and t.parent != t.owner:
            children[t.parent].add(t.owner)
    found: set[str] = set()
    todo = [u for u in units if u]
    while todo:  # a visited set cuts cycles
        unit = todo.pop()
        if unit in found:
            continue
        found.add(unit)
        todo.extend(children.get(unit, ()))
    return found
