"""The workbook's sheets and headers, safe cells, the month's bounds, and the texts of one finding's
row (measure, description, case type, status).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from govwatch.findings import OPEN_STATUSES, is_overdue, status_at
from govwatch.models import (
    CONTENT_TYPE_LABELS, FINDING_STATUS_LABELS, SEVERITY_LABELS, TZ,
    Finding, Target, fmt_local, now,
)
from govwatch import rules as catalogue
from govwatch.store import FindingFilter, Store


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
