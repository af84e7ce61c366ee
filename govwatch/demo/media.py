"""Government new-media accounts of the farm: WeChat articles and feeds, Weibo's mobile API, a Douyin feed.

- WeChat: article pages at ``/wechat/s/<key>?__biz=…&mid=…&idx=1&sn=…&chksm=…`` (also
  ``/wechat/s?__biz=…&mid=…&idx=…&sn=…``) shaped like ``mp.weixin.qq.com``; the account page at
  ``/wechat/mp/profile_ext?action=home&__biz=…``; feeds as a WeWe RSS bridge serves them at
  ``/feeds/<MP_WXS_…>.rss|.atom|.json``.
- Weibo: ``/weibo/api/container/getIndex`` (profile with ``type=uid&value=UID``, timeline with
  ``containerid=107603UID&page=N``), ``/weibo/statuses/extend?id=…`` (long text),
  ``/weibo/detail/<id>``, ``/weibo/u/<uid>``.
- Douyin through an RSSHub route: ``/rsshub/douyin/user/<sec_uid>``, videos at ``/douyin/video/<id>``.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from govwatch.demo import text as T
from govwatch.demo.files import png_bytes
from govwatch.demo.sites import TOWNS, Env, voice_for
from govwatch.demo.util import h01, h64, hexdigest, local_now, non_luhn_digits, pub_time, rng, series_age
from govwatch.demo.web import Response, html, json_body, not_found

WECHAT_PROBLEMS = ("stale", "empty", "deleted_article", "blocked",
                   "banned_term", "privacy_leak", "secret_marker", "typo", "wrong_term")
WEIBO_PROBLEMS = ("stale", "empty", "throttled")
FEED_PROBLEMS = ("stale", "empty")
PROBLEMS = {"wechat": WECHAT_PROBLEMS, "weibo": WEIBO_PROBLEMS, "feed": FEED_PROBLEMS}

# WeChat articles with a fixed role: k -> role (content problems, as on websites).
WECHAT_SLOTS = {3: "fitness", 4: "meeting", 5: "expo", 6: "elevator", 7: "publicity"}
DELETED_SLOT, BLOCKED_SLOT = 2, 0
STALE_AGE = 23.0

# id, platform, nickname, owner, level, parent owner, feed format, default problems
ACCOUNT_PLAN = (
    ("wechat-01", "wechat", "示范市人民政府", "示范市人民政府办公室", "市", "示范省人民政府办公厅", "rss", ("deleted_article",)),
    ("wechat-02", "wechat", "东湖县发布", "东湖县人民政府办公室", "县", "示范市人民政府办公室", "atom", ("blocked",)),
    ("wechat-03", "wechat", "示范教育", "示范市教育局", "部门", "示范市人民政府办公室", "json", ("stale",)),
    ("wechat-04", "wechat", "示范卫健", "示范市卫生健康委员会", "部门", "示范市人民政府办公室", "rss", ("empty",)),
    ("weibo-01", "weibo", "示范发布", "示范市人民政府新闻办公室", "部门", "示范市人民政府办公室", "", ()),
    ("weibo-02", "weibo", "平安示范", "示范市公安局", "部门", "示范市人民政府办公室", "", ("throttled",)),
    ("feed-01", "feed", "示范应急", "示范市应急管理局", "部门", "示范市人民政府办公室", "rss", ()),
)
EXTRA_DEPTS = ("交通运输局", "生态环境局", "民政局", "农业农村局", "市场监督管理局", "文化广电旅游局", "应急管理局",
               "住房和城乡建设局", "人力资源和社会保障局", "医疗保障局", "商务局", "司法局")
WEEK_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class AccountSpec:
    index: int
    id: str
    platform: str  # wechat, weibo, feed
    name: str  # the account's nickname
    owner: str
    level: str
    parent: str
    feed_format: str  # rss, atom, json
    defaults: tuple
    voice: T.Voice
    count: int  # posts when healthy
    x0: float
    gap: float
    uid: str = ""  # Weibo uid, Douyin sec_uid
    biz: str = ""  # WeChat __biz
    gh: str = ""  # WeChat original id (gh_…)
    alias: str = ""  # WeChat 微信号
    content_type: str = "text"


def build_accounts(seed: int, extra: int = 0) -> list[AccountSpec]:
    plan = list(ACCOUNT_PLAN)
    for j in range(extra):
        dept = EXTRA_DEPTS[j % len(EXTRA_DEPTS)] + (str(j // len(EXTRA_DEPTS) + 1) if j >= len(EXTRA_DEPTS) else "")
        platform = "wechat" if j % 2 == 0 else "weibo"
        number = sum(1 for p in plan if p[1] == platform) + 1
        plan.append((f"{platform}-{number:02d}", platform, f"示范市{dept}", f"示范市{dept}", "部门",
                     "示范市人民政府办公室", "rss" if platform == "wechat" else "", ()))
    accounts = []
    for i, (aid, platform, nick, owner, level, parent, fmt, defaults) in enumerate(plan, 1):
        region = owner[:3]
        towns = tuple(rng(seed, aid, "towns").sample(TOWNS, 4))
        voice = voice_for(level, region, owner, towns, dept=owner[len(region):])
        acc = AccountSpec(index=i, id=aid, platform=platform, name=nick, owner=owner, level=level, parent=parent,
                          feed_format=fmt, defaults=defaults, voice=voice, count=30, x0=1.05 + 0.3 * h01(seed, aid),
                          gap=1.0)
        if platform == "wechat":
            acc.biz = base64.b64encode(str(3000000000 + h64(seed, aid, "biz") % 999999999).encode()).decode()
            acc.gh = "gh_" + hexdigest(seed, aid, "gh", length=12)
            acc.alias = f"sf{hexdigest(seed, aid, 'alias', length=6)}"
        elif platform == "weibo":
            acc.uid = str(5000000000 + h64(seed, aid, "uid") % 999999999)
            acc.count = 25
        else:
            acc.uid = "MS4wLjABAAAA" + base64.urlsafe_b64encode(hashlib.sha256(f"{seed}{aid}".encode()).digest()).decode()[:43]
            acc.count, acc.x0, acc.gap, acc.content_type = 15, 2.0 + h01(seed, aid), 3.0, "video"
        accounts.append(acc)
    return accounts


def _js(value: str) -> str:
    """A string for a double-quoted JavaScript literal inside HTML."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\x3c").replace("\n", "\\n")


class Accounts:
    """The new-media accounts of one farm: routing, rendering, registry rows and planted problems."""

    def __init__(self, env: Env, specs: list[AccountSpec]):
        self.env = env
        self.specs = specs
        self.by_id = {a.id: a for a in specs}
        self.by_uid = {a.uid: a for a in specs if a.platform == "weibo"}
        self.by_feed = {self.feed_name(a): a for a in specs if a.platform == "wechat"}
        self.by_sec_uid = {a.uid: a for a in specs if a.platform == "feed"}
        self.by_key: dict[str, tuple[AccountSpec, int]] = {}
        self.by_mid: dict[tuple[str, str], tuple[AccountSpec, int]] = {}
        self.by_post: dict[str, tuple[AccountSpec, int]] = {}
        for a in specs:
            for k in range(a.count):
                if a.platform == "wechat":
                    self.by_key[self.wechat_key(a, k)] = (a, k)
                    self.by_mid[(a.biz, str(self.wechat_mid(a, k)))] = (a, k)
                else:
                    self.by_post[self.post_id(a, k)] = (a, k)
            if a.platform == "weibo":
                self.by_post[self.pinned_id(a)] = (a, -1)

    # --- timeline ---------------------------------------------------------------------------------

    def count(self, a: AccountSpec) -> int:
        return 0 if "empty" in self.env.problems_of(a.id) else a.count

    def exists(self, a: AccountSpec, k: int) -> bool:
        """Post ``k`` is live (``k == -1``: a Weibo account's pinned post)."""
        count = self.count(a)
        return count > 0 and k < count

    def pub(self, a: AccountSpec, k: int) -> datetime:
        seed, now = self.env.seed, self.env.now
        if "stale" in self.env.problems_of(a.id):
            return pub_time(now, series_age(STALE_AGE + h01(seed, a.id, "stale"), a.gap, k, seed, a.id))
        if a.platform == "weibo":
            local = local_now(now).replace(microsecond=0)
            if k == 0:
                return local - timedelta(seconds=40)
            if k == 1:
                return local - timedelta(minutes=5, seconds=10)
            if k == 2:
                return local - timedelta(hours=3)
            if k == 3:
                return (local - timedelta(days=1)).replace(hour=12, minute=0, second=0)
            return pub_time(now, series_age(2.0, 0.8, k - 4, seed, a.id))
        return pub_time(now, series_age(a.x0, a.gap, k, seed, a.id))

    def last_modified(self, a: AccountSpec, content_time: datetime) -> datetime:
        stamp = self.env.stamp_of(a.id)
        return max(content_time, stamp) if stamp else content_time

    def newest(self, a: AccountSpec) -> datetime:
        return self.pub(a, 0) if self.count(a) else pub_time(self.env.now, 400.0)

    # --- identifiers ------------------------------------------------------------------------------

    def wechat_mid(self, a: AccountSpec, k: int) -> int:
        return 2650000000 + a.index * 10000 + (a.count - k)

    def wechat_key(self, a: AccountSpec, k: int) -> str:
        digest = hashlib.blake2b(f"{self.env.seed}|{a.id}|{k}".encode(), digest_size=16).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def wechat_url(self, a: AccountSpec, k: int) -> str:
        sn = hexdigest(self.env.seed, a.id, k, "sn")
        chksm = hexdigest(self.env.seed, a.id, k, "chksm", length=64) + hexdigest(a.id, k, length=8)
        return (f"{self.env.base_url}/wechat/s/{self.wechat_key(a, k)}?__biz={a.biz}&mid={self.wechat_mid(a, k)}"
                f"&idx=1&sn={sn}&chksm={chksm}")

    def post_id(self, a: AccountSpec, k: int) -> str:
        digits = 19 if a.platform == "feed" else 16
        return non_luhn_digits(rng(self.env.seed, a.id, k, "post"), "73" if a.platform == "feed" else "50", digits)

    def pinned_id(self, a: AccountSpec) -> str:
        return non_luhn_digits(rng(self.env.seed, a.id, "top"), "49", 16)

    def bid(self, a: AccountSpec, k: int) -> str:
        alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        n, out = h64(self.env.seed, a.id, k, "bid"), ""
        for _ in range(9):
            n, d = divmod(n, 62)
            out += alphabet[d]
        return out

    def feed_name(self, a: AccountSpec) -> str:
        return f"MP_WXS_{base64.b64decode(a.biz).decode()}"

    def account_url(self, a: AccountSpec) -> str:
        base = self.env.base_url
        if a.platform == "wechat":
            return f"{base}/wechat/mp/profile_ext?action=home&__biz={a.biz}&scene=124"
        if a.platform == "weibo":
            return f"{base}/weibo/u/{a.uid}"
        return f"{base}/douyin/user/{a.uid}"

    def feed_url(self, a: AccountSpec, fmt: str | None = None) -> str:
        if a.platform == "wechat":
            return f"{self.env.base_url}/feeds/{self.feed_name(a)}.{fmt or a.feed_format}"
        if a.platform == "feed":
            return f"{self.env.base_url}/rsshub/douyin/user/{a.uid}"
        return ""

    # --- content ----------------------------------------------------------------------------------

    def article(self, a: AccountSpec, k: int) -> T.Article:
        problems = self.env.problems_of(a.id)
        pub = self.pub(a, k)
        r = rng(self.env.seed, a.id, k, "body")
        role = WECHAT_SLOTS.get(k) if a.platform == "wechat" else None
        v = a.voice
        if role == "fitness":
            return T.fitness_article(r, v, pub, "banned_term" in problems)
        if role == "meeting":
            return T.meeting_article(r, v, pub, "secret_marker" in problems, r.choice(T.TOPICS))
        if role == "expo":
            return T.expo_article(r, v, pub, "wrong_term" in problems)
        if role == "elevator":
            return T.elevator_article(r, v, pub, "typo" in problems)
        if role == "publicity":
            return T.publicity_article(r, v, pub, "privacy_leak" in problems)[0]
        topic = T.TOPICS[h64(self.env.seed, a.id, k, "subject") % len(T.TOPICS)]
        title = T.ordinary_title("news", rng(self.env.seed, a.id, k, "title"), v, pub, k, topic)
        return T.ordinary_article("news", title, r, v, pub, topic)

    # --- routing ----------------------------------------------------------------------------------

    def route(self, path: str, query: dict) -> Response | None:
        """Serve a new-media path, or None when the path is not ours."""
        if path.startswith("/wechat/"):
            return self._wechat(path[len("/wechat/"):], query)
        if path.startswith("/weibo/"):
            return self._weibo(path[len("/weibo/"):], query)
        if path.startswith("/feeds/"):
            name, _, ext = path[len("/feeds/"):].rpartition(".")
            a = self.by_feed.get(name)
            return self.feed(a, ext) if a and ext in ("rss", "atom", "json") else not_found()
        if path.startswith("/rsshub/douyin/user/"):
            a = self.by_sec_uid.get(path.rsplit("/", 1)[-1])
            return self.feed(a, "rss") if a else not_found()
        if path.startswith("/douyin/"):
            return self._douyin(path[len("/douyin/"):])
        return None

    # --- WeChat -----------------------------------------------------------------------------------

    def _wechat(self, rest: str, query: dict) -> Response:
        if rest.startswith("s/"):
            found = self.by_key.get(rest[2:])
        elif rest == "s":
            found = self.by_mid.get((query.get("__biz", ""), query.get("mid", "")))
        elif rest == "mp/profile_ext":
            a = next((x for x in self.specs if x.platform == "wechat" and x.biz == query.get("__biz")), None)
            return self.profile_page(a) if a else not_found()
        elif rest.startswith("mmbiz/"):
            return Response(200, png_bytes(64, 48, (30, 120, 200)), "image/png", last_modified=pub_time(self.env.now, 400.0))
        else:
            found = None
        if not found or not self.exists(*found):
            return not_found()
        return self.wechat_page(*found)

    def wechat_page(self, a: AccountSpec, k: int) -> Response:
        problems = self.env.problems_of(a.id)
        pub = self.pub(a, k)
        lm = self.last_modified(a, pub)
        if k == DELETED_SLOT and "deleted_article" in problems:
            return html(_WECHAT_MESSAGE.format(title="", body='<h2 class="weui-msg__title">该内容已被发布者删除</h2>'
                                                            '<p class="weui-msg__desc"></p>'), lm)
        if k == BLOCKED_SLOT and "blocked" in problems:
            captcha = f"{self.env.base_url}/wechat/mmbiz/verifycode_{hexdigest(a.id, length=8)}.png"
            return html(_WECHAT_MESSAGE.format(title="环境异常", body=(
                '<h2 class="weui-msg__title">环境异常</h2><p class="weui-msg__desc">当前环境异常，完成验证后即可继续访问。</p>'
                f'<div class="weui-vcode"><img id="seccodeImage" src="{captcha}" alt="验证码">'
                '<input id="seccodeInput" type="text" placeholder="请输入验证码"></div>'
                '<a id="js_verify" class="weui-btn weui-btn_primary" href="javascript:;">去验证</a>')), lm)
        article = self.article(a, k)
        url = self.wechat_url(a, k)
        digest = T.summary(article, 54)
        cover = f"{self.env.base_url}/wechat/mmbiz/{hexdigest(a.id, k, 'cover', length=24)}.png"
        paragraphs = []
        for kind, value in article.blocks:
            if kind == "table":
                value = "；".join("，".join(row) for row in value)
            for line in value.split("\n"):
                paragraphs.append(f'<section style="margin-bottom: 16px;"><p style="text-indent: 2em; line-height: 1.75em;">'
                                  f'<span style="font-size: 16px;">{escape(line)}</span></p></section>')
        image = (f'<p style="text-align: center;"><img class="rich_pages wxw-img" data-src="{cover}" data-ratio="0.6667" '
                 f'data-type="png" data-w="1080" style="width: 100%;"></p>')
        paragraphs.insert(min(1, len(paragraphs)), image)
        page = _WECHAT_ARTICLE.format(
            title=escape(article.title), digest=escape(digest), url=escape(url), cover=cover, nickname=escape(a.name),
            alias=a.alias, intro=escape(f"{a.owner}官方微信公众号"), publish_time=self._relative_day(pub),
            content="\n".join(paragraphs), biz=a.biz, mid=self.wechat_mid(a, k), gh=a.gh,
            sn=hexdigest(self.env.seed, a.id, k, "sn"), js_nickname=_js(a.name), ct=int(pub.timestamp()),
            js_title=_js(article.title), js_digest=_js(digest), js_url=_js(url))
        return html(page, lm)

    def _relative_day(self, pub: datetime) -> str:
        days = (local_now(self.env.now).date() - local_now(pub).date()).days
        if days <= 0:
            return "今天"
        if days <= 2:
            return ("昨天", "前天")[days - 1]
        if days < 7:
            return f"{days}天前"
        p = local_now(pub)
        return f"{p.year}年{p.month}月{p.day}日 {p:%H:%M}"

    def profile_page(self, a: AccountSpec) -> Response:
        page = _WECHAT_MESSAGE.format(title=escape(a.name), body=(
            f'<h2 class="weui-msg__title">{escape(a.name)}</h2><p class="weui-msg__desc">请在微信客户端打开链接。</p>'))
        return html(page, self.last_modified(a, self.newest(a)))

    # --- feeds --------------------------------------------------------------------------------------

    def feed(self, a: AccountSpec, fmt: str) -> Response:
        items = []
        for k in range(min(20, self.count(a))):
            pub = self.pub(a, k)
            if a.platform == "wechat":
                article = self.article(a, k)
                title, link, guid = article.title, self.wechat_url(a, k), self.wechat_key(a, k)
                content = f"<p>{escape(T.summary(article, 120))}</p>"
            else:
                title, link, guid, content = self._douyin_item(a, k)
            items.append({"title": title, "link": link, "guid": guid, "pub": pub, "content": content})
        lm = self.last_modified(a, self.newest(a))
        home, self_url = self.account_url(a), self.feed_url(a, fmt)
        generator = "WeWe RSS" if a.platform == "wechat" else "RSSHub"
        if fmt == "json":
            doc = {"version": "https://jsonfeed.org/version/1.1", "title": a.name, "home_page_url": home,
                   "feed_url": self_url, "description": f"{a.name} - 由 {generator} 生成",
                   "items": [{"id": it["guid"], "url": it["link"], "title": it["title"], "content_html": it["content"],
                              "date_published": local_now(it["pub"]).isoformat(), "authors": [{"name": a.name}]}
                             for it in items]}
            return json_body(doc, lm, content_type="application/feed+json; charset=utf-8")
        if fmt == "atom":
            entries = "".join(
                f"<entry><title>{xml_escape(it['title'])}</title><id>{xml_escape(it['guid'])}</id>"
                f'<link href="{xml_escape(it["link"])}"/><updated>{local_now(it["pub"]).isoformat()}</updated>'
                f"<published>{local_now(it['pub']).isoformat()}</published>"
                f'<summary type="html">{xml_escape(it["content"])}</summary><author><name>{xml_escape(a.name)}</name></author></entry>\n'
                for it in items)
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
                    f"<id>{xml_escape(self_url)}</id><title>{xml_escape(a.name)}</title>"
                    f"<updated>{local_now(lm).isoformat()}</updated><generator>{generator}</generator>\n"
                    f'<link rel="alternate" href="{xml_escape(home)}"/><link rel="self" href="{xml_escape(self_url)}"/>\n'
                    f"{entries}</feed>\n")
            return Response(200, body.encode("utf-8"), "application/atom+xml; charset=utf-8", last_modified=lm)
        entries = "".join(
            f"<item><title><![CDATA[{it['title']}]]></title><link>{xml_escape(it['link'])}</link>"
            f'<guid isPermaLink="false">{xml_escape(it["guid"])}</guid><pubDate>{format_datetime(it["pub"])}</pubDate>'
            f"<description><![CDATA[{it['content']}]]></description><author><![CDATA[{a.name}]]></author></item>\n"
            for it in items)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n'
                f"<channel>\n<title><![CDATA[{a.name}]]></title><link>{xml_escape(home)}</link>\n"
                f'<atom:link href="{xml_escape(self_url)}" rel="self" type="application/rss+xml"/>\n'
                f"<description><![CDATA[{a.name} - 由 {generator} 生成]]></description><generator>{generator}</generator>\n"
                f"<language>zh-cn</language><lastBuildDate>{format_datetime(lm)}</lastBuildDate><ttl>5</ttl>\n"
                f"{entries}</channel>\n</rss>\n")
        return Response(200, body.encode("utf-8"), "application/rss+xml; charset=utf-8", last_modified=lm)

    # --- Douyin (via RSSHub) --------------------------------------------------------------------------

    def _douyin_item(self, a: AccountSpec, k: int) -> tuple[str, str, str, str]:
        r = rng(self.env.seed, a.id, k, "video")
        title = T.fill(r.choice(("{region}开展{activity}", "应急科普：{topic}知识要牢记", "{region}举行{topic}应急演练",
                                 "一分钟了解{topic}")), r, a.voice, self.pub(a, k))
        vid = self.post_id(a, k)
        poster = f"{self.env.base_url}/douyin/img/{vid}.png"
        content = f'<img src="{poster}" referrerpolicy="no-referrer"><br>{escape(title)} #应急科普 #{escape(a.voice.region)}'
        return title, f"{self.env.base_url}/douyin/video/{vid}", vid, content

    def _douyin(self, rest: str) -> Response:
        if rest.startswith("img/"):
            return Response(200, png_bytes(48, 64, (20, 20, 20)), "image/png", last_modified=pub_time(self.env.now, 400.0))
        if rest.startswith("user/"):
            a = self.by_sec_uid.get(rest[len("user/"):])
            if not a:
                return not_found()
            page = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(a.name)}的抖音 - 抖音</title></head>' \
                   f'<body><div id="root"><h1>{escape(a.name)}</h1><p>{escape(a.owner)}官方抖音号</p></div></body></html>'
            return html(page, self.last_modified(a, self.newest(a)))
        if rest.startswith("video/"):
            found = self.by_post.get(rest[len("video/"):])
            if not found or found[0].platform != "feed" or not self.exists(*found):
                return not_found()
            a, k = found
            title, _, vid, content = self._douyin_item(a, k)
            page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)} - 抖音</title>'
                    f'<meta name="description" content="{escape(title)}"></head><body><div class="video-info">'
                    f'<h1>{escape(title)}</h1><span class="author">{escape(a.name)}</span>'
                    f'<span class="time">发布时间：{local_now(self.pub(a, k)):%Y-%m-%d %H:%M}</span>{content}</div></body></html>')
            return html(page, self.last_modified(a, self.pub(a, k)))
        return not_found()

    # --- Weibo --------------------------------------------------------------------------------------

    def _weibo(self, rest: str, query: dict) -> Response:
        if rest.startswith("img/"):
            return Response(200, png_bytes(36, 36, (230, 120, 20)), "image/png", last_modified=pub_time(self.env.now, 400.0))
        if rest == "api/container/getIndex":
            containerid = query.get("containerid", "")
            if query.get("type") == "uid" and query.get("value") in self.by_uid:
                a, timeline = self.by_uid[query["value"]], False
            elif containerid[:6] in ("107603", "230413") and containerid[6:] in self.by_uid:
                a, timeline = self.by_uid[containerid[6:]], True
            else:
                return json_body({"ok": 0, "msg": "请求参数错误", "data": {}}, status=200)
            if "throttled" in self.env.problems_of(a.id):
                return _throttled()
            if not timeline:
                return json_body(self.weibo_profile(a), self.last_modified(a, self.newest(a)))
            try:
                page = max(1, int(query.get("page") or 1))
            except ValueError:
                page = 1
            return json_body(*self.weibo_timeline(a, page))
        if rest == "statuses/extend" or rest.startswith("detail/"):
            found = self.by_post.get(query.get("id", "") if rest == "statuses/extend" else rest[len("detail/"):])
            if not found or found[0].platform != "weibo" or not self.exists(*found):
                return json_body({"ok": 0, "msg": "微博不存在或暂无查看权限!"}) if rest == "statuses/extend" else not_found()
            a, k = found
            if "throttled" in self.env.problems_of(a.id):
                return _throttled()
            lm = self.last_modified(a, self.pub(a, k))
            if rest == "statuses/extend":
                mblog = self.mblog(a, k, full=True)
                return json_body({"ok": 1, "data": {"ok": 1, "longTextContent": mblog["text"],
                                                    "reposts_count": mblog["reposts_count"],
                                                    "comments_count": mblog["comments_count"],
                                                    "attitudes_count": mblog["attitudes_count"]}}, lm)
            render = json.dumps([{"status": self.mblog(a, k, full=True)}], ensure_ascii=False)
            page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>微博正文</title></head><body>'
                    f'<div id="app"></div><script>var $render_data = {render}[0] || {{}};</script></body></html>')
            return html(page, lm)
        if rest.startswith("u/"):
            a = self.by_uid.get(rest[2:])
            if not a:
                return not_found()
            if "throttled" in self.env.problems_of(a.id):
                return _throttled()
            page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(a.name)}的微博</title></head>'
                    f'<body><div id="app"></div><script>var config = {{"uid": "{a.uid}"}};</script></body></html>')
            return html(page, self.last_modified(a, self.newest(a)))
        return not_found()

    def weibo_user(self, a: AccountSpec) -> dict:
        followers = "100万+" if a.index % 2 else 38650 + h64(a.id) % 10000
        return {
            "id": int(a.uid), "screen_name": a.name,
            "profile_image_url": f"{self.env.base_url}/weibo/img/avatar_{a.uid}.png",
            "profile_url": f"{self.env.base_url}/weibo/u/{a.uid}", "statuses_count": 8000 + h64(a.id, "n") % 5000,
            "verified": True, "verified_type": 1, "verified_reason": f"{a.owner}官方微博",
            "description": f"{a.owner}官方微博", "gender": "m", "mbtype": 0, "urank": 48, "mbrank": 0,
            "follow_me": False, "following": False, "followers_count": followers, "follow_count": 312,
        }

    def weibo_profile(self, a: AccountSpec) -> dict:
        uid = a.uid
        return {"ok": 1, "data": {
            "avatar_guide": [], "isStarStyle": 0, "userInfo": self.weibo_user(a),
            "fans_scheme": f"/p/index?containerid=231051_-_fans_intimacy_-_{uid}",
            "follow_scheme": f"/p/index?containerid=231051_-_followersrecomm_-_{uid}",
            "tabsInfo": {"selectedTab": 1, "tabs": [
                {"id": 1, "tabKey": "profile", "must_show": 1, "hidden": 0, "title": "主页", "tab_type": "profile",
                 "containerid": f"230283{uid}"},
                {"id": 2, "tabKey": "weibo", "must_show": 1, "hidden": 0, "title": "微博", "tab_type": "weibo",
                 "containerid": f"107603{uid}", "apipath": "/profile/statuses", "url": "/index/my"},
                {"id": 10, "tabKey": "album", "must_show": 0, "hidden": 0, "title": "相册", "tab_type": "album",
                 "containerid": f"107803{uid}"},
            ]},
            "showAppTips": 0, "scheme": f"sinaweibo://userinfo?uid={uid}",
        }}

    def weibo_timeline(self, a: AccountSpec, page: int) -> tuple[dict, datetime]:
        per_page = 10
        total = self.count(a)
        ks = range((page - 1) * per_page, min(total, page * per_page))
        lm = self.last_modified(a, self.newest(a))
        if not len(ks):
            return {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}, lm
        cards = []
        if page == 1:
            cards.append({"card_type": 31, "hint": "搜索Ta的微博", "scheme": f"/p/index?containerid=100103type%3D401%26uid%3D{a.uid}"})
            pinned = self.mblog(a, -1)
            cards.append({"card_type": 9, "itemid": f"1076031{a.uid}_-_{pinned['id']}", "scheme": self._scheme(pinned),
                          "mblog": pinned, "show_type": 0, "profile_type_id": "proweibotop_"})
        for k in ks:
            mblog = self.mblog(a, k)
            cards.append({"card_type": 9, "itemid": f"1076031{a.uid}_-_{mblog['id']}", "scheme": self._scheme(mblog),
                          "mblog": mblog, "show_type": 0})
            if k == 4:
                cards.append({"card_type": 11, "itemid": "", "card_group": [
                    {"card_type": 4, "desc": "以上为最新内容", "scheme": ""}]})
        more = page * per_page < total
        info = {"containerid": f"107603{a.uid}", "v_p": 42, "show_style": 1, "total": total,
                "page": page + 1 if more else None, "since_id": int(cards[-1].get("mblog", {}).get("id", 0) or 0)}
        return {"ok": 1, "data": {"cardlistInfo": info, "cards": cards, "scheme": ""}}, lm

    def _scheme(self, mblog: dict) -> str:
        return f"{self.env.base_url}/weibo/detail/{mblog['id']}"

    def mblog(self, a: AccountSpec, k: int, full: bool = False) -> dict:
        """Post ``k`` of a Weibo account; ``k == -1`` is the pinned post, months old."""
        seed = self.env.seed
        pinned = k == -1
        pub = pub_time(self.env.now, 300.0 + h01(seed, a.id, "top")) if pinned else self.pub(a, k)
        r = rng(seed, a.id, k, "mblog")
        v = a.voice
        topic = T.TOPICS[h64(seed, a.id, k, "subject") % len(T.TOPICS)]
        title = T.ordinary_title("news", r, v, pub, k, topic)
        article = T.ordinary_article("news", title, r, v, pub, topic)
        long_text = k == 4
        body, limit = "", 360 if long_text else r.randint(60, 130)
        for sentence in "".join(value for kind, value in article.blocks if kind == "p").split("。"):
            if body and len(body) + len(sentence) > limit:
                break
            body += sentence + "。"
        post_id = self.pinned_id(a) if pinned else self.post_id(a, k)
        tag = f"#{v.region}发布#"
        topic = (f'<a  href="/weibo/search?containerid=231522type%3D1%26q%3D{quote(tag)}" data-hide="">'
                 f'<span class="surl-text">{tag}</span></a>')
        text = f"【{escape(title)}】{escape(body)}{topic}"
        if long_text and not full:
            text = f'【{escape(title)}】{escape(body[:110])}...<a href="/status/{post_id}">全文</a>'
        if pinned:
            text = f"【置顶】{v.region}政务服务热线12345，24小时受理群众诉求。" + topic
        pics = []
        if k % 2 == 0 and not pinned:
            for j in range(1 + k % 3):
                pid = hexdigest(seed, a.id, k, j, length=32)
                pics.append({"pid": pid, "url": f"{self.env.base_url}/weibo/img/orj360_{pid}.png", "size": "orj360",
                             "geo": {"width": 360, "height": 240, "croped": False},
                             "large": {"size": "large", "url": f"{self.env.base_url}/weibo/img/large_{pid}.png"}})
        created = _weibo_full(pub) if pinned or k % 3 == 2 else _weibo_display(pub, self.env.now)
        mblog = {
            "visible": {"type": 0, "list_id": 0}, "created_at": created, "id": post_id, "mid": post_id,
            "bid": self.bid(a, k), "can_edit": False, "text": text, "textLength": len(text),
            "source": r.choice(("微博 weibo.com", "iPhone客户端", "微博网页版")), "favorited": False,
            "pic_ids": [p["pid"] for p in pics], "pic_num": len(pics), "pics": pics, "is_paid": False,
            "user": self.weibo_user(a), "isLongText": long_text, "mblogtype": 2 if pinned else 0,
            "reposts_count": "1万+" if k == 3 else r.randint(0, 400),
            "comments_count": r.randint(0, 200),
            "attitudes_count": "100万+" if k == 1 else r.randint(5, 3000),
            "pending_approval_count": 0,
        }
        if pinned:
            mblog["isTop"] = 1
            mblog["title"] = {"text": "置顶", "base_color": 1}
        if k == 6:
            mblog["text"] = f"转发，请广大市民周知。{topic}"
            mblog["retweeted_status"] = self._retweeted(pub, r)
        if k == 7:
            mblog["page_info"] = {"type": "video", "object_type": 11, "page_title": f"{title}",
                                  "page_pic": {"url": f"{self.env.base_url}/weibo/img/video_{post_id}.png"},
                                  "media_info": {"duration": 95.0, "stream_url": ""}}
        return mblog

    def _retweeted(self, pub: datetime, r) -> dict:
        origin = T.Voice("示范省", "省", "国", "示范省人民政府", "示范省人民政府新闻办公室", "副省长", "")
        when = pub - timedelta(hours=2)
        title = T.ordinary_title("news", r, origin, when, 0)
        rid = non_luhn_digits(r, "50", 16)
        return {"created_at": _weibo_full(when), "id": rid, "mid": rid, "bid": "P" + rid[-8:],
                "text": f"【{escape(title)}】{escape(T.summary(T.ordinary_article('news', title, r, origin, when), 90))}",
                "isLongText": False, "pic_num": 0, "pics": [], "reposts_count": r.randint(100, 900),
                "comments_count": r.randint(10, 300), "attitudes_count": r.randint(100, 5000),
                "user": {"id": 5600000001, "screen_name": "示范省发布", "verified": True, "verified_type": 1,
                         "verified_reason": "示范省人民政府新闻办公室官方微博", "followers_count": "215万"}}

    # --- registry, planted problems, landmarks -----------------------------------------------------

    def target(self, a: AccountSpec) -> dict:
        return {
            "id": a.id, "name": a.name, "platform": a.platform, "url": self.account_url(a),
            "account_id": a.biz if a.platform == "wechat" else a.uid, "feed_url": self.feed_url(a),
            "owner": a.owner, "owner_level": a.level, "office": f"{a.owner}办公室",
            "emails": [f"xmt.{a.id.replace('-', '')}@demo.gov.cn"],
            "operator_type": "mainstream_media" if a.id == "weibo-01" else "self",
            "operator_name": "示范日报社" if a.id == "weibo-01" else a.owner, "operator_qualified": None,
            "parent": a.parent, "content_type": a.content_type, "columns": [],
            "tags": ["demo", {"wechat": "微信", "weibo": "微博", "feed": "抖音"}[a.platform]],
        }

    def planted(self, a: AccountSpec) -> list[dict]:
        problems = self.env.problems_of(a.id)
        out = []

        def add(problem: str, rule: str, url: str, match: str = "") -> None:
            out.append({"target_id": a.id, "rule": rule, "url": url, "match": match, "problem": problem,
                        "parent_url": ""})

        if "throttled" in problems:
            add("throttled", "collector.error", self.account_url(a), "432")
        if "empty" in problems:
            add("empty", "account.empty", self.account_url(a))
        elif "stale" in problems:
            add("stale", "account.stale_veto", self.account_url(a))
        if a.platform == "wechat" and self.count(a) > BLOCKED_SLOT and "blocked" in problems:
            add("blocked", "collector.error", self.wechat_url(a, BLOCKED_SLOT), "环境异常")
        if a.platform == "wechat" and self.count(a) > max(WECHAT_SLOTS):
            for k, role in WECHAT_SLOTS.items():
                url = self.wechat_url(a, k)
                if role == "fitness" and "banned_term" in problems:
                    add("banned_term", "banned.cult", url, "法轮功")
                if role == "meeting" and "secret_marker" in problems:
                    add("secret_marker", "secret.marker", url, "机密★1年")
                if role == "expo" and "wrong_term" in problems:
                    add("wrong_term", "expression.term", url, "北朝鲜")
                if role == "elevator" and "typo" in problems:
                    add("typo", "expression.typo", url, "按装")
                if role == "publicity" and "privacy_leak" in problems:
                    persons = T.publicity_article(rng(self.env.seed, a.id, k, "body"), a.voice, self.pub(a, k), True)[1]
                    for p in persons:
                        add("privacy_leak", "privacy.id_number", url, p["id"])
                        add("privacy_leak", "privacy.mobile", url, p["mobile"])
        return out

    def landmarks(self) -> dict:
        out = {}
        wechat = [a for a in self.specs if a.platform == "wechat"]
        weibo = [a for a in self.specs if a.platform == "weibo"]
        base = self.env.base_url
        for a in wechat:
            problems = a.defaults
            if "deleted_article" in problems:
                out["wechat_deleted"] = self.wechat_url(a, DELETED_SLOT)
                out["wechat_article"] = self.wechat_url(a, 0)
                out["rss"] = self.feed_url(a, "rss")
                out["atom"] = self.feed_url(a, "atom")
                out["json_feed"] = self.feed_url(a, "json")
            if "blocked" in problems:
                out["wechat_blocked"] = self.wechat_url(a, BLOCKED_SLOT)
            if "stale" in problems:
                out["stale_feed"] = self.feed_url(a)
            if "empty" in problems:
                out["empty_feed"] = self.feed_url(a)
        for a in weibo:
            key = "weibo_throttled" if "throttled" in a.defaults else "weibo"
            if f"{key}_profile" in out:
                continue
            out[f"{key}_profile"] = f"{base}/weibo/api/container/getIndex?type=uid&value={a.uid}"
            out[f"{key}_timeline"] = f"{base}/weibo/api/container/getIndex?containerid=107603{a.uid}&page=1"
            if key == "weibo":
                out["weibo_long_text"] = f"{base}/weibo/statuses/extend?id={self.post_id(a, 4)}"
        douyin = next((a for a in self.specs if a.platform == "feed"), None)
        if douyin:
            out["douyin_feed"] = self.feed_url(douyin)
        return out


def _throttled() -> Response:
    body = "<html><head><title>432</title></head><body>请求过于频繁，请稍后再试</body></html>".encode("utf-8")
    return Response(432, body, "text/html; charset=utf-8", validators=False)


def _weibo_full(dt: datetime) -> str:
    """Sat Nov 21 10:00:00 +0800 2026"""
    t = local_now(dt)
    return f"{WEEK_EN[t.weekday()]} {MONTH_EN[t.month - 1]} {t.day:02d} {t:%H:%M:%S} +0800 {t.year}"


def _weibo_display(dt: datetime, now: datetime) -> str:
    """How m.weibo.cn shows a time: 刚刚, 5分钟前, 3小时前, 昨天 12:00, 11-14, 2025-11-14."""
    t, n = local_now(dt), local_now(now)
    seconds = (n - t).total_seconds()
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if t.date() == n.date():
        return f"{int(seconds // 3600)}小时前"
    if t.date() == n.date() - timedelta(days=1):
        return f"昨天 {t:%H:%M}"
    if t.year == n.year:
        return f"{t:%m-%d}"
    return f"{t:%Y-%m-%d}"


_WECHAT_MESSAGE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0">
<title>{title}</title>
</head>
<body class="zh_CN">
<div class="weui-msg">
<div class="weui-msg__icon-area"><i class="weui-icon-warn weui-icon_msg"></i></div>
<div class="weui-msg__text-area">{body}</div>
</div>
</body>
</html>
"""

_WECHAT_ARTICLE = """<!DOCTYPE html>
<html class="">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0,viewport-fit=cover">
<meta name="description" content="{digest}">
<meta name="author" content="">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{cover}">
<meta property="og:description" content="{digest}">
<meta property="og:site_name" content="微信公众平台">
<meta property="og:type" content="article">
<meta property="og:article:author" content="">
<meta property="twitter:card" content="summary">
<meta property="twitter:title" content="{title}">
<title>{title}</title>
</head>
<body id="activity-detail" class="zh_CN wx_wap_page mm_appmsg comment_feature discuss_tab appmsg_skin_default appmsg_style_default">
<div id="js_article" class="rich_media">
<div class="rich_media_inner">
<div id="page-content" class="rich_media_area_primary">
<div class="rich_media_area_primary_inner">
<div id="img-content" class="rich_media_wrp">
<h1 class="rich_media_title " id="activity-name">
{title}
</h1>
<div id="meta_content" class="rich_media_meta_list">
<span class="rich_media_meta rich_media_meta_nickname" id="profileBt">
<a href="javascript:void(0);" class="wx_tap_link js_wx_tap_highlight weui-wa-hotarea" id="js_name">
{nickname}
</a>
<div id="js_profile_qrcode" class="profile_container" style="display:none;">
<div class="profile_inner">
<strong class="profile_nickname">{nickname}</strong>
<p class="profile_meta"><label class="profile_meta_label">微信号</label><span class="profile_meta_value">{alias}</span></p>
<p class="profile_meta"><label class="profile_meta_label">功能介绍</label><span class="profile_meta_value">{intro}</span></p>
</div>
</div>
</span>
<em id="publish_time" class="rich_media_meta rich_media_meta_text">{publish_time}</em>
</div>
<div class="rich_media_content js_underline_content autoTypeSetting24psection" id="js_content" style="visibility: visible;">
{content}
</div>
</div>
</div>
</div>
</div>
</div>
<script type="text/javascript" nonce="">
    var biz = "{biz}" || "";
    var sn = "{sn}" || "" || "";
    var mid = "{mid}" || "" || "";
    var idx = "1" || "" || "";
    var nickname = "{js_nickname}";
    var appmsg_type = "9";
    var ct = "{ct}";
    var user_name = "{gh}";
    var msg_title = "{js_title}";
    var msg_desc = "{js_digest}";
    var msg_link = "{js_url}";
    var msg_cdn_url = "{cover}";
</script>
</body>
</html>
"""
