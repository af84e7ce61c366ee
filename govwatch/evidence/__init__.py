"""Monthly inspection evidence export.

``export_month(store, settings, "2026-10", out_dir)`` writes one folder and one zip of it::

    govwatch-2026-10[-主办单位]/
        问题清单.xlsx        the forms, one sheet each (SHEETS below, headers exactly as listed)
        snapshots/<sha256>.html   each evidence page as captured, made viewable offline: scripts,
                                  event handlers, frames and every external resource load removed,
                                  a banner saying when and where it was captured
        snapshots/raw/<sha256>.raw   the captured bytes themselves (their sha256 is the file name)
        findings.jsonl       one line per listed finding: ids, status, evidence, full history
        说明.txt             what the package holds
        manifest.json        sha256 and size of every other file
    govwatch-2026-10[-主办单位].zip

**Which findings belong to a month** (Asia/Shanghai month boundaries): those first seen during the
month, and those first seen earlier that were still open (待处理/已确认/整改中) when the month
began. False positives (误报, now or at the month's end) are left out. The status shown is the status
at the end of the month, replayed from the finding's history (for the current month: the status now),
with "（已超期）" added when the finding was still open past its deadline.

**Sheets whose columns are defined here** (the national forms name them without columns):
- 可用性统计, one row per website: probes in the month, how many failed, the failed share, the worst
  7-day failed share (the 19号 veto is ≥5% over a week), mean response time, certificate expiry and the
  verdict.
- 更新情况, one row per enabled target: last publication up to the month's end, days without an
  update, items published in the month, the update requirement and the verdict (website homepage
  2 weeks; accounts weekly/10 days, 2-week veto, 3-month zombie candidate, 1-year zombie, never
  published = 空壳). A target we never fetched successfully is "未能采集" — a failed fetch is never
  evidence of staleness.
- 僵尸空壳账号, one row per account judged 僵尸, 疑似僵尸, 空壳 or 已注销/不存在 above, with the
  status of its ``account.*`` finding and what to do.

**Memory** stays bounded: the workbook is write-only (each sheet streams to a temporary file), the
findings are read one target at a time, snapshots are written as they are met, and the zip is
streamed from disk. What grows with the month is only a set of snapshot hashes and per-owner counters.

``--owner`` (``owner=``) keeps the targets of that 主办单位 and of every unit below it: a unit's
parent is its targets' ``parent`` (上级单位), followed up the chain (cycles cut).

- 单位汇总, one row per unit in scope, depth first under its parent (names indented by level): its
  own targets and findings, and the totals with every unit below it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from govwatch.findings import OPEN_STATUSES, is_overdue, last_change, status_at
from govwatch.models import (
    CONTENT_TYPE_LABELS, FINDING_STATUS_LABELS, OPERATOR_LABELS, PLATFORM_LABELS, SEVERITY_LABELS, TZ,
    Finding, Item, Target, aware, fmt_local, now,
)
from govwatch import rules as catalogue
from govwatch.store import FindingFilter, Store
from scanner.timeline import ThresholdBook, account_stale_days

WORKBOOK_NAME = "问题清单.xlsx"

# Sheet name → headers, in workbook order. The first four follow the national forms verbatim.
SHEETS: dict[str, list[str]] = {
    "问题清单": ["序号", "政府网站/政务新媒体名称", "主办单位", "存在问题", "整改措施", "整改时限", "整改状态"],
    "错敏信息明细": ["错敏词", "推荐修改", "修改说明", "所在上下文", "所在文章链接", "所在文章标题", "快照",
                 "网站名称", "网站标识码", "发布时间", "问题类型", "问题级别", "内容类型", "父页面地址"],
    "问题案例汇总": ["责任主体", "问题类型", "问题描述", "处置情况"],
    "内容运营情况汇总": ["单位名称", "官方网站", "官方公众账号", "应用程序（含小程序）", "内容运营团队属性",
                   "内容运营业务是否存在外包或转包", "外包或转包单位性质", "违规问题及清理整顿情况"],
    "可用性统计": ["序号", "网站名称", "主办单位", "网址", "监测次数", "正常次数", "无法访问次数", "无法访问比例",
              "最高7日无法访问比例", "平均响应时间（毫秒）", "证书到期时间", "判定"],
    "更新情况": ["序号", "名称", "平台", "主办单位", "网址或账号", "最近更新时间", "未更新天数", "本月发布数",
             "更新要求", "更新状态"],
    "僵尸空壳账号": ["序号", "账号名称", "平台", "主办单位", "账号或网址", "最近发布时间", "未更新天数", "判定",
               "粉丝数", "整改状态", "处置建议"],
    "单位汇总": ["单位名称", "级别", "上级单位", "本单位监测对象数", "监测对象数（含下级）", "本单位问题数",
             "问题数（含下级）", "单项否决（含下级）", "已整改或销号（含下级）", "未完成整改（含下级）",
             "超期（含下级）"],
}
COLUMN_WIDTHS = {
    "问题清单": [6, 28, 20, 60, 40, 12, 16],
    "错敏信息明细": [16, 16, 30, 50, 40, 36, 30, 24, 14, 18, 16, 10, 10, 40],
    "问题案例汇总": [30, 24, 70, 40],
    "内容运营情况汇总": [24, 36, 40, 30, 18, 14, 36, 60],
    "可用性统计": [6, 28, 20, 36, 10, 10, 12, 12, 16, 14, 18, 28],
    "更新情况": [6, 28, 10, 20, 36, 18, 12, 12, 24, 28],
    "僵尸空壳账号": [6, 28, 10, 20, 36, 18, 12, 20, 10, 14, 36],
    "单位汇总": [36, 8, 24, 12, 14, 12, 12, 14, 16, 16, 10],
}

# 问题案例汇总 问题类型, 整改措施 and which page-level findings get a case row: the rule catalogue.
CASE_TYPES = catalogue.CASE_TYPES
CASE_SITE_RULES = catalogue.case_row_rules()

ACCOUNT_PLATFORMS = ("wechat", "weibo", "douyin", "toutiao", "kuaishou", "bilibili", "feed", "other")
APP_PLATFORMS = ("app", "miniprogram")
# Cells that a spreadsheet would read as a formula (or that hide one behind a control character).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_CELL = 32767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ExportError(ValueError):
    """A user-facing export error (Chinese message)."""


def safe_cell(value):
    """A value fit for a cell: strings lose control characters, are cut to Excel's limit and are
    neutralised when they start like a formula (a leading ``'`` keeps them inert text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        value = fmt_local(value)
    elif isinstance(value, date):
        value = value.isoformat()
    text = _ILLEGAL.sub("", str(value))
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    if len(text) > EXCEL_MAX_CELL:
        text = text[:EXCEL_MAX_CELL - 1] + "…"
    return text


# ---------------------------------------------------------------------------- the month

def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"YYYY-MM"`` → [start, end) in Asia/Shanghai."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", (month or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ExportError(f"月份格式应为 YYYY-MM：{month}")
    year, mon = int(m.group(1)), int(m.group(2))
    start = datetime(year, mon, 1, tzinfo=TZ)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=TZ)
    return start, end


def previous_month(at: datetime | None = None) -> str:
    """The month before ``at`` (what the scheduler's monthly job exports)."""
    first = (at or now()).astimezone(TZ).replace(day=1)
    last = first - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def findings_of_month(store: Store, target_id: str, start: datetime, end: datetime) -> list[Finding]:
    """The target's findings that belong to the month (see the module docstring), oldest first."""
    new = store.list_findings(FindingFilter(target_id=target_id, since=start, until=end))
    older = [f for f in store.list_findings(FindingFilter(target_id=target_id, until=start))
             if status_at(f, start) in OPEN_STATUSES]
    return [f for f in older + new
            if f.status != "false_positive" and status_at(f, end) != "false_positive"]


# ---------------------------------------------------------------------------- rows

def measure_for(f: Finding, thresholds: dict | None = None) -> str:
    """整改措施: the replacement a content finding suggests, the finding's own suggestion, else the
    catalogue's measure for its rule with the (target's resolved) thresholds filled in."""
    if f.suggestion and not f.rule.startswith(("site.", "account.", "timeline.", "registry.")):
        return f"修改为“{f.suggestion}”" if len(f.suggestion) <= 40 else f.suggestion
    if f.suggestion:
        return f.suggestion
    return catalogue.measure_text(f.rule, thresholds)


def describe(f: Finding) -> str:
    severity = SEVERITY_LABELS.get(f.effective_severity, f.effective_severity)
    head = f"【{catalogue.display_category(f.rule, f.category)}·{severity}】"
    if _is_content(f) and f.match:
        body = (f"《{f.title}》中出现“{f.match}”" if f.title else f"出现“{f.match}”")
        body += f"：{f.detail}" if f.detail else ""
    else:
        body = f.detail or catalogue.display_match(f.rule, f.match) or f.title
    where = f"（{f.url}）" if f.url and f.url not in body else ""
    return head + body + where


def rectified_evidence(f: Finding) -> dict:
    """The evidence of the latest rectification: kept in the history entry that made it (which a
    rescan never rewrites), else in ``evidence["rectified"]``."""
    for entry in reversed(f.history or []):
        if entry.get("to") in ("rectified", "closed") and isinstance(entry.get("evidence"), dict) \
                and entry["evidence"].get("snapshot"):
            return entry["evidence"]
    fixed = (f.evidence or {}).get("rectified")
    return fixed if isinstance(fixed, dict) else {}


def case_type(f: Finding) -> str:
    return catalogue.case_type(f.rule, f.category)


def status_text(f: Finding, at: datetime) -> str:
    status = status_at(f, at)
    label = FINDING_STATUS_LABELS.get(status, status)
    if is_overdue(f, at, status):
        label += "（已超期）"
    return label


def content_type_of(f: Finding, target: Target) -> str:
    from crawler.page import attachment_ext

    ext = attachment_ext(f.url or "")
    if ext:
        return f"附件（{ext.upper()}）"
    return CONTENT_TYPE_LABELS.get(target.content_type, target.content_type)


def _is_content(f: Finding) -> bool:
    """Findings judged from an item's own text (the 错敏 detail)."""
    return catalogue.is_content_rule(f.rule)


# ---------------------------------------------------------------------------- offline snapshots

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
        "form-action 'none'; frame-src 'none'; base-uri 'none'")
_URL_ATTRS = ("src", "srcset", "data-src", "data-original", "lowsrc", "dynsrc", "poster", "background",
              "action", "formaction", "longdesc", "usemap", "codebase", "data", "ping", "manifest",
              "{http://www.w3.org/1999/xlink}href")
# [^()] and [^;@]: each attempt stops at the next "(" or "@import" (linear on "url(url(url(…")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:)[^()]*\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import[^;@]*;?", re.I)


def _kind(raw: bytes) -> str:
    head = raw[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF"):
        return "pdf"
    if b"\x00" in raw[:1024] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "bin"
    if head[:1] == b"<" or b"<html" in head.lower() or b"<body" in head.lower():
        return "html"
    return "text"


MAX_CSS_DATA_URLS = 1000  # embedded images a real stylesheet carries, with room to spare
_CSS_URL_OPEN = re.compile(r"url\((?!\s*['\"]?data:)", re.I)


def _strip_css(text: str) -> str:
    # an unclosed url( left behind is dropped too: lxml_html_clean's own CSS checks are quadratic in
    # runs of them (30,000 "url(" took ~27 s)
    text = _CSS_URL_OPEN.sub("", _CSS_URL.sub("\0", _CSS_IMPORT.sub("", text)))
    if text.lower().count("url(") > MAX_CSS_DATA_URLS:  # only data: URLs are left; this many is an attack
        text = re.sub(r"(?i)url\(", "", text)
    return text.replace("\0", "url()")


def offline_html(raw: bytes, *, url: str, fetched_at: datetime | None, sha256: str,
                 content_type: str | None = None) -> bytes:
    """The captured page made safe to open offline, with a banner saying when and where it was
    captured. Scripts, event handlers, frames, plugins, ``<link>``/``<meta>``/``<base>`` and every
    external load (``src``, ``srcset``, CSS ``url()``/``@import``) are removed; a Content-Security-
    Policy forbids whatever slipped through."""
    import lxml.html
    from lxml import etree
    from lxml_html_clean import Cleaner

    from crawler.encoding import decode_html
    from crawler.page import parse_html

    kind = _kind(raw)
    text, _ = decode_html(raw, content_type) if kind == "html" else (raw.decode("utf-8", "replace"), "")
    root = None
    if kind == "html" and text.strip():
        try:
            cleaner = Cleaner(scripts=True, javascript=True, comments=True, style=False, inline_style=False,
                              links=True, meta=True, page_structure=False, processing_instructions=True,
                              embedded=True, frames=True, forms=False, annoying_tags=True,
                              remove_unknown_tags=False, safe_attrs_only=False)
            doc = parse_html(text)  # bounded like the crawl: size, and nesting flattened past the limit
            if doc is None:
                raise ValueError("empty document")
            for el in doc.iter("style"):  # before the cleaner, which would leave @import's target behind
                el.text = _strip_css(el.text or "")
            root = cleaner.clean_html(doc)
        except (etree.ParserError, ValueError):
            root = None
    if root is None or root.tag != "html":
        root = lxml.html.document_fromstring("<html><head></head><body></body></html>")
        pre = etree.SubElement(root.find("body"), "pre")
        pre.set("style", "white-space:pre-wrap;word-break:break-all")
        pre.text = _ILLEGAL.sub("", text)
    for el in root.iter(etree.Element):
        if el.tag == "base":
            el.drop_tree()
            continue
        for attr in _URL_ATTRS:
            value = el.attrib.get(attr)
            if value is not None and not value.strip().lower().startswith("data:"):
                del el.attrib[attr]
                if attr in ("src", "srcset", "data-src", "data-original", "poster", "background"):
                    el.set("data-govwatch-" + attr.replace("{http://www.w3.org/1999/xlink}", "xlink-"), value)
        if el.get("style"):
            el.set("style", _strip_css(el.get("style")))
        if el.tag == "style" and el.text:
            el.text = _strip_css(el.text)
        if el.tag == "a" and el.get("href", "").strip().lower().startswith(("javascript:", "vbscript:")):
            del el.attrib["href"]
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    meta_charset = etree.Element("meta", charset="utf-8")
    csp = etree.Element("meta", content=_CSP)
    csp.set("http-equiv", "Content-Security-Policy")
    head.insert(0, csp)
    head.insert(0, meta_charset)
    body = root.find("body")
    if body is None:
        body = etree.SubElement(root, "body")
    banner = etree.Element("div", id="govwatch-evidence-banner")
    banner.set("style", "all:initial;display:block;margin:0 0 8px 0;padding:8px 12px;background:#fff3cd;"
                        "color:#333;border-bottom:2px solid #d39e00;font:14px/1.6 sans-serif;"
                        "word-break:break-all")
    when = f"{fmt_local(fetched_at)}（北京时间）" if fetched_at else "未知"
    banner.text = (f"govwatch 证据快照｜采集时间：{when}｜原网址：{url or '未知'}｜"
                   f"原始页面 SHA-256：{sha256}｜已移除脚本和外部资源，仅供离线查看")
    body.insert(0, banner)
    return b"<!DOCTYPE html>\n" + lxml.html.tostring(root, encoding="utf-8", method="html")


# ---------------------------------------------------------------------------- writers

class Sink(Protocol):
    """Where rows and evidence go: the workbook and the snapshots folder (bench/export.py plugs in
    a CSV sink to time the same rows)."""

    def row(self, sheet: str, values: list) -> None: ...

    def snapshot(self, sha256: str, url: str, fetched_at: datetime | None) -> str:
        """Relative path of the offline copy of snapshot ``sha256`` ("" when the store lacks it)."""

    def finding(self, record: dict) -> None:
        """Every finding of the export, as one JSON-ready record (findings.jsonl)."""


class PackageSink:
    def __init__(self, store: Store, folder: Path, progress=None):
        from openpyxl import Workbook

        self.progress = progress  # govwatch.progress.Progress, counted per finding written

        self.store = store
        self.folder = folder
        self.snap_dir = folder / "snapshots"
        self.raw_dir = self.snap_dir / "raw"
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        self.wb = Workbook(write_only=True)
        self.sheets = {}
        self.rows = Counter()
        self.written: dict[str, str] = {}
        self.missing: list[str] = []
        self._jsonl = open(folder / "findings.jsonl", "w", encoding="utf-8")
        for name, headers in SHEETS.items():
            self.sheets[name] = self._sheet(name, headers)

    def _sheet(self, name: str, headers: list[str]):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        ws = self.wb.create_sheet(name)
        for i, width in enumerate(COLUMN_WIDTHS.get(name, []), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        wrap = Alignment(wrap_text=True, vertical="center")
        cells = []
        for h in headers:
            c = WriteOnlyCell(ws, value=safe_cell(h))
            c.font, c.fill, c.alignment = bold, fill, wrap
            cells.append(c)
        ws.append(cells)
        return ws

    def row(self, sheet: str, values: list) -> None:
        self.sheets[sheet].append([safe_cell(v) for v in values])
        self.rows[sheet] += 1

    def snapshot(self, sha256: str, url: str, fetched_at: datetime | None) -> str:
        if not sha256:
            return ""
        if sha256 in self.written:
            return self.written[sha256]
        raw = self.store.get_snapshot(sha256)
        if raw is None:
            self.written[sha256] = ""
            if len(self.missing) < 1000:
                self.missing.append(sha256)
            return ""
        (self.raw_dir / f"{sha256}.raw").write_bytes(raw)
        kind = _kind(raw)
        if kind in ("pdf", "bin"):
            rel = f"snapshots/{sha256}.{kind}"
            (self.folder / rel).write_bytes(raw)
        else:
            rel = f"snapshots/{sha256}.html"
            (self.folder / rel).write_bytes(offline_html(raw, url=url, fetched_at=fetched_at, sha256=sha256))
        self.written[sha256] = rel
        return rel

    def finding(self, record: dict) -> None:
        self._jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self.progress is not None:
            self.progress.step(str(record.get("target_name") or record.get("target_id") or ""), line=False)

    def close(self) -> None:
        self._jsonl.close()
        self.wb.save(self.folder / WORKBOOK_NAME)


# ---------------------------------------------------------------------------- per-target state

@dataclass
class _OwnerStats:
    findings: int = 0
    veto: int = 0
    done: int = 0
    open: int = 0
    overdue: int = 0
    categories: Counter = field(default_factory=Counter)


def _stale_limits(th: dict, target: Target) -> dict:
    """The update limits of one target from its resolved thresholds (the same lookup the timeline
    judges with: settings, per platform, per content type, the target's own rules)."""
    if target.platform == "website":
        return {"stale": int(th["homepage_stale_days"])}
    return {"stale": account_stale_days(th, target.content_type),
            "veto": int(th["account_stale_veto_days"]),
            "zombie_candidate": int(th["zombie_candidate_days"]), "zombie": int(th["zombie_days"])}


def update_state(settings, target: Target, last: datetime | None, as_of: datetime,
                 book: ThresholdBook | None = None) -> tuple[str, str, int | None]:
    """(requirement, verdict, days without update) of one target as of ``as_of``, with the day
    convention of ``scanner.timeline``: a limit of N days is broken when more than N days passed."""
    th = (book or ThresholdBook(settings.data["thresholds"])).for_target(target)
    limits = _stale_limits(th, target)
    days = None if last is None else max(0, (as_of.astimezone(TZ).date() - last.astimezone(TZ).date()).days)
    if target.platform == "website":
        requirement = f"首页{limits['stale']}天内有更新"
    else:
        requirement = f"每{limits['stale']}天至少更新1次，{limits['veto']}天未更新单项否决"
    crawled = target.last_crawl_ok_at is not None
    if target.platform != "website" and target.status == "gone":
        return requirement, "账号已注销或不存在", days
    if last is None:
        if not crawled:
            return requirement, "未能采集，无法判断", days
        return requirement, "空壳（从未发布）" if target.platform != "website" else "未发现更新记录", days
    if target.platform == "website":
        if days > limits["stale"]:
            return requirement, f"单项否决（{days}天未更新）", days
        if days > limits["stale"] * float(th["column_warn_ratio"]):
            return requirement, "即将超期", days
        return requirement, "正常", days
    if days > limits["zombie"]:
        return requirement, f"僵尸账号（{days}天未更新）", days
    if days > limits["zombie_candidate"]:
        return requirement, f"疑似僵尸（{days}天未更新）", days
    if days > limits["veto"]:
        return requirement, f"单项否决（{days}天未更新）", days
    if days > limits["stale"]:
        return requirement, f"更新不及时（{days}天未更新）", days
    return requirement, "正常", days


ZOMBIE_ADVICE = {
    "僵尸账号": "无力维护的按程序关停注销，或与本单位其他账号整合",
    "疑似僵尸": "立即恢复更新；无力维护的按程序关停注销",
    "空壳": "开展运营或按程序注销",
    "账号已注销": "核实账号状态，更新监测底数",
}


def _availability_row(store: Store, settings, target: Target, start: datetime, end: datetime) -> list:
    checks = [c for c in store.list_checks(target.id, since=start) if aware(c.at) < end]
    total, failed = len(checks), sum(1 for c in checks if not c.ok)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    window_days = int(settings.data["thresholds"]["unreachable_window_days"])
    elapsed = [c.elapsed_ms for c in checks if c.ok and c.elapsed_ms is not None]
    tls = max((aware(c.tls_expires_at) for c in checks if c.tls_expires_at), default=None)
    for c in checks:
        day = aware(c.at).astimezone(TZ).date()
        per_day[day][0] += 1
        per_day[day][1] += 0 if c.ok else 1
    worst = 0.0
    if per_day:
        first, last = min(per_day), max(per_day)
        span = (last - first).days + 1
        for offset in range(max(1, span - (window_days - 1))):
            window = [per_day.get(first + timedelta(days=offset + d)) for d in range(min(window_days, span))]
            n = sum(w[0] for w in window if w)
            bad = sum(w[1] for w in window if w)
            if n:
                worst = max(worst, bad / n)
    share = float(settings.data["thresholds"]["unreachable_share"])
    if not total:
        verdict = "无监测数据"
    elif worst >= share:
        verdict = f"单项否决（{window_days}日内无法访问比例≥{share:.0%}）"
    elif failed:
        verdict = "基本正常（偶有无法访问）"
    else:
        verdict = "正常"
    if target.in_maintenance(end - timedelta(seconds=1)):
        verdict += f"（{target.maintenance.kind}期间）"
    return [target.name, target.owner, target.url, total, total - failed, failed,
            f"{failed / total:.2%}" if total else "", f"{worst:.2%}" if total else "",
            round(sum(elapsed) / len(elapsed)) if elapsed else "",
            fmt_local(tls, with_time=False) if tls else "", verdict]


def _last_publication(store: Store, target: Target, start: datetime, end: datetime) -> tuple[datetime | None, int]:
    """(last publication before ``end``, items published in [start, end))."""
    in_month = store.publication_times([target.id], start, end).get(target.id, [])
    if in_month:
        return max(in_month), len(in_month)
    latest = aware(target.last_published_at)
    if latest is not None and latest < start:
        return latest, 0
    before = store.publication_times([target.id], start - timedelta(days=800), start).get(target.id, [])
    return (max(before) if before else None), 0


def _owner_summary(s: _OwnerStats) -> str:
    if not s.findings:
        return "本月未发现问题"
    text = f"本月涉及问题{s.findings}个"
    if s.veto:
        text += f"（其中单项否决{s.veto}个）"
    text += f"，已整改或销号{s.done}个，未完成整改{s.open}个"
    if s.overdue:
        text += f"（超期{s.overdue}个）"
    top = "、".join(f"{k}{n}个" for k, n in s.categories.most_common(5))
    return text + f"；主要问题：{top}"


# ---------------------------------------------------------------------------- the export

@dataclass
class ExportStats:
    month: str = ""
    owner: str = ""
    targets: int = 0
    findings: int = 0
    by_status: Counter = field(default_factory=Counter)
    snapshots: int = 0
    missing_snapshots: int = 0
    rows: dict = field(default_factory=dict)


def build(store: Store, settings, month: str, sink: Sink, owner: str | None = None) -> ExportStats:
    """One pass over the targets in scope, writing every sheet's rows into ``sink``."""
    start, end = month_bounds(month)
    at_end = min(end - timedelta(microseconds=1), now())  # the month's last moment, or now
    everything = store.list_targets()
    tree = unit_tree(everything)
    scope = None if owner is None else units_under(tree, owner)
    targets = [t for t in everything if scope is None or (t.owner or UNKNOWN_UNIT) in scope]
    del everything
    if owner is not None and not targets:
        raise ExportError(f"没有主办单位为“{owner}”的监测对象（也没有以它为上级单位的单位）")
    targets.sort(key=lambda t: (t.owner, t.name, t.id))
    stats = ExportStats(month=month, owner=owner or "", targets=len(targets))
    owners: dict[str, _OwnerStats] = defaultdict(_OwnerStats)
    n_list = n_avail = n_update = n_zombie = 0
    book = ThresholdBook(settings.data["thresholds"])

    for target in targets:
        target_th = book.for_target(target)
        findings = findings_of_month(store, target.id, start, end)
        items: dict[str, Item | None] = {}
        site_code = ""
        account_status = ""
        for f in findings:
            status = status_at(f, end)
            stats.findings += 1
            stats.by_status[status] += 1
            o = owners[target.owner]
            o.findings += 1
            o.veto += f.effective_severity == "veto"
            o.done += status in ("rectified", "closed")
            o.open += status in OPEN_STATUSES
            o.overdue += is_overdue(f, at_end, status)
            o.categories[catalogue.display_category(f.rule, f.category)] += 1
            if f.rule.startswith(("account.zombie", "account.empty", "account.gone")):
                account_status = FINDING_STATUS_LABELS.get(status, status)

            evidence = f.evidence or {}
            fetched = _parse_time(evidence.get("fetched_at")) or aware(f.first_seen_at)
            snap = sink.snapshot(evidence.get("snapshot", ""), f.url, fetched)
            fixed = rectified_evidence(f)
            fixed_snap = sink.snapshot(fixed.get("snapshot", ""), fixed.get("url") or f.url,
                                       _parse_time(fixed.get("fetched_at"))) if fixed else ""

            n_list += 1
            change = last_change(f) if status not in OPEN_STATUSES else {}
            measure = measure_for(f, target_th)
            if change.get("note") and change.get("by") not in ("", None):
                measure += f"（处置说明：{change['note']}）"
            sink.row("问题清单", [n_list, target.name, target.owner, describe(f), measure,
                                 fmt_local(f.deadline, with_time=False), status_text(f, at_end)])

            if f.item_id and f.item_id not in items:
                items[f.item_id] = store.get_item(f.item_id)
            item = items.get(f.item_id) if f.item_id else None
            if item is not None and item.meta.get("siteidcode"):
                site_code = item.meta["siteidcode"]
            if _is_content(f):
                explain = f.detail or (f"{f.category}：建议将“{f.match}”改为“{f.suggestion}”"
                                       if f.suggestion else f.category)
                sink.row("错敏信息明细", [
                    f.match, f.suggestion, explain, f.snippet, f.url, f.title or (item.title if item else ""),
                    snap, target.name, (item.meta.get("siteidcode") if item else "") or site_code,
                    fmt_local(item.published_at) if item and item.published_at else "", f.category,
                    SEVERITY_LABELS.get(f.effective_severity, f.effective_severity),
                    content_type_of(f, target), item.parent_url if item else ""])
            if _is_content(f) or f.rule in CASE_SITE_RULES:
                handled = FINDING_STATUS_LABELS.get(status, status)
                if change:
                    handled += f"（{fmt_local(_parse_time(change.get('at')), with_time=False)}"
                    handled += f"，{change['note']}）" if change.get("note") else "）"
                elif status in OPEN_STATUSES:
                    handled += f"，整改时限 {fmt_local(f.deadline, with_time=False)}"
                if fixed_snap:
                    handled += f"；整改后快照：{fixed_snap}"
                responsible = f"{target.owner}（{target.name}）" if target.owner else target.name
                sink.row("问题案例汇总", [responsible, case_type(f), describe(f), handled])
            sink.finding({
                "id": f.id, "target_id": f.target_id, "item_id": f.item_id, "rule": f.rule,
                "category": f.category, "severity": f.effective_severity, "severity_reported": f.severity,
                "status": status, "status_now": f.status, "url": f.url, "match": f.match,
                "first_seen_at": _iso(f.first_seen_at), "deadline": _iso(f.deadline),
                "snapshot": snap, "rectified_snapshot": fixed_snap, "evidence": evidence,
                "history": f.history})
        del findings, items

        if not target.enabled:
            continue
        if target.platform == "website":
            n_avail += 1
            sink.row("可用性统计", [n_avail, *_availability_row(store, settings, target, start, end)])
        last, published = _last_publication(store, target, start, end)
        requirement, verdict, days = update_state(settings, target, last, at_end, book)
        n_update += 1
        where = target.url or target.account_id or target.feed_url
        platform = PLATFORM_LABELS.get(target.platform, target.platform)
        sink.row("更新情况", [n_update, target.name, platform, target.owner, where, fmt_local(last),
                             "" if days is None else days, published, requirement, verdict])
        if target.platform != "website":
            kind = next((k for k in ZOMBIE_ADVICE if verdict.startswith(k)), "")
            if kind:
                n_zombie += 1
                sink.row("僵尸空壳账号", [n_zombie, target.name, platform, target.owner, where, fmt_local(last),
                                       "" if days is None else days, verdict,
                                       "" if target.followers is None else target.followers,
                                       account_status or "未建立问题", ZOMBIE_ADVICE[kind]])

    by_owner: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_owner[t.owner].append(t)
    for name, group in by_owner.items():
        sink.row("内容运营情况汇总", _operation_row(name, group, owners.get(name, _OwnerStats())))
    for row in unit_summary(tree, by_owner, owners, owner):
        sink.row("单位汇总", row)
    return stats


# ---------------------------------------------------------------------------- the units' roll-up

UNKNOWN_UNIT = "（未填写主办单位）"


@dataclass
class Unit:
    name: str
    level: str = ""
    parent: str = ""
    children: list = field(default_factory=list)


def unit_tree(targets: list[Target]) -> dict[str, Unit]:
    """Units (主办单位) and their parents (the targets' 上级单位), parents owning no target included,
    cycles cut where the walk up comes back."""
    units: dict[str, Unit] = {}
    for t in targets:
        name = t.owner or UNKNOWN_UNIT
        u = units.setdefault(name, Unit(name))
        u.level = u.level or t.owner_level
        if t.parent and t.parent != name and not u.parent:
            u.parent = t.parent
    for name in list(units):
        parent = units[name].parent
        if parent and parent not in units:
            units[parent] = Unit(parent)
    for name in units:
        seen, cur = set(), name
        while cur and cur not in seen:
            seen.add(cur)
            nxt = units[cur].parent
            if nxt in seen:
                units[cur].parent = ""
                break
            cur = nxt
    for u in units.values():
        if u.parent:
            units[u.parent].children.append(u.name)
    for u in units.values():
        u.children.sort()
    return units


def units_under(tree: dict[str, Unit], owner: str) -> set[str]:
    """``owner`` and every unit below it."""
    out, todo = set(), [owner]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out.add(name)
        todo.extend(tree[name].children if name in tree else ())
    return out


def unit_summary(tree: dict[str, Unit], by_owner: dict[str, list[Target]], owners: dict[str, "_OwnerStats"],
                 top: str | None) -> list[list]:
    """单位汇总 rows: depth first from the roots (or from ``top``), each unit's own counts and the
    totals with the units below it. Units with no target anywhere below them are left out."""
    rows: list[list] = []

    def visit(name: str, depth: int) -> tuple[int, int, int, int, int, int]:
        own = by_owner.get("" if name == UNKNOWN_UNIT else name, [])
        s = owners.get("" if name == UNKNOWN_UNIT else name) or _OwnerStats()
        index = len(rows)
        rows.append([])
        totals = [len(own), s.findings, s.veto, s.done, s.open, s.overdue]
        for child in tree[name].children:
            sub = visit(child, depth + 1)
            totals = [a + b for a, b in zip(totals, sub)]
        if not totals[0]:
            del rows[index:]
            return (0, 0, 0, 0, 0, 0)
        u = tree[name]
        rows[index] = ["\u3000" * depth + name, u.level, u.parent, len(own), totals[0], s.findings,
                       totals[1], totals[2], totals[3], totals[4], totals[5]]
        return tuple(totals)

    roots = [top] if top is not None and top in tree else sorted(n for n, u in tree.items() if not u.parent)
    for root in roots:
        visit(root, 0)
    return rows


def _operation_row(owner: str, group: list[Target], s: _OwnerStats) -> list:
    def listing(ts):
        return "；".join(f"{t.name}（{t.url or t.account_id or t.feed_url}）" if t.platform == "website"
                        else f"{t.name}（{PLATFORM_LABELS.get(t.platform, t.platform)}）" for t in ts)

    sites = [t for t in group if t.platform == "website"]
    accounts = [t for t in group if t.platform in ACCOUNT_PLATFORMS]
    apps = [t for t in group if t.platform in APP_PLATFORMS]
    team = "、".join(dict.fromkeys(OPERATOR_LABELS.get(t.operator_type, t.operator_type) for t in group))
    outsourced = [t for t in group if t.operator_type == "outsourced"]
    nature = []
    for t in outsourced:
        qualified = {True: "具备", False: "不具备", None: "未核实"}[t.operator_qualified]
        nature.append(f"{t.operator_name or '外包单位'}（{qualified}新闻信息服务资质，运营{t.name}）")
    return [owner, listing(sites), listing(accounts), listing(apps), team, "是" if outsourced else "否",
            "；".join(nature), _owner_summary(s)]


def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return aware(value)
    if not value:
        return None
    try:
        return aware(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _iso(value: datetime | None) -> str:
    return aware(value).isoformat() if value else ""


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _slug(owner: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", owner).strip("._")[:60] or "owner"


README = """govwatch 月度检查材料（{month}{owner}）

问题清单.xlsx      检查表格：问题清单、错敏信息明细、问题案例汇总、内容运营情况汇总、可用性统计、更新情况、僵尸空壳账号、单位汇总（按上级单位逐级汇总）
snapshots/         证据快照：发现问题（及复查整改）时保存的页面，已移除脚本和外部资源，可离线打开查看
snapshots/raw/     快照原始字节，文件名即其 SHA-256，可用于核验
findings.jsonl     本月涉及的每个问题（编号、状态、证据、完整处置记录），每行一个
manifest.json      本目录每个文件的 SHA-256 校验值

统计口径：本月首次发现的问题，以及本月初仍未完成整改的问题；误报不列入。整改状态为月末时的状态。
生成时间：{generated}
"""


def export_month(store: Store, settings, month: str, out_dir: str | os.PathLike | None = None,
                 owner: str | None = None, progress=None) -> Path:
    """Write the month's evidence package and return the path of its zip (see the module docstring)."""
    start, end = month_bounds(month)
    month = f"{start.year:04d}-{start.month:02d}"
    out = Path(out_dir) if out_dir else settings.var_path / "exports"
    out.mkdir(parents=True, exist_ok=True)
    name = f"govwatch-{month}" + (f"-{_slug(owner)}" if owner else "")
    work = out / f".{name}.tmp{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    generated = now()
    try:
        sink = PackageSink(store, work, progress)
        try:
            stats = build(store, settings, month, sink, owner=owner)
        finally:
            sink.close()
        stats.snapshots = sum(1 for v in sink.written.values() if v)
        stats.missing_snapshots = sum(1 for v in sink.written.values() if not v)
        stats.rows = dict(sink.rows)
        if progress is not None:
            progress.note(f"已整理问题 {stats.findings} 个、快照 {stats.snapshots} 个，正在计算哈希并打包……")
        (work / "说明.txt").write_text(README.format(
            month=month, owner=f"，主办单位：{owner}" if owner else "", generated=fmt_local(generated)),
            encoding="utf-8")
        files = []
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            rel = path.relative_to(work).as_posix()
            files.append({"path": rel, "sha256": _sha256_file(path), "bytes": path.stat().st_size})
        manifest = {
            "generator": "govwatch", "month": month, "owner": owner or "",
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "generated_at": generated.isoformat(),
            "counts": {"targets": stats.targets, "findings": stats.findings,
                       "by_status": dict(stats.by_status), "snapshots": stats.snapshots,
                       "missing_snapshots": stats.missing_snapshots, "rows": stats.rows},
            "missing_snapshots": sink.missing,
            "files": files,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")

        final = out / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    zip_path = out / f"{name}.zip"
    tmp_zip = out / f".{name}.zip.tmp{os.getpid()}"
    try:
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for path in sorted(p for p in final.rglob("*") if p.is_file()):
                arc = f"{name}/{path.relative_to(final).as_posix()}"
                stored = path.suffix in (".xlsx", ".pdf", ".gz", ".zip")
                zf.write(path, arc, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        os.replace(tmp_zip, zip_path)
    finally:
        if tmp_zip.exists():
            tmp_zip.unlink()
    return zip_path
