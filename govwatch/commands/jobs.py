"""govwatch jobs: the timetable, next run times and the last run of each job."""
from __future__ import annotations

from govwatch.commands._common import in_force, print_table, settings_from, store_from


def register(sub) -> None:
    p = sub.add_parser("jobs", help="列出定时任务、下次运行时间和最近一次运行结果")
    p.set_defaults(func=cmd_jobs)


def cmd_jobs(args) -> int:
    from govwatch.models import fmt_local
    from scheduler.service import job_table

    settings = settings_from(args)
    store = store_from(args, settings)
    try:
        settings = in_force(settings, store)  # a sensitive period's probe interval
        rows = job_table(settings, store)
    finally:
        store.close()
    table = []
    for r in rows:
        last = r["last"]
        if last is None:
            result = "从未运行"
        elif last.ok is None:
            result = "运行中"
        else:
            result = "成功" if last.ok else f"失败：{last.error}"
        table.append([r["name"], r["label"], r["schedule"], fmt_local(r["next_run"]),
                      fmt_local(last.started_at) if last else "", result])
    print_table(["任务", "说明", "时间表", "下次运行", "最近运行", "结果"], table, max_width=50)
    if not any(r["stored"] for r in rows):
        print("定时任务服务尚未启动过：下次运行时间按现在启动推算。用 govwatch run 启动服务。")
    return 0
