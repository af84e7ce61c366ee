"""Site checks: pure judgments over one crawl's SiteReport.

Staleness of the homepage and columns is judged in ``scanner.timeline`` from publication times kept
at ingest; here are the checks that need the pages themselves.
"""
from __future__ import annotations

import re
import statistics
import zlib
from datetime import timedelta
from urllib.parse import urlsplit

from govwatch import rules as catalogue
from govwatch.models import Hit, SiteReport, Target
from govwatch.settings import DEFAULTS

TH = DEFAULTS["thresholds"]

SITE_ID_CODE = re.compile(r"网站标识码[：:\s]*(?:[0-9]{10}|bm[0-9]{8})(?![0-9A-Za-z])", re.I)
ICP = re.compile(r"[\u4e00-\u9fff]ICP备\s*[0-9]{6,}\s*号(?:-[0-9]+)?")
POLICE = re.compile(r"[\u4e00-\u9fff]公网安备\s*[0-9]{10,}\s*号")
CONAC_HINTS = ("conac.cn", "党政机关", "dzjg")

def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _hit(rule: str, severity: str, match: str, detail: str, url: str = "", field: str = "page",
         snippet: str = "", suggestion: str | None = None, th: dict | None = None) -> Hit:
    """A site hit labelled from the catalogue; its suggestion is the catalogue's measure unless given."""
    if suggestion is None:
        suggestion = catalogue.measure_text(rule, th)
    return Hit(rule=rule, category=catalogue.label(rule), severity=severity, match=match, detail=detail,
               url=url, field=field, snippet=snippet, suggestion=suggestion)


def disabled_rules(target: Target) -> set[str]:
    return set((target.rules or {}).get("disabled", []))


def footer_missing(report: SiteReport) -> list[Hit]:
    text = report.footer_text or report.homepage_text
    missing = []
    if not SITE_ID_CODE.search(text):
        missing.append("网站标识码")
    if not ICP.search(text):
        missing.append("ICP备案号")
    if not POLICE.search(text):
        missing.append("公安机关备案号")
    footer_links = " ".join(f"{l.get('url', '')} {l.get('text', '')} {l.get('img', '')}" for l in report.links
                            if l.get("area") == "footer")
    if not any(h in footer_links or h in text for h in CONAC_HINTS):
        missing.append("党政机关网站标识")
    if not missing:
        return []
    return [_hit("site.footer_missing", "medium", "、".join(missing), f"首页页脚缺少：{'、'.join(missing)}",
                 url=report.homepage_url)]


def dark_links(report: SiteReport, site_hosts: set[str]) -> list[Hit]:
    hits, seen = [], set()
    for link in [*report.links, *report.hidden_links]:
        url = link.get("url", "")
        host = host_of(url)
        if not link.get("hidden") or not host or host in site_hosts or url in seen:
            continue
        seen.add(url)
        page = link.get("page") or report.homepage_url
        hits.append(_hit("site.dark_link", "veto", url, f"页面 {page} 含隐藏的外部链接（{link.get('how', '隐藏')}），疑似被挂暗链",
                         url=page, snippet=link.get("text", "")[:60]))
    return hits


def dead_links(report: SiteReport) -> list[Hit]:
    hits = []
    for url, st in sorted(report.link_status.items()):
        status = st.get("status")
        if not st.get("error") and status is not None and status < 400:
            continue
        on_home = bool(st.get("homepage"))
        reason = f"HTTP {status}" if status else (st.get("error") or "无法访问")
        page = st.get("page") or report.homepage_url
        hits.append(_hit("site.dead_link", "high" if on_home else "low", url,
                         f"{'首页' if on_home else '页面'} {page} 上的链接“{st.get('text', '')}”无法打开（{reason}）",
                         url=page, snippet=st.get("text", "")[:60]))
    return hits


def hijacked_links(report: SiteReport, scan, page_terms=None,
                   min_terms: int = TH.get("hijacked_gambling_terms", 3)) -> list[Hit]:
    """``scan(text) -> list[Hit]`` is the content scanner bound to a lexicon; a friend link whose page
    now carries banned (veto) content has been taken over. ``page_terms(text) -> list[str]`` gives the
    gambling vocabulary of an outside page (``link.gambling_page``, words a casino page uses and news
    does not): ``min_terms`` different ones on the page also mean the link was taken over."""
    hits = []
    for url, text in sorted(report.outbound_pages.items()):
        bad = [h for h in scan(text) if h.severity == "veto" and h.rule.startswith("banned.")] if scan else []
        if bad:
            terms = "、".join(sorted({h.match for h in bad})[:5])
        else:
            found = sorted(set(page_terms(text))) if page_terms else []
            if len(found) < max(1, min_terms):
                continue
            terms = "、".join(found[:5])
        hits.append(_hit("site.link_hijacked", "veto", url,
                         f"外部链接 {url} 指向的页面含违规内容（{terms}），域名可能已被抢注",
                         url=report.homepage_url, snippet=terms))
    return hits


def gambling_page_terms(lexicon, text: str, category: str = "link.gambling_page") -> list[str]:
    """The distinct entries of ``category`` (a ``fields: page`` lexicon) found in an outside page,
    outside condemnation contexts."""
    from .matching import condemned, find_terms
    from .normalize import normalize

    if not text or lexicon.category(category) is None:
        return []
    norm = normalize(text[:20000])
    matched = find_terms(lexicon, norm, "page")
    # a police or news page about a crackdown (打击、严禁、查处 … in the same sentence) is not a casino
    return sorted({th.entry.term for th in matched.hits if th.entry.category.id == category
                   and not condemned(norm.text, th.start, th.end)})


def defaced(report: SiteReport, scan) -> list[Hit]:
    """The homepage itself carries veto-level banned content: treat it as defaced (挂马/篡改)."""
    bad = [h for h in scan(report.homepage_text) if h.severity == "veto" and h.rule.startswith("banned.")]
    if not bad:
        return []
    terms = "、".join(sorted({h.match for h in bad})[:5])
    return [_hit("site.defaced", "veto", terms, f"首页出现违规内容（{terms}），疑似被篡改",
                 url=report.homepage_url, snippet=bad[0].snippet)]


SKETCH_SIZE = 64
SHINGLE = 5


def text_sketch(text: str, k: int = SKETCH_SIZE) -> list[int]:
    """A bottom-k MinHash sketch of the text's 5-character shingles: enough to estimate how much of
    a homepage changed between two crawls without keeping the page."""
    text = re.sub(r"\s+", "", text)
    hashes = {zlib.crc32(text[i:i + SHINGLE].encode("utf-8")) for i in range(max(1, len(text) - SHINGLE + 1))}
    return sorted(hashes)[:k]


def change_ratio(before: list[int], after: list[int]) -> float:
    """1 − estimated Jaccard similarity of two sketches (0: same page, 1: nothing in common)."""
    if not before or not after:
        return 0.0
    k = min(len(before), len(after))
    union_bottom = sorted(set(before) | set(after))[:k]
    both = set(before) & set(after)
    return 1.0 - sum(h in both for h in union_bottom) / k


def unusual_change(ratio: float, history: list[float], *, floor: float = TH["defaced_change_floor"],
                   min_history: int = TH["defaced_min_history"], sigmas: float = TH["defaced_sigmas"],
                   min_spread: float = TH["defaced_min_spread"],
                   early_change: float = TH["defaced_early_change"]) -> bool:
    """A change far beyond the homepage's usual rate: at least ``floor`` of it is new, and more than
    the usual change plus ``sigmas`` standard deviations (at least ``min_spread``) of the recent crawls.

    Before ``min_history`` changes are known (the second and third crawls of a site) the page is
    compared with the last good crawl alone: a change of ``early_change`` or more (nearly nothing in
    common, where an ordinary day's news replaces part of a list, not the page) is defacement, so a
    site defaced between its first two crawls is reported instead of becoming the baseline.
    """
    if len(history) < min_history:
        return ratio >= early_change
    if ratio < floor:
        return False
    usual = statistics.fmean(history)
    spread = statistics.pstdev(history)
    return ratio > usual + sigmas * max(spread, min_spread)


def defaced_by_change(report: SiteReport, ratio: float, history: list[float], th: dict = TH) -> list[Hit]:
    min_history = int(th["defaced_min_history"])
    if not unusual_change(ratio, history, floor=float(th["defaced_change_floor"]), min_history=min_history,
                          sigmas=float(th["defaced_sigmas"]), min_spread=float(th["defaced_min_spread"]),
                          early_change=float(th["defaced_early_change"])):
        return []
    if len(history) < min_history:
        detail = f"首页内容与上次正常采集相比变化 {ratio:.0%}，几乎完全不同，疑似被篡改"
    else:
        detail = (f"首页内容变化 {ratio:.0%}，远超以往（近 {len(history)} 次平均 "
                  f"{statistics.fmean(history):.0%}），疑似被篡改")
    return [_hit("site.defaced", "veto", f"首页变化 {ratio:.0%}", detail,
                 url=report.homepage_url, suggestion="立即核实首页内容；如属改版，请在名录中标注“升级改版”")]


def interaction_unanswered(report: SiteReport, *, days: int = TH["interaction_unanswered_days"],
                           window_days: int = TH["interaction_window_days"]) -> list[Hit]:
    """19号 互动回应差: a message of the last year left unanswered for more than three months."""
    at = report.fetched_at
    late = [r for r in report.interaction if not r.get("answered") and r.get("asked_at")
            and at - timedelta(days=window_days) <= r["asked_at"] <= at - timedelta(days=days)]
    if not late:
        return []
    late.sort(key=lambda r: r["asked_at"])
    examples = "；".join(f"《{r['title']}》（{r['asked_at'].date().isoformat()} 提问）" for r in late[:3])
    return [_hit("site.interaction_unanswered", "veto", f"{len(late)} 条留言",
                 f"{len(late)} 条网民留言超过 {days} 天未回复（互动回应差，单项否决），例如：{examples}",
                 url=late[0]["url"], snippet=late[0]["title"][:60],
                 th={"interaction_unanswered_days": days, "interaction_window_days": window_days})]


def domain(target: Target) -> list[Hit]:
    host = host_of(target.url)
    if not host or host.endswith(".gov.cn") or host == "gov.cn":
        return []
    return [_hit("site.domain", "medium", host, f"政府网站域名 {host} 不在 .gov.cn 下", url=target.url)]


def slow(report: SiteReport, slow_ms: int) -> list[Hit]:
    if report.homepage_ok and report.homepage_ms is not None and report.homepage_ms > slow_ms:
        return [_hit("site.slow", "low", f"{report.homepage_ms}ms",
                     f"首页打开用时 {report.homepage_ms / 1000:.1f} 秒，超过 {slow_ms / 1000:.0f} 秒",
                     url=report.homepage_url, th={"slow_ms": slow_ms})]
    return []


def meta_missing(report: SiteReport) -> list[Hit]:
    if not report.meta_missing:
        return []
    examples = "；".join(report.meta_missing[:5])
    return [_hit("site.meta_missing", "low", f"{len(report.meta_missing)}个页面",
                 f"{len(report.meta_missing)} 个文章页缺少 ArticleTitle、PubDate、ContentSource 网页标签，例如：{examples}",
                 url=report.meta_missing[0])]


def check_site(report: SiteReport, target: Target, *, thresholds: dict | None = None, scan=None,
               homepage_change: float | None = None, change_history: list[float] | None = None,
               page_terms=None) -> list[Hit]:
    """All page-based site checks for one crawl of one website target. ``thresholds``: the target's
    resolved thresholds (``scanner.timeline.ThresholdBook.for_target``; None: the defaults).
    ``homepage_change`` is how much of the homepage changed since the last crawl; ``change_history``
    the usual changes before it. ``page_terms``: the gambling vocabulary of an outside page
    (``gambling_page_terms`` bound to a lexicon), for friend links taken over."""
    th = {**TH, **(thresholds or {})}
    off = disabled_rules(target)
    site_hosts = {host_of(target.url), host_of(report.homepage_url)} | {
        host_of(c.url) for c in target.columns if c.url}
    site_hosts.discard("")
    hits: list[Hit] = []
    if report.homepage_ok:
        hits += footer_missing(report)
        hits += slow(report, int(th["slow_ms"]))
    hits += dark_links(report, site_hosts)
    hits += dead_links(report)
    if scan is not None or page_terms is not None:
        hits += hijacked_links(report, scan, page_terms, int(th.get("hijacked_gambling_terms", 3)))
    if scan is not None:
        if report.homepage_ok:
            hits += defaced(report, scan)
    if report.homepage_ok and homepage_change is not None and not target.in_maintenance(report.fetched_at) \
            and not any(h.rule == "site.defaced" for h in hits):
        hits += defaced_by_change(report, homepage_change, change_history or [], th)
    hits += domain(target)
    hits += meta_missing(report)
    hits += interaction_unanswered(report, days=int(th["interaction_unanswered_days"]),
                                   window_days=int(th["interaction_window_days"]))
    return [h for h in hits if h.rule not in off]
