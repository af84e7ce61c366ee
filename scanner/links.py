"""Links in the body (链接商业广告): commercial or non-government domains, and blocklisted ones."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from .hits import make_hit

URL_RE = re.compile(
    r"(?:[Hh][Tt][Tt][Pp][Ss]?://|[Ww][Ww][Ww]\.)[A-Za-z0-9\-._~%]+(?::[0-9]{1,5})?"
    r"(?:[/?#][^\s<>\"'“”‘’，。；、！？）)】\]]*)?"
)
IP_RE = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$")


HOST_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://)?(?:[^/?#@]*@)?([A-Za-z0-9\-._~%]+)")


def host_of(url: str) -> str:
    m = HOST_RE.match(url.strip())
    if m:
        return m.group(1).rstrip(".").lower()
    u = url.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", u, re.I):
        u = "http://" + u
    try:
        host = urlsplit(u).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


MAX_HOST = 253  # longest DNS name; a longer "host" is text (http://a.a.a.…), not a domain


def _in(host: str, domains) -> str:
    if len(host) > MAX_HOST:  # only a suffix can be listed: joining every suffix is quadratic
        host = host[-MAX_HOST:].partition(".")[2]
    parts = host.split(".")
    for i in range(len(parts)):
        cand = ".".join(parts[i:])
        if cand in domains:
            return cand
    return ""


def is_government(host: str) -> bool:
    return host == "gov.cn" or host.endswith(".gov.cn") or host.endswith(".gov") or host.endswith(".政务")


def classify(lexicon, host: str):
    """``(severity, category label, detail)`` for a link to ``host``, or None when it is fine."""
    if not host or is_government(host):
        return None
    if _in(host, lexicon.domains.get("link.allow", {})):
        return None
    for cat_id in sorted(lexicon.domains):
        if cat_id in ("link.allow", "link.commercial"):
            continue
        dom = _in(host, lexicon.domains[cat_id])
        if dom:
            cat = lexicon.categories[cat_id]
            return cat.severity, cat.label, f"域名 {dom} 在{cat.label}名单中"
    commercial = _in(host, lexicon.domains.get("link.commercial", {}))
    cat = lexicon.categories.get("link.commercial")
    label = cat.label if cat else "链接商业网站"
    severity = cat.severity if cat else "low"
    if commercial:
        return severity, label, f"域名 {commercial} 是商业网站"
    if IP_RE.match(host):
        return severity, label, "链接使用 IP 地址，请核实"
    shown = host if len(host) <= MAX_HOST else host[:60] + "…"
    return severity, label, f"链接至非政府网站 {shown}，请核实是否为商业链接"


def _url_spans(text: str, norm=None):
    """``(start, end)`` of URLs in ``text``.  With the normalised text at hand, look only where
    ``http`` or ``www.`` occurs (``str.find`` is much faster than a regex scan)."""
    if norm is None:
        for m in URL_RE.finditer(text):
            yield m.start(), m.end()
        return
    t = norm.text
    starts = []
    for needle in ("http", "www."):
        i = t.find(needle)
        while i >= 0:
            starts.append(i)
            i = t.find(needle, i + 1)
    last_end = -1
    for i in sorted(starts):
        if i < last_end:
            continue
        m = URL_RE.match(t, i)
        if m:
            last_end = m.end()
            yield norm.span(m.start(), m.end())


def scan_links(lexicon, text: str, links=(), norm=None) -> list:
    """Links found in ``text`` (``norm``: its normalised form, to find them faster) and in ``links``."""
    hits, seen = [], set()
    for s, e in _url_spans(text, norm):
        url = text[s:e].rstrip(".,;:")
        host = host_of(url)
        verdict = classify(lexicon, host)
        seen.add(url.lower())
        if verdict:
            severity, label, detail = verdict
            hits.append(make_hit("link.commercial", text, s, s + len(url), field="text",
                                 category=label, severity=severity, detail=detail, url=url,
                                 suggestion="删除该链接，或改为链接政府网站、权威媒体"))
    for link in links or ():
        url = link.get("url", "") if isinstance(link, dict) else str(link)
        if not url or url.lower() in seen:
            continue
        seen.add(url.lower())
        verdict = classify(lexicon, host_of(url))
        if verdict:
            severity, label, detail = verdict
            hits.append(make_hit("link.commercial", url, 0, len(url), field="url", category=label,
                                 severity=severity, detail=detail, url=url,
                                 suggestion="删除该链接，或改为链接政府网站、权威媒体"))
    return hits
