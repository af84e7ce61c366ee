"""Weibo mobile API responses (m.weibo.cn), as pure functions: profile, timeline, long text.

- Profile: ``/api/container/getIndex?type=uid&value={uid}`` → ``data.userInfo`` (screen name,
  ``followers_count`` as a number or a string such as ``"100万+"``, ``statuses_count``) and
  ``data.tabsInfo.tabs`` (the timeline container, usually ``107603{uid}``). An account that was
  deleted, banned or never existed answers ``ok: 0`` with a message, or a userInfo saying so.
- Timeline: ``/api/container/getIndex?containerid=107603{uid}&page=N`` → cards; posts are cards
  with ``card_type == 9`` (also inside ``card_group`` of type 11); ``mblog`` carries ``id``,
  ``created_at`` (full, year-less, relative), ``text`` (HTML), ``isLongText``, ``pics``,
  ``page_info``, ``retweeted_status`` and counts that may be strings like ``"100万+"``.
- Long text: ``/statuses/extend?id={id}`` → ``data.longTextContent``.

``classify_response`` tells what an answer means for the collector (ok, gone, login expired,
rate limited, blocked) without raising, so the caller records a collector error and never reads a
failed fetch as an empty account.
"""
from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from crawler.dates import parse_date_match
from govwatch.models import TZ

DETAIL_URL = "https://m.weibo.cn/detail/{id}"
TIMELINE_PREFIXES = ("107603", "230413")
MOBILE_API = "https://m.weibo.cn"

# What an account page or API message says when the account is gone (deleted, banned, not found).
GONE_PHRASES = (
    "用户不存在", "该用户不存在", "账号不存在", "帐号不存在", "用户已注销", "该账号已注销", "该帐号已注销",
    "账号已注销", "帐号已注销", "已被封禁", "账号被封", "帐号被封", "该账号因被投诉违反", "违反法律法规和《微博社区公约》",
    "该账号已被冻结", "账号已冻结", "账号异常，暂时无法查看", "此用户不存在",
)
# Messages that mean "log in" rather than anything about the account.
LOGIN_PHRASES = ("登录", "login", "passport.weibo", "visitor")
# HTTP answers of a throttling or blocking Weibo front end.
RATE_LIMITED_STATUSES = (432, 429)
BLOCKED_STATUSES = (418, 403)

_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*(万|萬|亿|億|w|W|k|K)?\s*\+?$")
_UNITS = {"万": 10_000, "萬": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "億": 100_000_000,
          "k": 1_000, "K": 1_000}
_TAG = re.compile(r"<[^<>]+>")  # [^>]+ would rescan to the end from every "<" of "<<<<…"
_BR = re.compile(r"<br\s*/?>", re.I)
_IMG_ALT = re.compile(r"""<img\b[^>]*?\balt=(["'])(.*?)\1[^>]*>""", re.I | re.S)
_ANCHOR = re.compile(r"""<a\b([^>]*)>(.*?)</a>""", re.I | re.S)
_HREF = re.compile(r"""\bhref=(["'])(.*?)\1""", re.I | re.S)
_BLANKS = re.compile(r"[ \t\u00a0\u3000]+")
_HEADLINE = re.compile(r"^\s*【([^】]{2,60})】")


@dataclass
class WeiboProfile:
    uid: str
    screen_name: str = ""
    followers: int | None = None
    followers_raw: str = ""
    statuses_count: int | None = None
    description: str = ""
    verified: bool = False
    verified_reason: str = ""
    timeline_containerid: str = ""
    status: str = "live"  # live, gone
    reason: str = ""  # why gone, as the platform said it


@dataclass
class WeiboPost:
    id: str
    url: str
    text: str
    created_at: datetime | None
    created_at_raw: str = ""
    created_at_relative: bool = False
    bid: str = ""
    headline: str = ""  # the 【…】 title a government post usually starts with
    is_long_text: bool = False
    pinned: bool = False
    pics: list[str] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    page_info: dict = field(default_factory=dict)  # type, title, url (video or link card)
    retweet: dict | None = None  # id, url, user, text, created_at
    reposts: int | None = None
    comments: int | None = None
    attitudes: int | None = None
    source: str = ""  # the client it was posted with ("微博 weibo.com", "iPhone客户端")
    user: str = ""
    deleted: bool = False  # a retweet of a post that no longer exists


@dataclass
class Timeline:
    posts: list[WeiboPost]
    cards: int = 0  # cards in the answer (of any type)
    since_id: str = ""  # the cursor for the next page when the API pages by since_id
    end: bool = False  # no cards: nothing older


@dataclass
class Answer:
    """What an API answer means for the collector."""
    kind: str  # ok, gone, login_expired, rate_limited, blocked, http, invalid
    message: str = ""
    data: dict | None = None


# --------------------------------------------------------------------------- small parsers

def parse_count(value) -> int | None:
    """``1234``, ``"1234"``, ``"1,234"``, ``"1.2万"``, ``"100万+"``, ``"3亿"``, ``"10w"`` → int."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    m = _COUNT.match(text)
    if not m:
        return None
    number = float(m.group(1)) * _UNITS.get(m.group(2) or "", 1)
    return int(round(number))


def parse_created_at(value, now: datetime | None = None) -> tuple[datetime | None, bool]:
    """(aware datetime, relative?) for every ``created_at`` form: ``Sat Nov 21 10:00:00 +0800 2026``,
    ``2025-11-14``, ``11-14``, ``昨天 12:00``, ``5分钟前``, ``3小时前``, ``刚刚``; relative and year-less
    forms are read against ``now``.

    The forms the API actually sends are read by small fast paths; anything else (and any odd
    value) goes to ``crawler.dates.parse_date_match``, which the fast paths agree with.
    """
    if value is None or value == "":
        return None, False
    if isinstance(value, (int, float)):
        from crawler.dates import from_timestamp
        return from_timestamp(value), False
    text = str(value).strip()
    fast = _fast_created_at(text, now)
    if fast is not None:
        return fast
    match = parse_date_match(text, now)
    if match is None:
        return None, False
    return match.value.replace(microsecond=0), match.relative


_FULL_FORM = re.compile(r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})")
_MONTH_DAY = re.compile(r"(?:(\d{4})-)?(\d{1,2})-(\d{1,2})")
_AGO = re.compile(r"(\d{1,3})(分钟|小时)前")
_DAY_TIME = re.compile(r"(昨天|今天) (\d{1,2}):(\d{2})")
_MONTH_NAMES = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_OFFSETS: dict[str, timezone] = {}


def _fast_created_at(text: str, now: datetime | None) -> tuple[datetime, bool] | None:
    try:
        m = _FULL_FORM.fullmatch(text)
        if m:
            tz = _OFFSETS.get(m.group(6))
            if tz is None:
                sign = -1 if m.group(6)[0] == "-" else 1
                tz = _OFFSETS[m.group(6)] = timezone(sign * timedelta(hours=int(m.group(6)[1:3]),
                                                                        minutes=int(m.group(6)[3:])))
            month = _MONTH_NAMES.get(m.group(1))
            if month is None:
                return None
            return datetime(int(m.group(7)), month, int(m.group(2)), int(m.group(3)), int(m.group(4)),
                            int(m.group(5)), tzinfo=tz), False
        current = (now if now is not None else datetime.now(TZ))
        current = (current if current.tzinfo else current.replace(tzinfo=TZ)).astimezone(TZ)
        if text == "刚刚":
            return current.replace(microsecond=0), True
        m = _AGO.fullmatch(text)
        if m:
            delta = timedelta(minutes=int(m.group(1))) if m.group(2) == "分钟" else timedelta(hours=int(m.group(1)))
            return (current - delta).replace(microsecond=0), True
        m = _DAY_TIME.fullmatch(text)
        if m:
            day = current.date() - timedelta(days=1 if m.group(1) == "昨天" else 0)
            return datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), tzinfo=TZ), True
        m = _MONTH_DAY.fullmatch(text)
        if m:
            month, day = int(m.group(2)), int(m.group(3))
            if m.group(1):
                return datetime(int(m.group(1)), month, day, tzinfo=TZ), False
            built = datetime(current.year, month, day, tzinfo=TZ)
            if built > current + timedelta(days=1):  # not yet this year: the same day last year
                built = datetime(current.year - 1, month, day, tzinfo=TZ)
            return built, False
    except ValueError:  # 02-30 and the like: let the general parser judge
        return None
    return None


def strip_html(text: str) -> tuple[str, list[dict]]:
    """Plain text and outside links of a post's HTML.

    Emoji images become their ``alt`` text (``[微笑]``), ``<br>`` a newline; the "全文" link of a
    truncated post is dropped; topic and @ links keep their text; links wrapped by Weibo's
    redirector (``weibo.cn/sinaurl?u=…``) are unwrapped.
    """
    if not text:
        return "", []
    links: list[dict] = []
    if "<" in text:
        text = _BR.sub("\n", text)
        text = _IMG_ALT.sub(lambda m: m.group(2), text)

        def anchor(m: re.Match) -> str:
            inner = _TAG.sub("", m.group(2))
            href_m = _HREF.search(m.group(1))
            href = html_lib.unescape(href_m.group(2)) if href_m else ""
            label = html_lib.unescape(inner).strip()
            if label == "全文" and "/status/" in href:
                return ""
            url = outside_url(href)
            if url:
                links.append({"url": url, "text": label, "hidden": False, "area": "body"})
            return inner

        text = _ANCHOR.sub(anchor, text)
        text = _TAG.sub("", text)
    text = html_lib.unescape(text)
    # whitespace around line breaks and blank lines dropped, line by line (the pattern \s*\n\s* retried
    # a long run of spaces from each of them)
    text = "\n".join(line.strip() for line in _BLANKS.sub(" ", text).split("\n") if line.strip())
    return text, links


def outside_url(href: str) -> str:
    """The target of a link in a post when it leaves Weibo (unwrapping ``sinaurl``), else ""."""
    if not href or not href.startswith(("http://", "https://", "//")):
        return ""
    parts = urlsplit(href if not href.startswith("//") else "https:" + href)
    host = (parts.hostname or "").lower()
    if host.endswith(("weibo.cn", "weibo.com", "t.cn", "sinaimg.cn")):
        target = parse_qs(parts.query).get("u") or parse_qs(parts.query).get("url")
        if target and target[0].startswith(("http://", "https://")) and "sinaurl" in parts.path + parts.query + host:
            return target[0]
        if host == "t.cn":
            return href
        return ""
    return href


# --------------------------------------------------------------------------- answers

def load_json(body: bytes | str | dict) -> dict | None:
    if isinstance(body, dict):
        return body
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def classify_response(status: int, body: bytes | str, content_type: str = "",
                      final_url: str = "") -> Answer:
    """What an HTTP answer of the Weibo API means: ``ok`` (with the JSON), ``gone``,
    ``login_expired``, ``rate_limited``, ``blocked``, ``http`` or ``invalid``."""
    if status in RATE_LIMITED_STATUSES:
        return Answer("rate_limited", f"微博接口限流（HTTP {status}）")
    if status in BLOCKED_STATUSES:
        return Answer("blocked", f"微博接口拒绝访问（HTTP {status}）")
    host = (urlsplit(final_url).hostname or "").lower()
    if host.startswith(("passport.", "login.")) or "/signin" in final_url or "/login" in final_url:
        return Answer("login_expired", "微博要求登录（登录状态已失效）")
    if status >= 400:
        return Answer("http", f"微博接口错误（HTTP {status}）")
    data = load_json(body)
    if data is None:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        if any(p in text for p in GONE_PHRASES):
            return Answer("gone", _gone_reason(text))
        if re.search(r"验证码|captcha|安全验证|访问频繁|频率", text, re.I):
            return Answer("blocked", "微博要求验证（验证码或访问频繁）")
        if "<html" in text[:500].lower() or "text/html" in content_type:
            return Answer("blocked", "微博接口返回了网页而不是数据（可能是访客验证页）")
        return Answer("invalid", "微博接口返回的内容无法解析")
    ok = data.get("ok")
    message = str(data.get("msg") or data.get("message") or "")
    if ok in (-100,) or (ok in (0, "0") and any(p in message for p in LOGIN_PHRASES)):
        return Answer("login_expired", message or "微博要求登录（登录状态已失效）", data)
    if ok in (0, "0"):
        if any(p in message for p in GONE_PHRASES):
            return Answer("gone", message, data)
        return Answer("ok", message, data)  # e.g. "这里还没有内容": an empty page, not an error
    if str(data.get("errno") or "") in ("20003", "20016"):
        return Answer("gone", message or "用户不存在", data)
    return Answer("ok", message, data)


def _gone_reason(text: str) -> str:
    for phrase in GONE_PHRASES:
        if phrase in text:
            return phrase
    return "账号不存在"


# --------------------------------------------------------------------------- profile

def parse_profile(body, uid: str = "") -> WeiboProfile:
    """A profile answer (``getIndex?type=uid&value=UID``) → :class:`WeiboProfile`."""
    data = load_json(body) or {}
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}
    info = inner.get("userInfo") if isinstance(inner.get("userInfo"), dict) else {}
    profile = WeiboProfile(uid=str(info.get("id") or uid or ""))
    message = str(data.get("msg") or "")
    if not info:
        # only the platform saying so makes an account gone; any other refusal is not evidence
        profile.status = "gone" if any(p in message for p in GONE_PHRASES) else "unknown"
        profile.reason = message
        return profile
    profile.screen_name = str(info.get("screen_name") or "")
    raw = info.get("followers_count_str") or info.get("followers_count")
    profile.followers_raw = "" if raw is None else str(raw)
    profile.followers = parse_count(info.get("followers_count"))
    if profile.followers is None:
        profile.followers = parse_count(info.get("followers_count_str"))
    profile.statuses_count = parse_count(info.get("statuses_count"))
    profile.description = str(info.get("description") or "")
    profile.verified = bool(info.get("verified"))
    profile.verified_reason = str(info.get("verified_reason") or "")
    said = " ".join(str(info.get(k) or "") for k in ("screen_name", "description", "remark"))
    for key in ("is_deleted", "isDeleted"):
        if info.get(key):
            profile.status, profile.reason = "gone", "账号已注销"
    if any(p in said for p in ("用户已注销", "该账号已注销", "账号已注销")) and not profile.statuses_count:
        profile.status, profile.reason = "gone", "账号已注销"
    if any(p in message for p in GONE_PHRASES):
        profile.status, profile.reason = "gone", message
    tabs = ((inner.get("tabsInfo") or {}).get("tabs") or []) if isinstance(inner.get("tabsInfo"), dict) else []
    for tab in tabs if isinstance(tabs, list) else []:
        cid = str(tab.get("containerid") or "")
        if tab.get("tabKey") == "weibo" or tab.get("tab_type") == "weibo" or cid.startswith(TIMELINE_PREFIXES):
            if cid.startswith(TIMELINE_PREFIXES) or tab.get("tabKey") == "weibo":
                profile.timeline_containerid = cid
                break
    if not profile.timeline_containerid and profile.uid:
        profile.timeline_containerid = TIMELINE_PREFIXES[0] + profile.uid
    return profile


# --------------------------------------------------------------------------- timeline

def _mblogs(cards) -> list[dict]:
    out = []
    for card in cards or []:
        if not isinstance(card, dict):
            continue
        if card.get("card_type") in (9, "9") and isinstance(card.get("mblog"), dict):
            out.append(card["mblog"])
        elif isinstance(card.get("card_group"), list):
            out.extend(_mblogs(card["card_group"]))
    return out


def _pics(mblog: dict) -> list[str]:
    urls = []
    pics = mblog.get("pics")
    if isinstance(pics, dict):  # some answers give {"0": {...}, "1": {...}}
        pics = list(pics.values())
    for pic in pics or []:
        if not isinstance(pic, dict):
            continue
        large = pic.get("large") if isinstance(pic.get("large"), dict) else {}
        url = large.get("url") or pic.get("url")
        if url:
            urls.append(str(url))
    return urls


def _page_info(mblog: dict) -> dict:
    info = mblog.get("page_info")
    if not isinstance(info, dict):
        return {}
    media = info.get("media_info") if isinstance(info.get("media_info"), dict) else {}
    url = (info.get("page_url") or media.get("stream_url_hd") or media.get("stream_url") or "")
    return {k: v for k, v in {"type": str(info.get("type") or ""),
                              "title": str(info.get("page_title") or info.get("title") or ""),
                              "url": str(url)}.items() if v}


def parse_post(mblog: dict, now: datetime | None = None) -> WeiboPost:
    """One ``mblog`` object → :class:`WeiboPost` (text stripped of HTML, dates read against ``now``)."""
    post_id = str(mblog.get("id") or mblog.get("mid") or "")
    text, links = strip_html(str(mblog.get("text") or ""))
    long_text = mblog.get("longText")
    has_full = isinstance(long_text, dict) and bool(long_text.get("longTextContent"))
    if has_full:
        text, links = strip_html(str(long_text["longTextContent"]))
    raw = mblog.get("created_at")
    created, relative = parse_created_at(raw, now)
    headline = _HEADLINE.match(text)
    user = mblog.get("user") if isinstance(mblog.get("user"), dict) else {}
    post = WeiboPost(
        id=post_id, url=DETAIL_URL.format(id=post_id), text=text, created_at=created,
        created_at_raw="" if raw is None else str(raw), created_at_relative=relative,
        bid=str(mblog.get("bid") or ""), headline=headline.group(1).strip() if headline else "",
        is_long_text=bool(mblog.get("isLongText")) and not has_full,
        pinned=bool(mblog.get("isTop")) or mblog.get("mblogtype") in (2, "2"),
        pics=_pics(mblog), links=links, page_info=_page_info(mblog),
        reposts=parse_count(mblog.get("reposts_count")), comments=parse_count(mblog.get("comments_count")),
        attitudes=parse_count(mblog.get("attitudes_count")),
        source=str(mblog.get("source") or ""), user=str(user.get("screen_name") or ""),
    )
    original = mblog.get("retweeted_status")
    if isinstance(original, dict):
        inner = parse_post(original, now) if original.get("id") else None
        if inner is None or (not inner.text and not original.get("user")):
            post.retweet = {"id": str(original.get("id") or ""), "url": "", "user": "", "text": inner.text if inner else "",
                            "deleted": True}
        else:
            post.retweet = {"id": inner.id, "url": inner.url, "user": inner.user, "text": inner.text,
                            "created_at": inner.created_at, "is_long_text": inner.is_long_text,
                            "deleted": False}
            post.links.extend(link for link in inner.links if link not in post.links)
    return post


def parse_timeline(body, now: datetime | None = None) -> Timeline:
    """A timeline answer (``getIndex?containerid=107603UID&page=N``) → posts, in the order given."""
    data = load_json(body) or {}
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}
    cards = inner.get("cards") if isinstance(inner.get("cards"), list) else []
    info = inner.get("cardlistInfo") if isinstance(inner.get("cardlistInfo"), dict) else {}
    posts = [parse_post(m, now) for m in _mblogs(cards)]
    posts = [p for p in posts if p.id]
    since = info.get("since_id")
    return Timeline(posts=posts, cards=len(cards), since_id="" if since in (None, "", 0) else str(since),
                    end=not cards)


def parse_long_text(body) -> tuple[str, list[dict]]:
    """The full text of a long post (``/statuses/extend?id=ID``) stripped of HTML, and its outside
    links; ("", []) when the answer has none."""
    data = load_json(body) or {}
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}
    content = inner.get("longTextContent") or ""
    return strip_html(str(content)) if content else ("", [])
