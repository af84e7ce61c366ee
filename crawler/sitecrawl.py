"""Small pure helpers of the website crawl: column kinds, footers, visible text, error kinds."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from govwatch.models import discovered_column_kind

FOOTER_HINT = re.compile(r"foot|bottom|copyright|banquan|bq|fbottom|footer", re.I)


def looks_binary(body: bytes) -> bool:
    """Binary served as text/html: real pages carry no NUL bytes and few control characters."""
    head = body[:4096]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(head) > 0.05


def classify_column(label: str) -> str:
    """Navigation label → column kind (the one word list is in govwatch.models)."""
    return discovered_column_kind(label)


def same_site(url: str, base: str) -> bool:
    """Same host and, for farm-style path prefixes (/s/<id>/), the same prefix."""
    a, b = urlsplit(url), urlsplit(base)
    if (a.hostname or "").lower() != (b.hostname or "").lower() or a.port != b.port:
        return False
    prefix = b.path if b.path.endswith("/") else b.path.rsplit("/", 1)[0] + "/"
    return a.path.startswith(prefix)


def visible_text(root) -> str:
    """The text a visitor sees: hidden elements (where dark links live) and scripts left out."""
    from crawler.page import element_text

    if root is None:
        return ""
    body = root.find(".//body")
    return re.sub(r"\s+", " ", element_text(body if body is not None else root))


def own_text(root, site_url: str) -> str:
    """Visible text without the titles of the site's own links: what the site itself says on a
    page (a banned headline belongs to its article's finding, not to a defacement)."""
    if root is None:
        return ""
    text = visible_text(root)
    for a in root.iter("a"):
        label = re.sub(r"\s+", " ", a.text_content() or "").strip()
        href = a.get("href") or ""
        if len(label) >= 4 and (href.startswith("/") or same_site(href, site_url)):
            text = text.replace(label, " ")
    return text


def footer_text(root) -> str:
    """Text of the page footer (where 网站标识码 and 备案号 live), else the page's last 1,500 characters."""
    if root is None:
        return ""
    parts = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        marker = f"{el.get('id', '')} {el.get('class', '')}"
        if el.tag.lower() == "footer" or FOOTER_HINT.search(marker):
            parts.append(visible_text(el))
    text = " ".join(p for p in parts if p)
    return text or visible_text(root)[-1500:]


def error_kind(failure) -> tuple[str, str]:
    """(kind, Chinese message) for a failed request. Matched on exception class names, so both
    Twisted's errors and Scrapy's own wrappers (DownloadTimeoutError …) are understood."""
    from scrapy.exceptions import IgnoreRequest

    from crawler.netguard import refused_failure
    from crawler.neterrors import network_reason

    value = failure.value
    names = " ".join(cls.__name__ for cls in type(value).__mro__)
    text = str(value)
    low = text.lower()
    refused = refused_failure(failure)
    if refused:
        return "refused", refused[:160]
    if "Timeout" in names or "TimedOut" in names:
        return "timeout", "访问超时"
    if "DNSLookup" in names or "CannotResolveHost" in names:
        return "dns", "域名解析失败"
    if "ConnectionRefused" in names:
        return "network", "连接被拒绝"
    if "SSL" in names or "ssl" in low or "certificate" in low or "tls" in low:
        return "tls", network_reason(text, "证书或 TLS 错误：")
    if isinstance(value, IgnoreRequest) and "redirect" in low:
        return "redirect_loop", "重定向次数过多（可能是重定向循环）"
    if "maxsize" in low or "Cancelling download" in text or "DownloadCancelled" in names:
        return "too_large", "页面超过大小上限"
    if "ResponseFailed" in names or "DataLoss" in names or "ConnectionLost" in names:
        return "network", "连接中断"
    return "network", network_reason(text)


UNANSWERED = re.compile(r"未回复|待回复|未答复|待答复|未办结|办理中|处理中|待处理|未受理|待受理")
ANSWERED = re.compile(r"已回复|已答复|已办结|已处理|已反馈")


def interaction_rows(root, base_url: str) -> list[dict]:
    """Messages on a 政务咨询 / 领导信箱 board: one per table row or list item holding a link, with
    the first date as the time asked and the status words of the row (已回复 / 未回复 …)."""
    from urllib.parse import urljoin

    from crawler.dates import find_dates

    if root is None:
        return []
    rows = []
    for row in root.iter("tr", "li"):
        link = next((a for a in row.iter("a") if a.get("href")), None)
        if link is None:
            continue
        text = re.sub(r"\s+", " ", row.text_content())
        status = UNANSWERED.search(text) or ANSWERED.search(text)
        dates = find_dates(text)
        if status is None or not dates:
            continue
        rows.append({"url": urljoin(base_url, link.get("href")),
                     "title": re.sub(r"\s+", " ", link.get("title") or link.text_content()).strip(),
                     "asked_at": dates[0].value, "answered": bool(ANSWERED.match(status.group()))})
    return rows


# --------------------------------------------------------------------------- hidden (dark) links

_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)
_VIS_HIDDEN = re.compile(r"visibility\s*:\s*hidden", re.I)
_ZERO_SIZE = re.compile(r"(?:^|[;\s{])(?:width|height|font-size|max-height|max-width|line-height)\s*:\s*0(?:px|em|pt|%)?\s*"
                        r"(?:!important)?\s*(?:;|$)", re.I)
_OFF_SCREEN = re.compile(r"(?:^|[;\s{])(?:left|top|right|margin-left|margin-top|text-indent)\s*:\s*-\s*\d{3,}", re.I)
_TRANSPARENT = re.compile(r"opacity\s*:\s*0(?:\.0+)?\s*(?:!important)?\s*(?:;|$)", re.I)
_COLOR = re.compile(r"(?:^|[;\s{])color\s*:\s*([#\w]+)", re.I)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([#\w]+)", re.I)
_NAMED = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "transparent": ""}
_INTERACTIVE_NAME = re.compile(r"sub|drop|menu|nav|tab|pop|hover|show|qr|ewm|erweima|code|wx|weixin|weibo|slide|toggle", re.I)
_RULE = re.compile(r"([^{}]{1,400})\{([^{}]{0,2000})\}")
# @media blocks (a responsive footer hidden on phones, a mobile footer hidden on desktops) say
# nothing about what a visitor cannot see: they are left out
_MEDIA = re.compile(r"@media[^{}]{0,400}\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", re.I)
_SIMPLE_SELECTOR = re.compile(r"^(?:[a-z]+)?([.#])([\w-]+)$", re.I)
_NAME_IN_SELECTOR = re.compile(r"[.#]([\w-]+)")
HIDE_REASONS = (
    (_DISPLAY_NONE, "display:none 隐藏"),
    (_VIS_HIDDEN, "visibility:hidden 隐藏"),
    (_ZERO_SIZE, "尺寸为零"),
    (_OFF_SCREEN, "移出可视区域"),
    (_TRANSPARENT, "完全透明"),
)


def _colour(value: str) -> str:
    value = (value or "").strip().lower()
    value = _NAMED.get(value, value)
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    return value if re.fullmatch(r"#[0-9a-f]{6}", value) else ""


class _PageCss:
    """The page's own hiding rules: simple class/id rules of its ``<style>`` blocks, and the names
    its ``:hover`` rules mention (drop-down menus shown on hover are not hidden content)."""

    def __init__(self, root):
        self.rules: dict[tuple[str, str], str] = {}
        self.hover_names: set[str] = set()
        for style in root.iter("style"):
            css = _MEDIA.sub(" ", (style.text or "")[:200000])
            for selectors, body in _RULE.findall(css):
                if ":hover" in selectors or ":focus" in selectors:
                    self.hover_names.update(_NAME_IN_SELECTOR.findall(selectors))
                    continue
                for selector in selectors.split(","):
                    m = _SIMPLE_SELECTOR.match(selector.strip())
                    if m:
                        key = ("class" if m.group(1) == "." else "id", m.group(2))
                        self.rules[key] = self.rules.get(key, "") + ";" + body

    def style_of(self, el) -> str:
        parts = [el.get("style") or ""]
        if self.rules:
            for name in (el.get("class") or "").split():
                parts.append(self.rules.get(("class", name), ""))
            if el.get("id"):
                parts.append(self.rules.get(("id", el.get("id")), ""))
        return ";".join(p for p in parts if p)


def _hiding_reason(el, css: _PageCss) -> str:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    style = css.style_of(el)
    for pattern, reason in HIDE_REASONS:
        if style and pattern.search(style):
            return reason
    if el.get("hidden") is not None:
        return "hidden 属性隐藏"
    if tag in ("div", "span", "p", "table", "td") and (el.get("width") == "0" or el.get("height") == "0"):
        return "尺寸为零"
    if tag == "marquee":
        size = [el.get("width") or "", el.get("height") or "", style]
        tiny = any(re.fullmatch(r"[0-5](?:px)?", v.strip()) for v in size[:2]) or \
            re.search(r"(?:width|height)\s*:\s*[0-5](?:px)?\s*(?:;|$)", style or "")
        fast = (el.get("scrollamount") or "").isdigit() and int(el.get("scrollamount")) >= 500
        if tiny or fast:
            return "marquee 滚动隐藏"
    return ""


def _revealed_by_interaction(node, css: _PageCss) -> bool:
    """A drop-down menu, tab or QR pop-up: shown on hover or click, not hidden from visitors."""
    current = node
    for _ in range(4):
        if current is None or not isinstance(current.tag, str):
            return False
        names = f"{current.get('class', '')} {current.get('id', '')}"
        if any(current.get(attr) for attr in ("onmouseover", "onmouseenter", "onclick", "onmousemove")):
            return True
        if names.strip() and (_INTERACTIVE_NAME.search(names) or set(names.split()) & css.hover_names):
            return True
        if current.tag.lower() in ("nav", "header"):
            return True
        current = current.getparent()
    return False


def suspect_links(root, page_url: str) -> list[dict]:
    """Links a visitor cannot see because of the page's own CSS or attributes: ``{"url", "text",
    "how"}``. Drop-down menus and tabs (revealed on hover or click) are left out; whether a link is
    a dark link (its target outside the jurisdiction, not a registration service) is the scanner's
    judgment (``scanner.site.dark_links``)."""
    from urllib.parse import urljoin

    if root is None:
        return []
    css = _PageCss(root)
    out, seen = [], set()
    body = root.find(".//body")
    page_bg = _colour((body.get("bgcolor") if body is not None else "") or "") or "#ffffff"
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "#", "mailto:", "tel:")):
            continue
        try:
            url = urljoin(page_url, href)
        except ValueError:
            continue
        if not url.startswith(("http://", "https://")) or url in seen:
            continue
        reason, hider = "", None
        node = a
        chain = []
        while node is not None and isinstance(node.tag, str):
            chain.append(node)
            node = node.getparent()
        for node in chain:
            reason = _hiding_reason(node, css)
            if reason:
                hider = node
                break
        if not reason:
            colour = _colour(next((m.group(1) for n in chain for m in [_COLOR.search(css.style_of(n))] if m), "")
                             or next((n.get("color") for n in chain if n.tag == "font" and n.get("color")), ""))
            background = next((c for n in chain for c in [_colour(
                (_BACKGROUND.search(css.style_of(n)) or [None, ""])[1] or n.get("bgcolor") or "")] if c), page_bg)
            if colour and colour == background:
                reason, hider = "文字颜色与背景相同", a
        if not reason or _revealed_by_interaction(hider, css):
            continue
        seen.add(url)
        text = re.sub(r"\s+", " ", a.text_content() or "").strip() or (a.get("title") or "")
        out.append({"url": url, "text": text[:100], "how": reason})
    return out
