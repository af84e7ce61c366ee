"""WeChat official-account article pages (mp.weixin.qq.com), as a pure parser.

Title from ``og:title`` / ``var msg_title`` / ``#activity-name``; account from ``var nickname`` /
``#js_name``; publication time from the script variable ``ct`` (unix seconds: the visible
``#publish_time`` is often relative, such as 昨天); body from ``#js_content`` with images in
``data-src``. "该内容已被发布者删除" gives state ``deleted``; "环境异常" or a captcha gives
``blocked`` (a collector error, never evidence about the account).
"""
from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from crawler.dates import find_dates, from_timestamp
from crawler.page import clean_text, collect_attachments, collect_images, collect_links, element_text, Extracted, Page, parse_html, read_meta
from crawler.encoding import decode_html

CANONICAL_PARAMS = ("__biz", "mid", "idx", "sn")

DELETED_PHRASES = ("该内容已被发布者删除", "此内容因违规无法查看", "此内容被多人投诉",
                   "该内容已被删除", "此内容发送失败无法查看", "该公众号已迁移")
BLOCKED_PHRASES = ("环境异常", "完成验证后即可继续访问", "请输入验证码", "访问过于频繁",
                   "请在微信客户端打开链接")


def canonical_wechat_url(url: str) -> str:
    """The article URL with only ``__biz``, ``mid``, ``idx`` and ``sn`` (short links unchanged).

    ``https://mp.weixin.qq.com/s?__biz=X&mid=1&idx=1&sn=abc&chksm=…#rd`` →
    ``https://mp.weixin.qq.com/s?__biz=X&mid=1&idx=1&sn=abc``.
    """
    if not url:
        return ""
    parts = urlsplit(html_lib.unescape(url.strip()))
    host = (parts.hostname or "").lower()
    if not host.endswith("weixin.qq.com"):
        return url
    query = parse_qs(parts.query, keep_blank_values=False)
    kept = [(name, query[name][0]) for name in CANONICAL_PARAMS if query.get(name)]
    path = parts.path or "/s"
    if path.rstrip("/") in ("/s", "/mp/appmsg/show") and kept:
        return f"https://mp.weixin.qq.com/s?{urlencode(kept)}"
    return f"https://mp.weixin.qq.com{path}"


def _js_unescape(value: str) -> str:
    value = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)
    value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value)
    value = value.replace("\\/", "/").replace('\\"', '"').replace("\\'", "'")
    return clean_text(html_lib.unescape(value))


_LITERAL = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''


_JS_VALUE = {}  # name -> compiled "name = literal || literal" pattern
_JS_BEFORE = frozenset(" \t\n\r\f\v,;{.")


def js_var(html: str, name: str) -> str:
    """The value of ``var name = "" || "value";`` (the first non-empty string literal).

    The name is found with ``str.find`` and the pattern tried only there: one regex scan of the
    whole page per variable cost half of the parse."""
    pattern = _JS_VALUE.get(name)
    if pattern is None:
        pattern = _JS_VALUE[name] = re.compile(
            rf"{re.escape(name)}\s*[=:]\s*((?:(?:{_LITERAL})\s*(?:\|\|\s*)?)+)")
    at = html.find(name)
    while at > 0:
        if html[at - 1] in _JS_BEFORE:
            m = pattern.match(html, at)
            if m:
                for literal in re.finditer(_LITERAL, m.group(1)):
                    value = _js_unescape(literal.group(0)[1:-1])
                    if value:
                        return value
        at = html.find(name, at + 1)
    return ""


def _first_text(root, xpath: str) -> str:
    for el in root.xpath(xpath):
        value = clean_text(el.text_content() if hasattr(el, "text_content") else str(el))
        if value:
            return value
    return ""


def page_state(text: str, has_body: bool) -> str:
    if not has_body and any(p in text for p in DELETED_PHRASES):
        return "deleted"
    if not has_body and any(p in text for p in BLOCKED_PHRASES):
        return "blocked"
    if not has_body and re.search(r"captcha|verifycode|secitptpage", text, re.I):
        return "blocked"
    return "live"


def parse_wechat(body: bytes | str, url: str = "") -> Extracted:
    """Parse a WeChat article page (see the module docstring)."""
    if isinstance(body, bytes):
        html, encoding = decode_html(body)
    else:
        html, encoding = body, "unicode"
    root = parse_html(html)
    result = Extracted(url=url, kind="wechat", encoding=encoding)
    if root is None:
        result.state = "blocked"
        return result
    meta = read_meta(root)
    page = Page(root, url or "https://mp.weixin.qq.com/")

    title = (meta.get("og:title") or js_var(html, "msg_title")
             or _first_text(root, "//*[@id='activity-name']") or meta.get("twitter:title", ""))
    account = (js_var(html, "nickname") or _first_text(root, "//*[@id='js_name']")
               or _first_text(root, "//*[contains(@class, 'profile_nickname')]"))

    content = root.xpath("//*[@id='js_content']")
    container = content[0] if content else None
    text = element_text(container) if container is not None else ""

    ct = js_var(html, "ct")
    if not ct:
        m = re.search(r"\bct\s*=\s*[\"']?(\d{10})", html)
        ct = m.group(1) if m else ""
    if ct.isdigit():
        result.published_at = from_timestamp(ct)
        result.published_at_source = "js"
        result.published_at_precision = "second"
    else:
        shown = js_var(html, "publish_time") or _first_text(root, "//*[@id='publish_time']")
        found = find_dates(shown)
        if found:
            result.published_at = found[0].value
            result.published_at_source = "js" if js_var(html, "publish_time") else "text"
            result.published_at_precision = "minute" if found[0].has_time else "day"

    biz = js_var(html, "biz") or js_var(html, "__biz")
    mid, idx, sn = js_var(html, "mid"), js_var(html, "idx"), js_var(html, "sn")
    canonical = canonical_wechat_url(url) if url else ""
    if "__biz=" not in canonical and biz and mid and idx and sn:
        canonical = canonical_wechat_url(
            f"https://mp.weixin.qq.com/s?__biz={biz}&mid={mid}&idx={idx}&sn={sn}")
    if not canonical:
        canonical = canonical_wechat_url(js_var(html, "msg_link")) if js_var(html, "msg_link") else url

    wechat_meta = dict(meta)
    wechat_meta.update({key: value for key, value in {
        "account": account,
        "account_id": js_var(html, "user_name"),
        "alias": _first_text(root, "//*[contains(@class, 'profile_meta_value')]"),
        "biz": biz, "mid": mid, "idx": idx, "sn": sn,
        "source_url": js_var(html, "msg_source_url"),
        "cover": js_var(html, "msg_cdn_url") or meta.get("og:image", ""),
        "description": js_var(html, "msg_desc") or meta.get("description", ""),
    }.items() if value})

    links = collect_links(page, container) if container is not None else []
    for link in links:
        link["area"] = "body"
    result.url = url
    result.canonical_url = canonical
    result.title = title
    result.author = account
    result.source = account
    result.text = text
    result.links = links
    result.attachments = collect_attachments(links)
    result.images = collect_images(page, container)
    result.meta = wechat_meta
    visible = clean_text(root.text_content()) if container is None else ""
    result.state = page_state(visible or html[:20000], bool(text) or bool(result.images))
    return result
