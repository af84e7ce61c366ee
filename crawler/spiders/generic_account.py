"""Accounts on platforms without a feed, read from their page with selectors from the registry.

``target.crawl``::

    {"selectors": {"item": "div.feed-card",            # one element per post (required)
                   "title": "a.title::text",           # default: the text of the link
                   "link": "a.title::attr(href)",      # default: the first a[href] in the item
                   "date": "span.time::text",          # full, year-less or relative (昨天, 3天前)
                   "followers": "span.fans em::text"}, # optional, page-wide: "1.2万", "100万+"
     "list_url": "…",                                  # default: target.url
     "fetch_pages": false,                             # fetch each new post for its full text
     "gone_phrases": ["…"]}                            # extra "account gone" wording

Selectors are CSS as in Scrapy/parsel (``::text``, ``::attr(name)``); a selector without a
pseudo-element gives the element's whole text (``attr(href)`` for the link).

A page where the item selector matches nothing is a collector error (``parse``): the page layout
more likely changed than the account emptied, and an empty page is not evidence of a 空壳 account.
The account is ``gone`` only when such a page says so (注销, 封禁, 不存在 …).
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.collector import AccountResult, Context
from crawler.weibo import parse_count
from govwatch.models import Item, Target

GONE_PHRASES = (
    "该账号已注销", "该帐号已注销", "账号已注销", "帐号已注销", "用户已注销", "该用户已注销", "用户不存在",
    "该用户不存在", "账号不存在", "帐号不存在", "该账号已被封禁", "账号已被封禁", "帐号已被封禁", "账号已封禁",
    "该账号已冻结", "账号已冻结", "该账号因违反", "此账号已被屏蔽", "此帐号已被屏蔽",
)
BLOCKED_PHRASES = ("验证码", "安全验证", "环境异常", "访问过于频繁", "请完成验证", "captcha", "滑块")
LOGIN_PHRASES = ("请登录", "登录后查看", "扫码登录")


def _pick(scope, selector: str | None, default_attr: str = "") -> str:
    if not selector:
        return ""
    found = scope.css(selector)
    if not found:
        return ""
    if "::" in selector:
        return " ".join(" ".join(v.split()) for v in found.getall() if v and v.strip())
    if default_attr:
        value = found[0].attrib.get(default_attr)
        if value:
            return value.strip()
    return " ".join(found[0].xpath("string()").get("").split())


def _visible(selector) -> str:
    return " ".join(" ".join(selector.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()).split())


def collect_generic(target: Target, ctx: Context, result: AccountResult) -> AccountResult:
    from parsel import Selector

    from crawler.dates import parse_date_match
    from crawler.encoding import decode_html

    crawl = target.crawl or {}
    selectors = crawl.get("selectors") or {}
    url = str(crawl.get("list_url") or target.url)
    if not selectors.get("item"):
        result.fail("config", "页面选择器缺少 item（每条信息对应的元素）")
        return result
    fetched = ctx.http.get(url, verify=crawl.get("verify_tls"), lane=target.platform)
    if fetched.error_kind:
        result.fail(fetched.error_kind, f"账号页面：{fetched.error}", url)
        return result
    text_html = decode_html(fetched.body, fetched.content_type)[0] if fetched.body else ""
    page = Selector(text=text_html or "<html></html>")
    visible = _visible(page)
    gone_phrases = tuple(crawl.get("gone_phrases") or ()) + GONE_PHRASES
    status = fetched.status or 0
    if status in (429, 432):
        result.fail("rate_limited", f"账号页面访问受限（HTTP {status}）", url, status)
        ctx.http.penalize(url, lane=target.platform)
        return result
    if status in (403, 418):
        result.fail("blocked", f"账号页面拒绝访问（HTTP {status}）", url, status)
        ctx.http.penalize(url, lane=target.platform)
        return result
    if re.search(r"passport\.|/login|/signin", fetched.final_url or ""):
        result.fail("login_expired", "账号页面要求登录", url, status)
        return result
    items = page.css(selectors["item"]) if status < 400 else []
    if not items:
        said = next((p for p in gone_phrases if p in visible), "")
        if said and (status < 400 or status in (404, 410)):
            result.snapshot(fetched.body)
            result.gone(said, url)
            return result
        if status >= 400:
            result.fail("http", f"账号页面：HTTP {status}", url, status)
        elif any(p in visible for p in LOGIN_PHRASES):
            result.fail("login_expired", "账号页面要求登录", url, status)
        elif any(p.lower() in visible.lower() for p in BLOCKED_PHRASES):
            result.fail("blocked", "账号页面要求验证（验证码或环境异常）", url, status)
            ctx.http.penalize(url, lane=target.platform)
        else:
            result.fail("parse", f"选择器“{selectors['item']}”在账号页面上没有匹配到任何条目，页面结构可能已改变", url, status)
        return result

    snapshot = result.snapshot(fetched.body)
    result.timeline_ok = True
    result.status = "live"
    if selectors.get("followers"):
        raw = _pick(page, selectors["followers"])
        m = re.search(r"\d+(?:\.\d+)?\s*(?:万|亿|w|W|k|K)?\+?", raw.replace(",", ""))
        result.followers = parse_count(m.group(0)) if m else None
    base = fetched.final_url or url
    fetch_pages = bool(crawl.get("fetch_pages", False))
    known = set(ctx.known)
    seen: set[str] = set()
    for el in items:
        href = _pick(el, selectors.get("link") or "a[href]", default_attr="href")
        if not href or href.startswith(("javascript:", "#")):
            continue
        link = urljoin(base, href)
        if link in seen:
            continue
        seen.add(link)
        title = _pick(el, selectors.get("title")) if selectors.get("title") else ""
        if not title:
            title = _pick(el, selectors.get("link") or "a[href]") if "::attr" not in (selectors.get("link") or "") else ""
            title = title or " ".join(el.xpath("string()").get("").split())[:80]
        shown = _pick(el, selectors.get("date")) if selectors.get("date") else ""
        match = parse_date_match(shown, ctx.now) if shown else None
        item = Item(target_id=target.id, platform=target.platform, url=link, title=title,
                    published_at=match.value if match else None,
                    published_at_source="list" if match else "none",
                    text=title, meta={"date_shown": shown, "validator": ""}, snapshot=snapshot,
                    parent_url=url)
        if fetch_pages and link not in known:
            _with_page(item, ctx, result)
        elif link in known:
            continue  # stored already: not fetched or rewritten again
        result.items.append(item)
    return result


def _with_page(item: Item, ctx: Context, result: AccountResult) -> None:
    """Fill ``item`` from its own page (full text, exact time); a failure leaves the list data."""
    from crawler.extract import extract_page

    fetched = ctx.http.get(item.url, lane=item.platform)
    if not fetched.ok:
        message = fetched.error if fetched.error_kind else f"HTTP {fetched.status}"
        result.fail(fetched.error_kind or "http", f"信息页面《{item.title}》：{message}", item.url, fetched.status)
        return
    page = extract_page(fetched.body, fetched.final_url or item.url, fetched.headers, now=ctx.now)
    if page.state == "blocked":
        result.fail("blocked", f"信息页面要求验证：{item.title}", item.url, fetched.status)
        return
    item.snapshot = result.snapshot(fetched.body)
    if page.state == "deleted":
        item.state, item.text = "deleted", ""
    elif page.text:
        item.text, item.links, item.images = page.text, page.links, page.images
        item.attachments, item.source, item.author = page.attachments, page.source, page.author
    if page.published_at and (item.published_at is None or page.published_at_precision in ("minute", "second")):
        item.published_at, item.published_at_source = page.published_at, page.published_at_source
        item.published_at_precision = page.published_at_precision
    item.content_hash = ""
    item.__post_init__()
