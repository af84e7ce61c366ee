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
    from crawler.extract import element_text

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
        return "tls", f"证书或 TLS 错误：{text[:120]}"
    if isinstance(value, IgnoreRequest) and "redirect" in low:
        return "redirect_loop", "重定向次数过多（可能是重定向循环）"
    if "maxsize" in low or "Cancelling download" in text or "DownloadCancelled" in names:
        return "too_large", "页面超过大小上限"
    if "ResponseFailed" in names or "DataLoss" in names or "ConnectionLost" in names:
        return "network", "连接中断"
    return "network", f"网络错误：{text[:120]}"


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
