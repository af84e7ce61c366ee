"""Accounts read through a feed (RSS 2.0, Atom, JSON Feed), and WeChat article pages.

A feed gives the account's timeline: entry titles, links and times. WeChat links are then fetched
and parsed (``crawler.wechat.parse_wechat``) for the full text and the exact time (``var ct``);
links of other platforms are stored from the feed alone unless ``crawl.fetch_pages`` is set.

One article, one item. An article's identity is ``https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…``
(``wechat_identity``): from the page's canonical URL when it was fetched (a short ``/s/…`` link
becomes the long form through the page's script variables), else from the link, whatever host
served it (a bridge's mirror, the demo farm). The item id is ``item_id("wechat", identity)``, so a
feed entry, a URL-list entry and ``govwatch extract`` of the page all name one item; the item URL
is the identity on mp.weixin.qq.com (a page served elsewhere keeps its address, with only the
four parameters). An entry whose page could not be fetched (环境异常, network) is stored from the
feed under its link and marked pending (``meta.validator = "pending:…"``): the next run fetches
the page again and keeps the item's id. Articles already stored are not fetched again
(``meta.validator = "link:…"`` remembers the feed link through which a page was reached).

After ``crawl.wechat_blocked_limit`` (default 2) blocked article pages in a row (环境异常 / captcha)
no more pages are requested for this account in this run: WeChat blocks a client, not an article,
and insisting makes the block last. Every blocked answer doubles the host's request spacing.
"""
from __future__ import annotations

import html as html_lib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.collector import AccountResult, Context
from crawler.http import Fetched
from crawler.feeds import FeedEntry, FeedError, parse_feed
from govwatch.models import Item, Target, item_id

WECHAT_KEYS = ("__biz", "mid", "idx", "sn")
MP_ARTICLE = "https://mp.weixin.qq.com/s"
# What an article page says when the whole account is gone (not just the article).
ACCOUNT_GONE_PHRASES = ("此帐号已被屏蔽", "此账号已被屏蔽", "该公众号已被封禁", "此帐号已自主注销",
                        "此账号已自主注销", "该账号已注销", "该帐号已注销", "此帐号已注销", "此公众号已注销",
                        "该公众号已注销", "账号已被封禁", "帐号已被封禁")
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")


def wechat_identity(url: str, page_canonical: str = "") -> str:
    """What identifies a WeChat article: ``https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…``
    when the four parameters are known (from the page's canonical URL or from ``url``, whatever host
    served it: a bridge's mirror or the demo farm name the same article), else the URL itself
    (a short ``/s/…`` link whose page was not read) without its fragment."""
    from crawler.wechat import canonical_wechat_url

    for candidate in (page_canonical, url):
        if not candidate:
            continue
        query = dict(parse_qsl(urlsplit(html_lib.unescape(candidate)).query))
        if all(query.get(k) for k in WECHAT_KEYS):
            return f"{MP_ARTICLE}?{urlencode([(k, query[k]) for k in WECHAT_KEYS])}"
    best = page_canonical or url
    return urlunsplit(urlsplit(canonical_wechat_url(best))[:4] + ("",)) if best else ""


def wechat_item_url(url: str, identity: str) -> str:
    """The item's URL: its identity on mp.weixin.qq.com; a page served by another host (a mirror,
    the demo farm) keeps its own address, with only the four parameters."""
    host = (urlsplit(url).hostname or "").lower()
    if not url or host.endswith("weixin.qq.com") or "?" not in identity:
        return identity
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, identity.split("?", 1)[1], ""))


def is_wechat(target: Target, link: str) -> bool:
    host = (urlsplit(link).hostname or "").lower()
    return host.endswith("weixin.qq.com") or (target.platform == "wechat" and "/s" in urlsplit(link).path)


class _Known:
    """Which articles are stored already (by identity, and by the feed link they were reached
    through) and which wait for their page."""

    def __init__(self, signatures: dict[str, tuple[str, str, str]]):
        self.done: set[str] = set()
        self.pending: set[str] = set()
        for url, (_hash, validator, _title) in signatures.items():
            identity = wechat_identity(url)
            if validator.startswith("pending:"):
                self.pending.add(identity)
                continue
            self.done.add(identity)
            if validator.startswith("link:"):
                self.done.add(validator[5:])


def _fetch_kind(fetched: Fetched) -> str:
    if fetched.error_kind:
        return fetched.error_kind
    status = fetched.status or 0
    if status in (429, 432):
        return "rate_limited"
    if status in (403, 418):
        return "blocked"
    if status == 401:
        return "login_expired"
    return "http"


def _fetch_failed(result: AccountResult, fetched: Fetched, what: str) -> None:
    message = fetched.error if fetched.error_kind else f"HTTP {fetched.status}"
    result.fail(_fetch_kind(fetched), f"{what}：{message}", fetched.url, fetched.status)


class _WechatPages:
    """Fetches WeChat article pages for one account, stopping at the first blocked page."""

    def __init__(self, target: Target, ctx: Context, result: AccountResult):
        self.target, self.ctx, self.result = target, ctx, result
        self.known = _Known(ctx.known)
        self.stopped = False
        self.blocked_in_row = 0
        self.blocked_limit = max(1, int(ctx.crawl.get("wechat_blocked_limit", 2)))

    def _blocked(self, link: str) -> None:
        self.ctx.http.penalize(link, lane="wechat")
        self.blocked_in_row += 1
        self.stopped = self.blocked_in_row >= self.blocked_limit
        self.result.pages_broken = self.result.pages_broken or self.stopped

    def wanted(self, link: str) -> bool:
        return wechat_identity(link) not in self.known.done

    def item(self, link: str, entry: FeedEntry | None) -> Item | None:
        """The item for one article link (fetching its page), or None when nothing can be stored."""
        from crawler.wechat import parse_wechat

        link_key = wechat_identity(link)
        if self.stopped:
            return self._from_feed(link_key, entry, "前面的文章页面已被拦截，本轮未再请求")
        fetched = self.ctx.http.get(link, lane="wechat")
        if not fetched.ok:
            _fetch_failed(self.result, fetched, f"微信文章《{entry.title if entry else link}》")
            if _fetch_kind(fetched) in ("blocked", "rate_limited"):
                self._blocked(link)
            return self._from_feed(link_key, entry, "文章页面未能获取")
        page = parse_wechat(fetched.body, fetched.final_url or link)
        if page.state == "blocked":
            self._blocked(link)
            self.result.fail("blocked", f"微信文章页面要求验证（环境异常或验证码）：{entry.title if entry else link}",
                             link, fetched.status)
            return self._from_feed(link_key, entry, "文章页面要求验证")
        self.blocked_in_row = 0
        snapshot = self.result.snapshot(fetched.body)
        state = page.state
        if not page.text:
            raw = fetched.body.decode("utf-8", "replace")
            said = next((p for p in ACCOUNT_GONE_PHRASES if p in raw), "")
            if said:
                self.result.gone(said, link)
                state = "deleted"
        key = wechat_identity(fetched.final_url or link, page.canonical_url)
        # one article, one item: an item stored earlier under its feed link (a short link whose page
        # was blocked) keeps its id
        reuse = key != link_key and key not in self.known.done and (
            link_key in self.known.pending or link_key in self.known.done)
        stored_key = link_key if reuse else key
        live = state == "live"
        published, source = page.published_at, page.published_at_source
        if published is None and entry is not None and entry.published is not None:
            published, source = entry.published, "feed"
        item = Item(
            target_id=self.target.id, platform="wechat", id=item_id("wechat", stored_key),
            url=wechat_item_url(fetched.final_url or link, key),
            title=page.title or (entry.title if entry else ""),
            published_at=published, published_at_source=source if published else "none",
            published_at_precision=page.published_at_precision if published is page.published_at else "",
            source=page.source, author=page.author or (entry.author if entry else ""),
            text=page.text if live else "", links=page.links if live else [],
            attachments=page.attachments if live else [], images=page.images if live else [],
            meta={"validator": f"link:{link_key}", "fetched_url": fetched.final_url or link, "canonical_url": key,
                  **{k: v for k, v in page.meta.items() if k in ("account", "biz", "mid", "idx", "sn",
                                                                 "source_url", "description")}},
            state="live" if live else "deleted", snapshot=snapshot,
            parent_url=self.target.feed_url,
        )
        return item

    def _from_feed(self, link_key: str, entry: FeedEntry | None, why: str) -> Item | None:
        if entry is None:
            return None  # a bare URL without a feed entry: nothing to store until the page loads
        item = feed_item(self.target, entry, url=wechat_item_url(entry.link, link_key))
        item.id = item_id("wechat", link_key)
        item.meta["validator"] = f"pending:{link_key}"
        item.meta["page"] = why
        return item


def feed_item(target: Target, entry: FeedEntry, url: str = "") -> Item:
    return Item(
        target_id=target.id, platform=target.platform if target.platform != "website" else "feed",
        url=url or entry.link or entry.id, title=entry.title, published_at=entry.published,
        published_at_source="feed" if entry.published else "none", author=entry.author,
        text=entry.text, links=entry.links, images=entry.images,
        attachments=[{"url": e["url"], "text": "", "ext": e.get("type", "")} for e in entry.enclosures],
        meta={"feed_id": entry.id, "published_raw": entry.published_raw}, parent_url=target.feed_url,
    )


def _page_item(target: Target, ctx: Context, result: AccountResult, entry: FeedEntry) -> Item:
    """A non-WeChat entry with its page fetched (``crawl.fetch_pages``) for the full text."""
    from crawler.extract import extract_page

    item = feed_item(target, entry)
    fetched = ctx.http.get(entry.link, lane=target.platform)
    if not fetched.ok:
        _fetch_failed(result, fetched, f"文章页面《{entry.title}》")
        return item
    page = extract_page(fetched.body, fetched.final_url or entry.link, fetched.headers, now=ctx.now)
    if page.state == "blocked":
        result.fail("blocked", f"文章页面要求验证：{entry.title}", entry.link, fetched.status)
        return item
    item.snapshot = result.snapshot(fetched.body)
    if page.state == "deleted":
        item.state, item.text, item.links = "deleted", "", []
    elif page.text:
        item.text, item.links, item.images = page.text, page.links, page.images or item.images
        item.attachments = page.attachments
        item.source = page.source
    if entry.published is None and page.published_at:
        item.published_at, item.published_at_source = page.published_at, page.published_at_source
        item.published_at_precision = page.published_at_precision
    item.content_hash = ""
    item.__post_init__()
    return item


def collect_feed(target: Target, ctx: Context, result: AccountResult) -> AccountResult:
    fetched = ctx.http.get(target.feed_url, headers={"Accept": FEED_ACCEPT}, lane="feed")
    if not fetched.ok:
        _fetch_failed(result, fetched, "订阅源")
        return result
    limit = int((target.crawl or {}).get("feed_entries", ctx.crawl.get("feed_entries", 50)))
    try:
        feed = parse_feed(fetched.body, target.feed_url, ctx.now, max_entries=limit)
    except FeedError as exc:
        result.fail("parse", f"订阅源无法解析：{exc}", target.feed_url, fetched.status)
        return result
    snapshot = result.snapshot(fetched.body)
    result.timeline_ok = True
    result.status = "live"
    fetch_pages = bool((target.crawl or {}).get("fetch_pages", ctx.crawl.get("fetch_pages", False)))
    pages = _WechatPages(target, ctx, result)
    seen: set[str] = set()
    for entry in feed.entries[:limit]:
        link = entry.link or entry.id
        if not link or link in seen:
            continue
        seen.add(link)
        if is_wechat(target, link):
            if not pages.wanted(link):
                continue
            item = pages.item(link, entry)
        elif fetch_pages and link.startswith(("http://", "https://")):
            if link in pages.known.done:
                continue
            item = _page_item(target, ctx, result, entry)
        else:
            item = feed_item(target, entry)
            item.snapshot = snapshot
        if item is not None:
            result.items.append(item)
    return result


def collect_wechat_urls(target: Target, ctx: Context, result: AccountResult) -> AccountResult:
    """A WeChat account given as a list of article URLs (``crawl.urls``), for accounts without a bridge."""
    urls = [str(u) for u in (target.crawl or {}).get("urls") or [] if u]
    pages = _WechatPages(target, ctx, result)
    answered = 0
    for url in urls:
        if not pages.wanted(url):
            answered += 1
            continue
        before = len(result.errors)
        item = pages.item(url, None)
        if item is not None:
            result.items.append(item)
            answered += 1
        elif len(result.errors) == before:
            answered += 1
    result.timeline_ok = answered > 0 or not urls
    if result.status != "gone":
        result.status = "live" if result.timeline_ok else "unknown"
    return result
