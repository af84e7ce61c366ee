"""govwatch periods add|list|remove: sensitive periods (敏感时期), date ranges with stricter settings."""
from __future__ import annotations

import json

from govwatch.cli import CliError
from govwatch.commands._common import print_table, settings_from, store_from


def register(sub) -> None:
    p = sub.add_parser("periods", help="敏感时期：声明、列出、删除（期间探测更频繁、阈值更严、否决问题立即提醒）")
    psub = p.add_subparsers(dest="periods_command", metavar="操作")
    add = psub.add_parser("add", help="声明一个敏感时期（按北京时间整天生效，含起止两天）")
    add.add_argument("name", metavar="名称", help="时期名称，如“全国两会”")
    add.add_argument("--from", dest="start", required=True, metavar="开始日期", help="开始日期（含），如 2027-03-03")
    add.add_argument("--to", dest="end", required=True, metavar="结束日期", help="结束日期（含），如 2027-03-12")
    add.add_argument("--probe-minutes", type=int, default=None, metavar="分钟",
                     help="期间的可用性探测间隔（默认：设置 periods.probe_minutes）")
    add.add_argument("--set", dest="sets", action="append", default=[], metavar="阈值=数值",
                     help="期间覆盖的数值阈值，可重复，如 --set thresholds.homepage_stale_days=3")
    add.add_argument("--lexicon-dir", action="append", default=[], metavar="目录",
                     help="期间额外启用的词库目录，可重复")
    add.add_argument("--by", default=None, help="声明人（默认：当前登录用户名）")
    add.set_defaults(func=cmd_add)
    ls = psub.add_parser("list", help="列出敏感时期（标出今天生效的）")
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.set_defaults(func=cmd_list)
    rm = psub.add_parser("remove", help="删除一个敏感时期")
    rm.add_argument("name", metavar="名称")
    rm.set_defaults(func=cmd_remove)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "未知"


def cmd_add(args) -> int:
    from govwatch.periods import PeriodError, make_period

    try:
        period = make_period(args.name, args.start, args.end, probe_minutes=args.probe_minutes,
                             sets=args.sets, lexicon_dirs=args.lexicon_dir, created_by=args.by or _user())
    except PeriodError as exc:
        raise CliError(f"{exc}。未声明敏感时期。") from exc
    settings_from(args)
    store = store_from(args)
    if not store.put_period(period.to_dict()):
        raise CliError(f"已有名为“{period.name}”的敏感时期：先用 govwatch periods remove 删除，或换一个名称")
    print(f"已声明敏感时期“{period.name}”：{period.span}（北京时间，含起止两天）。")
    for line in _effects(period, settings_from(args)):
        print(f"  - {line}")
    return 0


def _effects(period, settings) -> list[str]:
    from govwatch.periods import lookup_default

    minutes = period.probe_minutes or lookup_default(settings.data, "periods.probe_minutes")
    minutes = min(int(minutes), int(settings.schedule["probe_minutes"]))
    out = [f"可用性探测每 {minutes} 分钟一次"]
    urgent = lookup_default(settings.data, "periods.urgent_severities") or []
    if urgent:
        from govwatch.models import SEVERITY_LABELS

        out.append("、".join(SEVERITY_LABELS.get(s, s) for s in urgent) + "问题立即提醒（不进每日汇总，不受提醒时段限制）")
    out += [f"{k} = {v}" for k, v in period.overrides.items()]
    out += [f"额外词库：{d}" for d in period.lexicon_dirs]
    return out


def cmd_list(args) -> int:
    from govwatch.models import fmt_local
    from govwatch.periods import Period, local_day

    store = store_from(args)
    periods = [Period.from_dict(d) for d in store.list_periods()]
    if args.format == "json":
        for p in periods:
            print(json.dumps(p.to_dict(), ensure_ascii=False))
        return 0
    from govwatch.models import now

    today = local_day(now())
    rows = []
    for p in periods:
        state = "生效中" if p.active_on(today) else ("未开始" if p.start > today else "已结束")
        settings = "；".join([*(f"探测 {p.probe_minutes} 分钟" for _ in [0] if p.probe_minutes),
                             *(f"{k.removeprefix('thresholds.')}={v}" for k, v in p.overrides.items())])
        rows.append([p.name, p.start.isoformat(), p.end.isoformat(), state, settings or "默认",
                     "、".join(p.lexicon_dirs), p.created_by, fmt_local(p.created_at)])
    print_table(["名称", "开始", "结束", "状态", "设置", "额外词库", "声明人", "声明时间"], rows)
    print(f"共 {len(periods)} 个敏感时期。")
    return 0


def cmd_remove(args) -> int:
    store = store_from(args)
    if not store.delete_period(args.name):
        raise CliError(f"没有名为“{args.name}”的敏感时期（govwatch periods list 查看）")
    print(f"已删除敏感时期“{args.name}”。")
    return 0
