"""govwatch recheck [--target ID]: fetch the pages of open findings again (整改复查)."""
from __future__ import annotations

from govwatch.commands._common import print_table, settings_from, store_from

RESULT_LABELS = {"rectified": "已整改", "open": "仍存在", "error": "复查失败", "skipped": "未复查"}


def register(sub) -> None:
    p = sub.add_parser("recheck", help="整改复查：重新抓取未整改问题所在页面，问题消失或页面删除的标记为已整改")
    p.add_argument("--target", help="只复查该监测对象")
    p.add_argument("--verbose", "-v", action="store_true", help="列出每个问题的复查结果")
    p.set_defaults(func=cmd_recheck)


def cmd_recheck(args) -> int:
    from govwatch.cli import CliError
    from govwatch.recheck import recheck

    settings = settings_from(args)
    store = store_from(args, settings)
    if args.target and store.get_target(args.target) is None:
        raise CliError(f"监测对象不存在：{args.target}")
    stats = recheck(store, settings, target_id=args.target)
    shown = [o for o in stats.outcomes if args.verbose or o.result in ("rectified", "error")
             or (o.result == "open" and o.overdue)]
    if shown:
        print_table(["问题编号", "监测对象", "结果", "说明", "网址"],
                    [[o.finding_id, o.target_id,
                      RESULT_LABELS[o.result] + ("（已超期）" if o.overdue else ""), o.note, o.url]
                     for o in shown], max_width=48)
    print(f"复查 {stats.findings} 个未整改问题，抓取 {stats.pages} 个页面：已整改 {stats.rectified} 个，"
          f"仍存在 {stats.still_open} 个（其中超期 {stats.overdue} 个），复查失败 {stats.errors} 个，"
          f"未复查 {stats.skipped} 个；新发现问题 {stats.new_findings} 个。")
    return 1 if stats.errors and not (stats.rectified or stats.still_open) else 0
