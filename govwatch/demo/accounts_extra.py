"""Extra account pages of the farm, under ``/x/``: what the account collectors need beyond media.py.

- ``/x/toutiao/c/user/<token>/``: a Toutiao-like account page (no feed): a list of article
  cards (``div.feed-card`` with ``a.title``, ``span.time`` in mixed forms: full, 昨天, N天前,
  year-less) and a follower count ``粉丝 1.2万``; read by the generic account collector with
  selectors. Articles at ``/x/toutiao/article/<id>/``.
- ``/x/toutiao/c/user/<gone token>/``: the same platform saying the account was cancelled (该账号已注销).
- ``/x/weibo/…``: a Weibo API for one uid that no longer exists (``{"ok": 0, "msg": "用户不存在"}``).

``extra_targets(farm)`` gives their registry rows (not part of ``Farm.targets()``, so the default
registry and everything counted on it stay as they are). ``route_extra(farm, path, query)`` is
hooked into ``Farm.handle``.
"""
from __future__ import annotations

from html import escape

from govwatch.demo import text as T
from govwatch.demo.util import hexdigest, local_now, pub_time, rng, series_age
from govwatch.demo.web import Response, html, json_body, not_found

TOUTIAO_POSTS = 12
GONE_WEIBO_UID = "5999999901"
TOUTIAO_SELECTORS = {"item": "div.feed-card", "title": "a.title::text", "link": "a.title::attr(href)",
                     "date": "span.time::text", "followers": "span.fans em::text"}


def _token(farm, name: str) -> str:
    return "MS4wLjAB" + hexdigest(farm.seed, "toutiao", name, length=24)


def _voice() -> T.Voice:
    return T.Voice("示范市", "市", "省", "示范市人民政府", "示范市交通运输局", "局长",
                   "各县（市、区）交通运输局：")


def toutiao_pub(farm, k: int):
    return pub_time(farm.now, series_age(0.4, 1.3, k, farm.seed, "toutiao"))


def _shown(farm, k: int) -> str:
    """The time as a Toutiao list shows it, in a different form for different posts."""
    when, now = local_now(toutiao_pub(farm, k)), local_now(farm.now)
    days = (now.date() - when.date()).days
    if k % 4 == 1 and days == 1:
        return f"昨天 {when:%H:%M}"
    if k % 4 == 2 and 1 < days < 7:
        return f"{days}天前"
    if k % 4 == 3 and when.year == now.year:
        return f"{when.month}月{when.day}日"
    return f"{when:%Y-%m-%d %H:%M}"


def toutiao_post_id(farm, k: int) -> str:
    return str(7300000000000000000 + int(hexdigest(farm.seed, "toutiao", k, length=12), 16) % 10**15)


def extra_targets(farm) -> list[dict]:
    base = farm.base_url
    common = {"owner_level": "部门", "parent": "示范市人民政府办公室", "operator_type": "self",
              "content_type": "text", "columns": [], "tags": ["demo"]}
    return [
        {"id": "toutiao-01", "name": "示范交通", "platform": "toutiao", "owner": "示范市交通运输局",
         "office": "示范市交通运输局办公室", "emails": ["xmt.toutiao01@demo.gov.cn"],
         "url": f"{base}/x/toutiao/c/user/{_token(farm, 'live')}/", "account_id": _token(farm, "live"),
         "crawl": {"selectors": dict(TOUTIAO_SELECTORS)}, **common},
        {"id": "toutiao-02", "name": "示范旧号", "platform": "toutiao", "owner": "示范市交通运输局",
         "office": "示范市交通运输局办公室", "emails": ["xmt.toutiao02@demo.gov.cn"],
         "url": f"{base}/x/toutiao/c/user/{_token(farm, 'gone')}/", "account_id": _token(farm, "gone"),
         "crawl": {"selectors": dict(TOUTIAO_SELECTORS)}, **common},
        {"id": "weibo-09", "name": "示范旧微博", "platform": "weibo", "owner": "示范市档案馆",
         "office": "示范市档案馆办公室", "emails": ["xmt.weibo09@demo.gov.cn"],
         "url": f"{base}/x/weibo/u/{GONE_WEIBO_UID}", "account_id": GONE_WEIBO_UID, **common},
    ]


def _toutiao_article(farm, k: int) -> T.Article:
    pub = toutiao_pub(farm, k)
    r = rng(farm.seed, "toutiao", k)
    title = T.ordinary_title("news", rng(farm.seed, "toutiao", k, "title"), _voice(), pub, k)
    return T.ordinary_article("news", title, r, _voice(), pub)


def _toutiao_home(farm) -> Response:
    cards = []
    for k in range(TOUTIAO_POSTS):
        article = _toutiao_article(farm, k)
        cards.append(
            f'<div class="feed-card"><a class="title" href="/x/toutiao/article/{toutiao_post_id(farm, k)}/">'
            f'{escape(article.title)}</a><p class="abstract">{escape(T.summary(article, 60))}</p>'
            f'<span class="source">示范交通</span> · <span class="time">{_shown(farm, k)}</span></div>')
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>示范交通的主页 - 今日头条</title></head><body>'
            '<div class="user-info"><h1 class="name">示范交通</h1><p>示范市交通运输局官方头条号</p>'
            '<span class="fans">粉丝 <em>1.2万</em></span> <span class="follow">关注 <em>36</em></span></div>'
            f'<div class="feed-list">{"".join(cards)}</div>'
            '<div class="footer">© 今日头条</div></body></html>')
    return html(page, toutiao_pub(farm, 0))


def _toutiao_gone() -> Response:
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>今日头条</title></head><body>'
            '<div class="empty-state"><p>该账号已注销</p><a href="/">返回首页</a></div></body></html>')
    return html(page)


def _toutiao_article_page(farm, post_id: str) -> Response:
    for k in range(TOUTIAO_POSTS):
        if toutiao_post_id(farm, k) == post_id:
            article = _toutiao_article(farm, k)
            when = local_now(toutiao_pub(farm, k))
            body = "".join(f"<p>{escape(v)}</p>" for kind, v in article.blocks if kind == "p")
            page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(article.title)} - 今日头条</title>'
                    f'<meta name="PubDate" content="{when:%Y-%m-%d %H:%M}"></head><body><div class="article-content">'
                    f'<h1>{escape(article.title)}</h1><div class="article-meta"><span>示范交通</span>'
                    f'<span>发布时间：{when:%Y-%m-%d %H:%M}</span></div><article>{body}</article></div></body></html>')
            return html(page, when)
    return not_found()


def route_extra(farm, path: str, query: dict) -> Response | None:
    """Serve a ``/x/`` path, or None when the path is not ours."""
    if not path.startswith("/x/"):
        return None
    rest = path[3:]
    if rest.startswith("toutiao/c/user/"):
        token = rest[len("toutiao/c/user/"):].strip("/")
        if token == _token(farm, "live"):
            return _toutiao_home(farm)
        if token == _token(farm, "gone"):
            return _toutiao_gone()
        return not_found()
    if rest.startswith("toutiao/article/"):
        return _toutiao_article_page(farm, rest[len("toutiao/article/"):].strip("/"))
    if rest.startswith("weibo/"):
        if rest == "weibo/api/container/getIndex" and GONE_WEIBO_UID in (query.get("value"), query.get("containerid", "")[6:]):
            return json_body({"ok": 0, "msg": "用户不存在", "data": {}})
        if rest == f"weibo/u/{GONE_WEIBO_UID}":
            return html('<!DOCTYPE html><html><head><meta charset="utf-8"><title>微博</title></head>'
                        '<body><p>用户不存在</p></body></html>', status=200)
        return json_body({"ok": 0, "msg": "请求参数错误", "data": {}})
    return not_found()


__all__ = ["extra_targets", "route_extra", "TOUTIAO_SELECTORS", "GONE_WEIBO_UID", "toutiao_pub", "TOUTIAO_POSTS"]
