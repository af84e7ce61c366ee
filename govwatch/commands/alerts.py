"""govwatch alerts list|test|flush|release|log|duty: the alert outbox and its log."""
from __future__ import annotations

import json

from govwatch.commands._common import print_table, settings_from, store_from
from govwatch.redact import redact, redact_data

STATUS_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "held": "待审核",
                 "cancelled": "已取消"}
EVENT_LABELS = {"sent": "已发送", "retry": "重试", "failed": "发送失败", "suppressed": "未发送",
                "queued": "入队", "released": "审核放行", "cancelled": "已取消", "test_sent": "测试成功",
                "test_failed": "测试失败", "no_duty": "无人值班", "roster_error": "值班表错误"}


def register(sub) -> None:
    p = sub.add_parser("alerts", help="提醒：查看发件箱、发送测试、立即发送、审核放行、查看日志")
    asub = p.add_subparsers(dest="alerts_command", metavar="操作")
    ls = asub.add_parser("list", help="列出发件箱中的提醒")
    ls.add_argument("--status", choices=sorted(STATUS_LABELS), help="只列出某一状态（pending、sent、failed、held、cancelled）")
    ls.add_argument("--limit", type=int, default=50, help="最多列出多少条（默认 50）")
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.set_defaults(func=cmd_list)
    t = asub.add_parser("test", help="向一个邮箱或机器人地址发送测试提醒")
    t.add_argument("address", help="邮箱地址，或机器人地址（wecom:URL、dingtalk:URL、feishu:URL）")
    t.set_defaults(func=cmd_test)
    f = asub.add_parser("flush", help="立即发送所有到期的提醒")
    f.set_defaults(func=cmd_flush)
    r = asub.add_parser("release", help="审核放行待审核（held）的提醒；不带编号则全部放行")
    r.add_argument("ids", nargs="*", metavar="编号", help="提醒编号")
    r.set_defaults(func=cmd_release)
    lg = asub.add_parser("log", help="提醒日志：每次发送与每次不发送的原因")
    lg.add_argument("--limit", type=int, default=50)
    lg.add_argument("--format", choices=["table", "json"], default="table")
    lg.set_defaults(func=cmd_log)
    d = asub.add_parser("duty", help="检查值班表并显示当前值班人员")
    d.set_defaults(func=cmd_duty)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def cmd_list(args) -> int:
    from govwatch.alerts.outbox import shown_to
    from govwatch.models import fmt_local

    store = store_from(args)
    alerts = store.list_alerts(status=args.status, limit=args.limit)
    if args.format == "json":
        for a in alerts:
            d = a.to_dict(jsonable=True)
            d.pop("html", None)
            d["to"] = shown_to(a)
            print(json.dumps(d, ensure_ascii=False))
        return 0
    rows = []
    for a in alerts:
        when = fmt_local(a.sent_at) if a.status == "sent" else fmt_local(a.next_attempt_at)
        rows.append([a.id, STATUS_LABELS.get(a.status, a.status), "邮件" if a.channel == "email" else "机器人",
                     shown_to(a), a.subject, a.attempts, when, a.last_error])
    print_table(["编号", "状态", "渠道", "收件人", "主题", "尝试次数", "发送/下次尝试", "最后错误"], rows)
    counts = {}
    for a in alerts:
        counts[a.status] = counts.get(a.status, 0) + 1
    summary = "，".join(f"{STATUS_LABELS.get(k, k)} {v} 条" for k, v in sorted(counts.items()))
    print(f"共 {len(alerts)} 条" + (f"（{summary}）" if summary else "") + "。")
    failed = [a for a in alerts if a.status == "failed"]
    if failed and args.status != "failed":
        print(f"注意：有 {len(failed)} 条提醒发送失败，请用 govwatch alerts list --status failed 查看原因。")
    return 0


def shown_address(address: str) -> str:
    """An address as the console may show it: a robot by kind and host, never its token or secret."""
    from govwatch.alerts.webhook import display, parse_webhook

    from urllib.parse import urlsplit

    if parse_webhook(address):
        return display(address)
    if "://" in address:  # an address we cannot use: scheme and host only, never the query
        try:
            parts = urlsplit(address.strip())
            return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…"
        except ValueError:
            return "（地址无效）"
    return address.strip()


def cmd_test(args) -> int:
    from govwatch.alerts import send_test

    from govwatch.alerts.webhook import parse_webhook

    if "://" in args.address and parse_webhook(args.address) is None:
        print(f"测试提醒未发送：无法判断机器人“{shown_address(args.address)}”的类型，"
              "请写成 wecom:网址、dingtalk:网址 或 feishu:网址")
        return 2
    settings = settings_from(args)
    store = store_from(args, settings)
    error = send_test(store, settings, args.address)
    if error:
        print(f"测试提醒发送失败（{shown_address(args.address)}）：{redact(error)}")
        return 1
    print(f"测试提醒已发送到 {shown_address(args.address)}。")
    return 0


def cmd_flush(args) -> int:
    from govwatch.alerts import flush, sweep

    settings = settings_from(args)
    store = store_from(args, settings)
    swept = sweep(store, settings)
    result = flush(store, settings)
    if result.locked:
        print("另一个进程正在发送提醒（发件箱已加锁），本次未发送。")
        return 1
    extra = f"，补充入队 {swept.queued} 条" if swept.queued else ""
    print(f"已发送 {result.sent} 条，待重试 {result.retried} 条，失败 {result.failed} 条，"
          f"取消 {result.cancelled} 条{extra}。")
    if result.skipped_channels:
        print(f"以下渠道暂时不可用，其余提醒稍后重试：{'、'.join(sorted(set(result.skipped_channels)))}")
    return 0


def cmd_release(args) -> int:
    from govwatch.alerts import release

    store = store_from(args)
    result = release(store, args.ids or None)
    print(f"已放行 {result['released']} 条提醒" + (f"，取消 {result['cancelled']} 条（问题已标记为误报）" if result["cancelled"] else "")
          + "。")
    if result["unknown"]:
        print(f"以下编号不是待审核的提醒：{'、'.join(result['unknown'])}")
        return 1
    return 0


def cmd_log(args) -> int:
    from datetime import datetime

    from govwatch.models import fmt_local

    store = store_from(args)
    events = [redact_data(e) for e in store.list_alert_log(limit=args.limit)]  # older records too
    if args.format == "json":
        for e in events:
            print(json.dumps(e, ensure_ascii=False, default=str))
        return 0
    rows = []
    for e in events:
        at = e.get("at", "")
        try:
            at = fmt_local(datetime.fromisoformat(at)) if isinstance(at, str) else fmt_local(at)
        except ValueError:
            pass
        to = e.get("to", "")
        if isinstance(to, list):
            to = "、".join(to)
        rows.append([at, EVENT_LABELS.get(e.get("event"), e.get("event", "")), to,
                     e.get("subject") or e.get("rule", ""), e.get("reason") or e.get("error", "")])
    print_table(["时间", "事件", "收件人", "主题或规则", "原因"], rows)
    print(f"共 {len(events)} 条。")
    return 0


def cmd_duty(args) -> int:
    from govwatch.alerts.roster import RosterError, load_roster, on_duty
    from govwatch.cli import CliError
    from govwatch.models import fmt_local, now

    settings = settings_from(args)
    if not settings.roster:
        print("未配置值班表（设置项 roster）；即时提醒只发给责任单位。")
        return 0
    try:
        shifts = load_roster(settings.roster)
        current = on_duty(settings.roster, now())
    except RosterError as exc:
        raise CliError(str(exc)) from exc
    print(f"值班表 {settings.roster}：共 {len(shifts)} 个班次。")
    if not current:
        print("当前无人值班：即时提醒的值班副本将发给管理员。")
        return 0
    for s in current:
        print(f"当前值班：{s.name}（{fmt_local(s.start)} 至 {fmt_local(s.end)}）"
              + (f" 邮箱 {s.email}" if s.email else "") + (" 机器人已配置" if s.webhook else ""))
    return 0
