"""govwatch probe: one availability probe round over the websites."""
from __future__ import annotations

from govwatch.commands._common import in_force, print_table, select_targets, settings_from, store_from
from govwatch.progress import Progress


def register(sub) -> None:
    p = sub.add_parser("probe", help="探测网站可用性（每次探测都记录在案）")
    p.add_argument("--target", action="append", help="只探测指定编号的监测对象（可重复）")
    p.set_defaults(func=cmd_probe)


def cmd_probe(args) -> int:
    from govwatch.availability import run_probe
    from govwatch.models import fmt_local

    settings = settings_from(args)
    store = store_from(args, settings)
    settings = in_force(settings, store)
    targets = [t for t in select_targets(store, args.target) if t.platform == "website"]
    names = {t.id: t.name for t in targets}
    bar = Progress(len(targets), "探测网站", unit="个")

    def progress(check):
        bar.step(f"{names.get(check.target_id, check.target_id)}（{'正常' if check.ok else '失败'}）")

    from govwatch.alerts import availability_notice

    def notify(store_, target, event, at):
        availability_notice(store_, target, event, at, settings=settings)

    try:
        result = run_probe(store, settings, targets, on_done=progress, notify=notify)
    finally:
        bar.close()
    checks = {c.target_id: c for t in targets for c in store.list_checks(t.id)[-1:]}
    rows = [[t.id, t.name, "正常" if checks[t.id].ok else "失败",
             checks[t.id].http_status or "", f"{checks[t.id].elapsed_ms or 0} ms", checks[t.id].error,
             fmt_local(checks[t.id].at)] for t in targets if t.id in checks]
    print_table(["编号", "名称", "结果", "状态码", "用时", "错误", "时间"], rows)
    print(f"探测完成：{result.probed} 个网站，失败 {result.failed} 个；"
          f"新判定无法访问 {len(result.went_down)} 个，恢复连通 {len(result.came_back)} 个"
          + (f"，维护结束后仍无法访问 {len(result.still_down)} 个" if result.still_down else "") + "。")
    return 0
