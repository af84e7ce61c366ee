"""govwatch zombies: nightly staleness / zombie / empty-account detection and its report."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

from govwatch.commands._common import print_table, settings_from, store_from

TARGET_COLUMNS = [
    ("编号", "id"), ("名称", "name"), ("平台", "platform_label"), ("主办单位", "owner"),
    ("上级单位", "parent"), ("责任科室", "office"), ("最近更新", "last_update"),
    ("未更新天数", "days_since"), ("更新要求（天）", "limit_days"), ("状态", "status"),
    ("说明", "reason"), ("存在问题", "problems"), ("本月发布", "month_posts"),
    ("本月最长间隔（天）", "month_longest_gap"), ("本月超标天数", "month_days_out"),
]
TABLE_TARGET_COLUMNS = ["编号", "名称", "平台", "主办单位", "最近更新", "未更新天数", "状态", "说明",
                        "本月发布", "本月最长间隔（天）", "本月超标天数"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def register(sub) -> None:
    p = sub.add_parser("zombies", help="更新情况检测：超期、单项否决、僵尸、空壳账号（每晚自动运行）")
    p.add_argument("--as-of", dest="as_of",
                   help="按某一天检测（YYYY-MM-DD，按北京时间当天结束时计；默认：现在）")
    p.add_argument("--format", choices=["table", "json", "xlsx"], default="table", help="输出格式（默认 table）")
    p.add_argument("--out", help="输出文件（xlsx 默认为 更新情况-日期.xlsx；json 默认输出到屏幕）")
    p.add_argument("--dry-run", action="store_true", help="只生成报告，不记录问题、不提出整改")
    p.set_defaults(func=cmd_zombies)


def parse_as_of(text: str | None) -> datetime | None:
    from govwatch.cli import CliError
    from govwatch.detection import end_of_day
    from govwatch.models import TZ

    if not text:
        return None
    try:
        if len(text.strip()) <= 10:
            return end_of_day(date.fromisoformat(text.strip()))
        dt = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CliError(f"日期格式不正确：{text!r}，应为 YYYY-MM-DD") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=TZ)


def cmd_zombies(args) -> int:
    from govwatch.cli import CliError
    from govwatch.detection import run_detection
    from govwatch.models import now

    settings = settings_from(args)
    as_of = parse_as_of(args.as_of)
    store = store_from(args, settings)
    run = None if args.dry_run else store.start_run("zombies", at=now())
    try:
        report = run_detection(store, settings, as_of, record=not args.dry_run)
    except Exception as exc:
        if run is not None:
            store.finish_run(run, ok=False, error=str(exc), at=now())
        raise
    if run is not None:
        store.finish_run(run, ok=True, stats={k: v for k, v in report.stats.items() if k != "statuses"}, at=now())
    if args.format == "json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=1)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
            print(f"已写入 {args.out}。", file=sys.stderr)
        else:
            print(text)
        return 0
    if args.format == "xlsx":
        out = args.out or f"更新情况-{report.period_end.isoformat()}.xlsx"
        try:
            write_xlsx(report, out)
        except OSError as exc:
            raise CliError(f"无法写入 {out}：{exc}") from exc
        print(f"已导出 {len(report.rows)} 个监测对象的更新情况到 {out}。")
        print(summary(report))
        return 0
    print_report(report)
    return 0


def summary(report) -> str:
    from scanner.timeline import STATUSES

    counts = report.stats.get("statuses", {})
    parts = "，".join(f"{s} {counts.get(s, 0)}" for s in STATUSES)
    line = f"截至 {report.to_dict()['as_of_local']}，共 {len(report.rows)} 个监测对象：{parts}。"
    if "findings_new" in report.stats:
        line += (f"\n新发现问题 {report.stats['findings_new']} 个，更新 {report.stats['findings_updated']} 个，"
                 f"恢复更新提出已整改 {report.stats['rectified']} 个，问题再次出现 {report.stats['reopened']} 个。")
    return line


def print_report(report, file=None) -> None:
    file = file or sys.stdout
    names = dict(TARGET_COLUMNS)
    rows = [[_text(r[names[h]]) for h in TABLE_TARGET_COLUMNS] for r in report.rows]
    print(f"更新情况（统计月份 {report.month}：{report.period_start} 至 {report.period_end}）", file=file)
    print_table(TABLE_TARGET_COLUMNS, rows, file=file)
    print(file=file)
    print("按单位汇总", file=file)
    print_table(*unit_table(report.units), file=file)
    print(file=file)
    print(summary(report), file=file)


def unit_table(units: list[dict]) -> tuple[list[str], list[list]]:
    from scanner.timeline import STATUSES

    headers = ["单位", "级别", "监测对象", *STATUSES, "本月发布", "本月超标天数"]
    rows = [["  " * u["depth"] + u["unit"], u["level"], u["targets"], *(u[s] for s in STATUSES),
             u["month_posts"], u["month_days_out"]] for u in units]
    return headers, rows


def _text(value) -> str:
    return "" if value is None else str(value)


def safe_cell(value):
    """Neutralise formula injection: text starting with = + - @ (or tab / CR) is prefixed with an
    apostrophe; characters XML cannot hold are dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def write_xlsx(report, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from govwatch.detection import ZOMBIE_STATUSES
    from scanner.timeline import STATUSES

    wb = Workbook()
    bold = Font(bold=True)

    def sheet(ws, headers, rows):
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        ws.freeze_panes = "A2"

    target_rows = [[r[key] for _, key in TARGET_COLUMNS] for r in report.rows]
    ws = wb.active
    ws.title = "更新情况"
    sheet(ws, [h for h, _ in TARGET_COLUMNS], target_rows)
    zombies = [[r[key] for _, key in TARGET_COLUMNS] for r in report.rows if r["status"] in ZOMBIE_STATUSES]
    sheet(wb.create_sheet("僵尸空壳账号"), [h for h, _ in TARGET_COLUMNS], zombies)
    headers = ["单位", "级别", "上级单位", "层级", "监测对象", "本单位对象", *STATUSES, "问题对象",
               "本月发布", "本月超标天数"]
    rows = [[u["unit"], u["level"], u["parent"], u["depth"], u["targets"], u["own_targets"],
             *(u[s] for s in STATUSES), u["problem_targets"], u["month_posts"], u["month_days_out"]]
            for u in report.units]
    sheet(wb.create_sheet("单位汇总"), headers, rows)
    info = wb.create_sheet("说明")
    for line in (["检测时间", report.to_dict()["as_of_local"]], ["统计月份", report.month],
                 ["统计区间", f"{report.period_start} 至 {report.period_end}"],
                 ["天数口径", "按北京时间自然日计算：未更新天数 = 今天的日期 − 最近发布的日期；超过要求天数（不含）即超期，当天不计入"]):
        info.append([safe_cell(v) for v in line])
    wb.save(path)
