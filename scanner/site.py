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


# Registration and identity services every government footer links to (ICP/公安 备案, 党政机关网站标识,
# 政府网站找错, 适老化/无障碍): never dark links, whatever the page's CSS does with them.
IDENTITY_HOSTS = ("beian.miit.gov.cn", "beian.gov.cn", "conac.cn", "gov.cn", "cyberpolice.cn", "12377.cn",
                  "cac.gov.cn", "wza.cn", "yunmd.net")
IDENTITY_TEXT = re.compile(r"备案|网站标识|党政机关|找错|纠错|适老化|无障碍|长者|关怀版|读屏|网站地图|举报")
# Anchor text that is itself the offence: gambling, adult, commercial spam.
DARK_TEXT = re.compile(r"博彩|娱乐场|娱乐城|赌场|赌博|百家乐|彩票|时时彩|六合彩|棋牌|真人荷官|老虎机|体育投注|投注|葡京|"
                       r"威尼斯人|太阳城|色情|成人|约炮|裸聊|援交|代孕|代开发票|发票代开|贷款|网贷|套现|私服|外挂|"
                       r"代写|刷单|伟哥|壮阳|丰胸|配资|捕鱼|电玩城|开户送|彩金|澳门|娱乐平台|黄页|av", re.I)


def _under(host: str, domains) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains if d)


def _registrable(host: str) -> str:
    """www.x.gov.cn → x.gov.cn; news.x.com → x.com (enough to tell a sibling host from an outsider)."""
    parts = host.split(".")
    if len(parts) >= 3 and parts[-2] in ("gov", "com", "net", "org", "edu") and len(parts[-1]) == 2:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:]) if len(parts) >= 2 else host


def dark_links(report: SiteReport, site_hosts: set[str], registry_hosts: set[str] | frozenset = frozenset(),
               blocklist: tuple | list = (), scan=None) -> list[Hit]:
    """One finding per page listing every hidden link to outside the jurisdiction, each with the
    way it is hidden. Veto when a target is blocklisted or an anchor text is gambling, adult or
    commercial (or a veto-level banned term of the lexicon); otherwise high, for review."""
    own = {_registrable(h) for h in site_hosts if h} | set(site_hosts)
    by_page: dict[str, list[tuple[dict, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for link in report.hidden_links:
        url, text = link.get("url", ""), link.get("text", "") or ""
        host = host_of(url)
        if not host or not link.get("how"):
            continue
        page = link.get("page") or report.homepage_url
        if (page, url) in seen:
            continue
        seen.add((page, url))
        blocked = _under(host, blocklist)
        bad_text = bool(DARK_TEXT.search(text)) or bool(
            scan and any(h.severity == "veto" and h.rule.startswith("banned.") for h in scan(text)))
        if not (blocked or bad_text):
            if host in registry_hosts or _under(host, own) or _under(host, IDENTITY_HOSTS) \
                    or IDENTITY_TEXT.search(text):
                continue
        reason = "目标在黑名单中" if blocked else ("链接文字涉赌涉黄或商业推广" if bad_text else "")
        by_page.setdefault(page, []).append((link, reason))
    hits = []
    for page, links in sorted(by_page.items()):
        veto = any(reason for _, reason in links)
        listed = "；".join(f"{link['url']}（“{link.get('text', '')[:30]}”，{link['how']}{'，' + reason if reason else ''}）"
                          for link, reason in links[:20])
        more = f"等 {len(links)} 个" if len(links) > 20 else f"{len(links)} 个"
        hits.append(_hit("site.dark_link", "veto" if veto else "high", page,
                         f"页面 {page} 含{more}隐藏的外部链接，疑似暗链：{listed}",
                         url=page, snippet=links[0][0].get("text", "")[:60],
                         suggestion=None if veto else "核实这些隐藏链接的用途；不需要的请删除"))
    return hits


def _failed(st: dict) -> bool:
    status = st.get("status")
    return bool(st.get("error")) or status is None or status >= 400


MAX_LINK_FAILURES = 2000  # remembered failing links per target


def link_failures(report: SiteReport, previous: dict, at) -> dict:
    """The failing links to remember after this crawl: checked and failed now (first seen kept);
    links not checked this time keep their earlier record; links that answered are forgotten."""
    out = {url: rec for url, rec in (previous or {}).items() if url not in report.link_status}
    stamp = at.isoformat()
    for url, st in report.link_status.items():
        if st.get("pending") or not _failed(st):
            continue
        prev = (previous or {}).get(url) or {}
        out[url] = {"status": st.get("status"), "error": st.get("error", ""), "page": st.get("page", ""),
                    "text": st.get("text", ""), "homepage": bool(st.get("homepage")),
                    "first_seen": prev.get("first_seen") or stamp, "last_seen": stamp,
                    "count": int(prev.get("count") or 0) + 1}
    if len(out) > MAX_LINK_FAILURES:  # bounded: the most recently failed are kept
        keep = sorted(out, key=lambda u: out[u].get("last_seen") or "", reverse=True)[:MAX_LINK_FAILURES]
        out = {u: out[u] for u in keep}
    return out


def dead_links(report: SiteReport, previous: dict | None = None) -> list[Hit]:
    """A link is dead when its check failed in two consecutive crawls, or at once on 404/410.
    ``previous`` is the target's remembered failures before this crawl (``link_failures``)."""
    from datetime import datetime

    hits = []
    previous = previous or {}
    for url, st in sorted(report.link_status.items()):
        if st.get("pending") or not _failed(st):
            continue
        status = st.get("status")
        prev = previous.get(url)
        if status not in (404, 410) and not prev:
            continue  # one failure may be a blip: wait for the next crawl
        on_home = bool(st.get("homepage"))
        reason = f"HTTP {status}" if status else (st.get("error") or "无法访问")
        first = prev.get("first_seen") if prev else None
        first_day = datetime.fromisoformat(first).astimezone(report.fetched_at.tzinfo).strftime("%Y-%m-%d %H:%M") \
            if first else report.fetched_at.strftime("%Y-%m-%d %H:%M")
        seen = f"首次发现 {first_day}，最近一次 {report.fetched_at:%Y-%m-%d %H:%M}"
        times = f"，已连续 {int(prev.get('count') or 0) + 1} 次检查失败" if prev else ""
        page = st.get("page") or report.homepage_url
        hits.append(_hit("site.dead_link", "high" if on_home else "low", url,
                         f"{'首页' if on_home else '页面'} {page} 上的链接“{st.get('text', '')}”无法打开"
                         f"（{reason}；{seen}{times}）",
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
    from .matching import case_paragraph, condemned, find_terms
    from .normalize import normalize

    if not text or lexicon.category(category) is None:
        return []
    norm = normalize(text[:20000])
    matched = find_terms(lexicon, norm, "page")
    # a police or news page about a crackdown (打击、严禁、查处 … in the same sentence, or a paragraph
    # reporting a case: 抓获、警方 …) is not a casino
    return sorted({th.entry.term for th in matched.hits if th.entry.category.id == category
                   and not condemned(norm.text, th.start, th.end) and not case_paragraph(norm.text, th.start, th.end)})


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
               page_terms=None, registry_hosts: set[str] | frozenset = frozenset()) -> list[Hit]:
    """All page-based site checks for one crawl of one website target. ``thresholds``: the target's
    resolved thresholds (``scanner.timeline.ThresholdBook.for_target``; None: the defaults).
    ``homepage_change`` is how much of the homepage changed since the last crawl; ``change_history``
    the usual changes before it. ``page_terms``: the gambling vocabulary of an outside page
    (``gambling_page_terms`` bound to a lexicon), for friend links taken over. ``registry_hosts``: the
    hosts of every registered target (never dark links); the target's remembered link failures
    (``target.link_failures``) make a second failure a dead link."""
    th = {**TH, **(thresholds or {})}
    off = disabled_rules(target)
    site_hosts = {host_of(target.url), host_of(report.homepage_url)} | {
        host_of(c.url) for c in target.columns if c.url}
    site_hosts.discard("")
    hits: list[Hit] = []
    if report.homepage_ok:
        hits += footer_missing(report)
        hits += slow(report, int(th["slow_ms"]))
    hits += dark_links(report, site_hosts, registry_hosts, th.get("dark_link_blocklist") or (), scan)
    hits += dead_links(report, target.link_failures)
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
