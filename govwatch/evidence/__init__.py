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
- 更新情况, one row per enabled target: the verdict of the nightly detection as of the month's end
  (``govwatch.detection.judge_as_of``, exactly what ``govwatch zombies --as-of`` says): last update
  (a website's is its homepage's, never a fresh item in a minor column), days without an update,
  items published in the month, the update requirement and the status with its reason, in the
  forms' words (website homepage 2 weeks; accounts weekly/10 days 更新不及时, 2-week 单项否决,
  3-month 疑似僵尸, 1-year 僵尸账号, never published = 空壳). A target whose collector is failing,
  whose last good crawl is older than ``thresholds.crawl_max_age_hours``, or that was never
  fetched successfully is 未知 with the collector's reason — a failed or missing fetch is never
  evidence of staleness, and the sheet never states a veto the system cannot know. Apps and mini
  programs (not collected) are 不作更新判断.
- 僵尸空壳账号, one row per account judged 僵尸, 疑似僵尸, 空壳 or 已注销/不存在 above, with the
  status of its ``account.*`` finding and what to do.

**Memory** stays bounded: the workbook is write-only (each sheet streams to a temporary file), the
findings are read one target at a time, snapshots are written as they are met, and the zip is
streamed from disk. What grows with the month is only a set of snapshot hashes and per-owner counters.

``--owner`` (``owner=``) keeps the targets of that 主办单位 and of every unit below it: a unit's
parent is its targets' ``parent`` (上级单位), followed up the chain (cycles cut).

- 单位汇总, one row per unit in scope, depth first under its parent (names indented by level): its
  own targets and findings, and the totals with every unit below it.

The package: cells.py, package.py, state.py, export.py."""
from __future__ import annotations

from govwatch.evidence.cells import (  # noqa: F401
    ACCOUNT_PLATFORMS, APP_PLATFORMS, CASE_SITE_RULES, CASE_TYPES, COLUMN_WIDTHS, EXCEL_MAX_CELL,
    ExportError, FORMULA_PREFIXES, SHEETS, WORKBOOK_NAME, case_type, content_type_of, describe,
    findings_of_month, measure_for, month_bounds, previous_month, rectified_evidence, safe_cell,
    status_text,
)
from govwatch.evidence.package import MAX_CSS_DATA_URLS, PackageSink, Sink, offline_html  # noqa: F401
from govwatch.evidence.state import ZOMBIE_ADVICE, update_state  # noqa: F401
from govwatch.evidence.export import (  # noqa: F401
    ExportStats, README, UNKNOWN_UNIT, Unit, build, export_month, unit_summary, unit_tree, units_under,
)
from govwatch.evidence.package import _strip_css  # noqa: F401  (tests check it on hostile CSS)
