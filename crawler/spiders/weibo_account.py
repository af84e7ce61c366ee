"""Weibo accounts through the mobile API (m.weibo.cn): profile, timeline pages, long texts.

Politeness and back-off: requests to a Weibo host are spaced by ``crawl.weibo_delay`` seconds
(default 3). An answer of HTTP 432/429 (rate limited) or 418/403/captcha (blocked) doubles the
host's spacing, waits ``crawl.weibo_backoff`` seconds (default 30) and tries once more; a second
refusal ends this account's crawl with a collector error of that kind. After
``crawl.host_refusals`` accounts in a row were refused, the rest of the run leaves the host alone.
A refusal is never read as an empty or stale account: nothing is stored.

Settings used (``[crawl]``): ``weibo_delay``, ``weibo_backoff``, ``weibo_pages`` (timeline pages
per account, default 3: the crawl stops earlier at the first page whose posts are all known),
``weibo_cookie`` (a logged-in cookie; its expiry shows as ``login_expired``), ``weibo_user_agent``.
Per target (``target.crawl``): ``api_base`` (default https://m.weibo.cn, or the part of
``target.url`` before ``/u/`` for a non-Weibo host such as the demo farm).
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from crawler.collector import PUSHBACK_KINDS, WEIBO_HOSTS, AccountResult, Context
from crawler.weibo import MOBILE_API, Answer, WeiboPost, classify_response, parse_long_text, parse_profile, parse_timeline
from govwatch.models import Item, Target

MOBILE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1")


def weibo_uid(target: Target) -> str:
    """The numeric uid of a Weibo target: ``account_id``, else ``/u/UID`` or ``weibo.com/UID`` in the url."""
    uid = (target.account_id or "").strip()
    if uid.isdigit():
        return uid
    m = re.search(r"/u/(\d{5,})", target.url or "") or re.search(r"weibo\.(?:com|cn)/(\d{5,})(?:[/?#]|$)", target.url or "")
    return m.group(1) if m else ""


def api_base(target: Target) -> str:
    """Where the API lives: ``crawl.api_base``; m.weibo.cn for Weibo URLs; else the URL before ``/u/``."""
    base = (target.crawl or {}).get("api_base")
    if base:
        return str(base).rstrip("/")
    url = target.url or ""
    host = (urlsplit(url).hostname or "").lower()
    if url and not host.endswith(WEIBO_HOSTS) and "/u/" in url:
        return url.split("/u/", 1)[0].rstrip("/")
    return MOBILE_API


def _headers(ctx: Context, base: str, uid: str) -> dict:
    headers = {"Accept": "application/json, text/plain, */*", "MWeibo-Pwa": "1",
               "X-Requested-With": "XMLHttpRequest", "Referer": f"{base}/u/{uid}",
               "User-Agent": str(ctx.crawl.get("weibo_user_agent") or MOBILE_UA)}
    if ctx.crawl.get("weibo_cookie"):
        headers["Cookie"] = str(ctx.crawl["weibo_cookie"])
    return headers


def _ask(ctx: Context, url: str, headers: dict, result: AccountResult, what: str,
         record: bool = True) -> tuple[Answer | None, bytes]:
    """GET an API URL with one back-off retry on a refusal. Returns the answer (None on a network
    error) and the raw body; failures are recorded on ``result`` unless ``record`` is False."""
    backoff = float(ctx.crawl.get("weibo_backoff", 30))
    for attempt in (1, 2):
        fetched = ctx.http.get(url, headers=headers, lane="weibo")
        if fetched.error_kind:
            if record:
                result.fail(fetched.error_kind, f"{what}：{fetched.error}", url)
            return None, b""
        answer = classify_response(fetched.status, fetched.body, fetched.content_type, fetched.final_url)
        if answer.kind not in PUSHBACK_KINDS:
            if answer.kind in ("ok", "gone"):
                ctx.throttled.answered(url)
            elif record:
                result.fail(answer.kind, f"{what}：{answer.message}", url, fetched.status)
            return answer, fetched.body
        ctx.http.penalize(url, lane="weibo")
        if attempt == 1 and backoff > 0:
            time.sleep(backoff)
    ctx.throttled.refused(url)
    if record:
        result.fail(answer.kind, f"{what}：{answer.message}，退避重试后仍被拒绝", url, fetched.status)
    return answer, fetched.body


def post_item(target: Target, post: WeiboPost, author: str, snapshot: str) -> Item:
    text = post.text
    source = ""
    if post.retweet:
        original = post.retweet
        if original.get("deleted"):
            text += "\n\n转发的原微博已被删除"
        else:
            text += f"\n\n转发 @{original.get('user') or '未知用户'}：{original.get('text', '')}"
            source = f"@{original['user']}" if original.get("user") else ""
    meta = {
        "bid": post.bid, "created_at_raw": post.created_at_raw, "reposts": post.reposts,
        "comments": post.comments, "attitudes": post.attitudes, "client": post.source,
        "pinned": post.pinned, "page_info": post.page_info,
    }
    if post.created_at_relative:
        meta["created_at_relative"] = True
    if post.is_long_text:
        meta["text_truncated"] = True
    if post.retweet:
        meta["retweet"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                           for k, v in post.retweet.items() if k != "text"}
    return Item(target_id=target.id, url=post.url, platform="weibo", title=post.headline,
                published_at=post.created_at, published_at_source="api" if post.created_at else "none",
                source=source, author=post.user or author, text=text, links=post.links,
                images=[{"url": u, "alt": ""} for u in post.pics], meta=meta, snapshot=snapshot)


def collect_weibo(target: Target, ctx: Context, result: AccountResult) -> AccountResult:
    uid = weibo_uid(target)
    base = api_base(target)
    if not uid:
        result.fail("config", "名录未填写微博 UID（account_id）")
        return result
    if ctx.throttled.closed(base):
        result.fail("rate_limited", "本轮采集中微博接口已连续拒绝多个账号，暂停采集（下轮重试）", base)
        return result
    headers = _headers(ctx, base, uid)
    account_url = f"{base}/u/{uid}" if base != MOBILE_API else f"https://m.weibo.cn/u/{uid}"

    answer, raw = _ask(ctx, f"{base}/api/container/getIndex?type=uid&value={uid}", headers, result, "微博账号信息")
    if answer is None or answer.kind not in ("ok", "gone"):
        return result
    if answer.kind == "gone":
        result.snapshot(raw)
        result.gone(answer.message or "用户不存在", account_url)
        return result
    profile = parse_profile(answer.data, uid)
    if profile.status == "gone":
        result.snapshot(raw)
        result.gone(profile.reason or "用户不存在", account_url)
        return result
    if profile.status == "unknown":
        result.fail("http", f"微博账号信息接口未返回账号资料（{profile.reason or '无说明'}）", account_url)
        return result
    result.followers = profile.followers

    known_ids = {url.rsplit("/", 1)[-1] for url in ctx.known if "/detail/" in url}
    max_pages = max(1, int(ctx.crawl.get("weibo_pages", 3)))
    posts: dict[str, tuple[WeiboPost, str]] = {}
    for page in range(1, max_pages + 1):
        url = f"{base}/api/container/getIndex?containerid={profile.timeline_containerid}&page={page}"
        answer, raw = _ask(ctx, url, headers, result, f"微博时间线第 {page} 页")
        if answer is None or answer.kind != "ok":
            if page == 1:
                return result  # the timeline was not read: nothing is known about posting
            break
        inner = (answer.data or {}).get("data")
        if answer.data.get("ok") in (1, "1") and not (isinstance(inner, dict) and isinstance(inner.get("cards"), list)):
            result.fail("parse", f"微博时间线第 {page} 页的回答里没有微博列表（cards）", url)
            if page == 1:
                return result
            break
        timeline = parse_timeline(answer.data, ctx.now)
        snapshot = result.snapshot(raw)
        for post in timeline.posts:
            posts.setdefault(post.id, (post, snapshot))
        regular = [p for p in timeline.posts if not p.pinned]
        if not regular or all(p.id in known_ids for p in regular):
            break
    result.timeline_ok = True
    result.status = "live"

    long_ok = True
    for post, snapshot in posts.values():
        if post.id in known_ids:
            continue  # stored already; a re-fetch would only replace a full text with a truncated one
        if post.is_long_text and long_ok:
            answer, _ = _ask(ctx, f"{base}/statuses/extend?id={post.id}", headers, result,
                             f"微博长文 {post.id}")
            text, links = parse_long_text(answer.data) if answer is not None and answer.kind == "ok" else ("", [])
            if text:
                post.text, post.is_long_text = text, False
                post.links = links + [link for link in post.links if link not in links]
            elif answer is not None and answer.kind in PUSHBACK_KINDS:
                long_ok = False  # the host pushes back: keep the truncated texts of the rest
        result.items.append(post_item(target, post, profile.screen_name, snapshot))
    return result
