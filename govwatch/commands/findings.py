"""govwatch findings list|show|set|severity|ignore|ignores|unignore|overdue: triage of findings."""
from __future__ import annotations

import getpass
import json

from govwatch import rules
from govwatch.commands._common import print_table, settings_from, store_from


def _default_by() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "值班员"


def register(sub) -> None:
    p = sub.add_parser("findings", help="问题处置：列出、确认、整改状态、级别调整、忽略规则、超期")
    fsub = p.add_subparsers(dest="findings_command", metavar="操作")

    ls = fsub.add_parser("list", help="列出问题")
    ls.add_argument("--status", action="append",
                    help="状态（可重复）：待处理、已确认、整改中、已整改、已销号、误报，或 open、confirmed …；"
                         "“未完成”表示待处理、已确认和整改中")
    ls.add_argument("--severity", action="append", help="级别（可重复）：单项否决、严重、一般、轻微、提示，或 veto、high …")
    ls.add_argument("--target", help="监测对象编号")
    ls.add_argument("--owner", help="主办单位名称（列出该单位及其下级单位的监测对象的问题）")
    ls.add_argument("--since", help="首次发现不早于此日期（YYYY-MM-DD）")
    ls.add_argument("--rule", help="检查规则或规则前缀，如 privacy. 或 site.dead_link")
    ls.add_argument("--limit", type=int, help="最多列出多少条")
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.set_defaults(func=cmd_list)

    show = fsub.add_parser("show", help="查看一个问题的详情和处置记录")
    show.add_argument("id", help="问题编号")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(func=cmd_show)

    st = fsub.add_parser("set", help="改变问题状态（记录操作人、时间和说明）")
    st.add_argument("id", help="问题编号")
    st.add_argument("status", help="新状态：已确认、整改中、已整改、已销号、误报、待处理（重新打开）")
    st.add_argument("--note", default="", help="说明")
    st.add_argument("--by", default=None, help="操作人（默认：当前登录用户名）")
    st.set_defaults(func=cmd_set)

    sv = fsub.add_parser("severity", help="人工调整问题级别（记录操作人和理由）")
    sv.add_argument("id", help="问题编号")
    sv.add_argument("level", help="新级别：单项否决、严重、一般、轻微、提示")
    sv.add_argument("--by", required=True, help="操作人")
    sv.add_argument("--why", required=True, help="理由")
    sv.set_defaults(func=cmd_severity)

    ig = fsub.add_parser("ignore", help="添加忽略规则：以后的扫描不再报告匹配的问题")
    what = ig.add_mutually_exclusive_group(required=True)
    what.add_argument("--url-pattern", help="网址或通配模式（* 和 ?），不含通配符时按前缀匹配")
    what.add_argument("--term", help="词语（与问题的匹配内容相同时忽略）")
    ig.add_argument("--target", help="只在该监测对象内忽略")
    ig.add_argument("--rule", help="只忽略该检查规则或规则前缀（如 expression.term 或 privacy.）")
    ig.add_argument("--by", required=True, help="操作人")
    ig.add_argument("--why", required=True, help="理由")
    ig.add_argument("--keep-existing", action="store_true",
                    help="不改动已有问题（默认把匹配的未处理问题标记为误报）")
    ig.set_defaults(func=cmd_ignore)

    igl = fsub.add_parser("ignores", help="列出忽略规则")
    igl.add_argument("--format", choices=["table", "json"], default="table")
    igl.set_defaults(func=cmd_ignores)

    ud = fsub.add_parser("unignore", help="删除一条忽略规则")
    ud.add_argument("rule_id", help="忽略规则编号")
    ud.set_defaults(func=cmd_unignore)

    od = fsub.add_parser("overdue", help="列出超过整改时限仍未整改的问题")
    od.add_argument("--owner", help="主办单位名称（含下级单位）")
    od.add_argument("--format", choices=["table", "json"], default="table")
    od.set_defaults(func=cmd_overdue)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _fail(exc):
    from govwatch.cli import CliError
    return CliError(str(exc))


def _statuses(values):
    if not values:
        return None
    from govwatch.findings import OPEN_STATUSES
    out = []
    for v in values:
        out.extend(OPEN_STATUSES if v.strip() in ("未完成", "unfinished", "未整改") else [v])
    return out


def _finding_json(f, at) -> dict:
    from govwatch.findings import is_overdue
    from govwatch.models import FINDING_STATUS_LABELS, SEVERITY_LABELS

    d = f.to_dict(jsonable=True)
    d["effective_severity"] = f.effective_severity
    d["severity_label"] = SEVERITY_LABELS.get(f.effective_severity, f.effective_severity)
    d["status_label"] = FINDING_STATUS_LABELS.get(f.status, f.status)
    d["overdue"] = is_overdue(f, at)
    return d


def _rows(findings, names, at) -> list[list]:
    from govwatch.findings import is_overdue
    from govwatch.models import FINDING_STATUS_LABELS, SEVERITY_LABELS, fmt_local

    rows = []
    for f in findings:
        status = FINDING_STATUS_LABELS.get(f.status, f.status)
        deadline = fmt_local(f.deadline, with_time=False)
        if is_overdue(f, at):
            deadline += "（已超期）"
        severity = SEVERITY_LABELS.get(f.effective_severity, f.effective_severity)
        if f.severity_override:
            severity += "*"
        rows.append([f.id, severity, status, names.get(f.target_id, f.target_id),
                     rules.display_category(f.rule, f.category), rules.display_match(f.rule, f.match) or f.title,
                     fmt_local(f.first_seen_at), deadline])
    return rows


HEADERS = ["编号", "级别", "状态", "监测对象", "问题类型", "内容", "首次发现", "整改时限"]


def cmd_list(args) -> int:
    from govwatch.findings import FindingError, list_findings, parse_day
    from govwatch.models import now

    store = store_from(args)
    try:
        since = parse_day(args.since) if args.since else None
        found = list_findings(store, status=_statuses(args.status), severity=args.severity,
                              target=args.target, owner=args.owner, since=since,
                              rule_prefix=args.rule, limit=args.limit)
    except FindingError as exc:
        raise _fail(exc) from exc
    at = now()
    if args.format == "json":
        for f in found:
            print(json.dumps(_finding_json(f, at), ensure_ascii=False))
        return 0
    names = {t.id: t.name for t in store.list_targets()}
    print_table(HEADERS, _rows(found, names, at), max_width=36)
    print(f"共 {len(found)} 个问题。（级别后的 * 表示人工调整过级别）")
    return 0


def cmd_show(args) -> int:
    from govwatch.findings import FindingError, get_finding, is_overdue
    from govwatch.models import FINDING_STATUS_LABELS, SEVERITY_LABELS, fmt_local, now
    from govwatch.commands._common import clean_cell

    store = store_from(args)
    try:
        f = get_finding(store, args.id)
    except FindingError as exc:
        raise _fail(exc) from exc
    at = now()
    if args.format == "json":
        print(json.dumps(_finding_json(f, at), ensure_ascii=False, indent=2))
        return 0
    target = store.get_target(f.target_id)
    severity = SEVERITY_LABELS.get(f.effective_severity, f.effective_severity)
    if f.severity_override:
        severity += f"（人工调整，原为{SEVERITY_LABELS.get(f.severity, f.severity)}）"
    lines = [
        ("问题编号", f.id), ("监测对象", f"{target.name if target else ''}（{f.target_id}）"),
        ("主办单位", target.owner if target else ""), ("检查规则", f.rule), ("问题类型", rules.display_category(f.rule, f.category)),
        ("问题级别", severity), ("状态", FINDING_STATUS_LABELS.get(f.status, f.status)),
        ("网址", f.url), ("标题", f.title), ("匹配内容", rules.display_match(f.rule, f.match)), ("上下文", f.snippet),
        ("说明", f.detail), ("修改建议", f.suggestion), ("首次发现", fmt_local(f.first_seen_at)),
        ("最近发现", fmt_local(f.last_seen_at)),
        ("整改时限", fmt_local(f.deadline) + ("（已超期）" if is_overdue(f, at) else "")),
        ("证据快照", (f.evidence or {}).get("snapshot", "")),
    ]
    for k, v in lines:
        if v:
            print(f"{k}：{clean_cell(v)}")
    print("处置记录：")
    for e in f.history or []:
        when = fmt_local(datetime_of(e.get("at")))
        frm = FINDING_STATUS_LABELS.get(e.get("from"), e.get("from") or "")
        to = FINDING_STATUS_LABELS.get(e.get("to"), e.get("to") or "")
        change = f"{frm} → {to}" if frm and frm != to else to
        print(f"  {when}  {clean_cell(e.get('by', ''))}  {change}  {clean_cell(e.get('note', ''))}")
    return 0


def datetime_of(value):
    from datetime import datetime
    if not value:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def cmd_set(args) -> int:
    from govwatch.findings import FindingError, set_status
    from govwatch.models import FINDING_STATUS_LABELS

    store = store_from(args)
    by = args.by or _default_by()
    try:
        before = store.get_finding(args.id)
        f = set_status(store, args.id, args.status, by=by, note=args.note)
    except FindingError as exc:
        raise _fail(exc) from exc
    print(f"问题 {f.id}：{FINDING_STATUS_LABELS[before.status]} → {FINDING_STATUS_LABELS[f.status]}"
          f"（操作人：{by}）")
    return 0


def cmd_severity(args) -> int:
    from govwatch.findings import FindingError, override_severity
    from govwatch.models import SEVERITY_LABELS, fmt_local

    settings = settings_from(args)
    store = store_from(args, settings)
    try:
        f = override_severity(store, args.id, args.level, by=args.by, why=args.why, settings=settings)
    except FindingError as exc:
        raise _fail(exc) from exc
    print(f"问题 {f.id} 的级别已调整为“{SEVERITY_LABELS[f.effective_severity]}”，"
          f"整改时限 {fmt_local(f.deadline) or '不变'}（操作人：{args.by}）。")
    return 0


def cmd_ignore(args) -> int:
    from govwatch.findings import FindingError, add_ignore_rule

    store = store_from(args)
    try:
        rule, marked = add_ignore_rule(store, target_id=args.target, url_pattern=args.url_pattern,
                                       term=args.term, rule=args.rule, by=args.by, why=args.why,
                                       apply_to_existing=not args.keep_existing)
    except FindingError as exc:
        raise _fail(exc) from exc
    print(f"已添加忽略规则 {rule.id}：{rule.describe()}。以后的扫描不再报告匹配的问题。")
    if marked:
        print(f"已将 {len(marked)} 个匹配的未处理问题标记为误报。")
    return 0


def cmd_ignores(args) -> int:
    from govwatch.findings import list_ignore_rules

    rules = list_ignore_rules(store_from(args))
    if args.format == "json":
        for r in rules:
            print(json.dumps(r.as_dict(), ensure_ascii=False))
        return 0
    print_table(["编号", "监测对象", "网址模式", "词语", "规则", "操作人", "理由", "添加时间"],
                [[r.id, r.target_id, r.url_pattern, r.term, r.rule, r.by, r.why, r.created_at[:16]]
                 for r in rules])
    print(f"共 {len(rules)} 条忽略规则。")
    return 0


def cmd_unignore(args) -> int:
    from govwatch.findings import FindingError, delete_ignore_rule

    try:
        delete_ignore_rule(store_from(args), args.rule_id)
    except FindingError as exc:
        raise _fail(exc) from exc
    print(f"已删除忽略规则 {args.rule_id}。")
    return 0


def cmd_overdue(args) -> int:
    from govwatch.findings import overdue, target_ids_of_owner
    from govwatch.models import now

    store = store_from(args)
    at = now()
    ids = target_ids_of_owner(store, args.owner) if args.owner else None
    late = overdue(store, at, target_ids=ids)
    if args.format == "json":
        for f in late:
            print(json.dumps(_finding_json(f, at), ensure_ascii=False))
        return 0
    names = {t.id: t.name for t in store.list_targets()}
    print_table(HEADERS, _rows(late, names, at), max_width=36)
    print(f"共 {len(late)} 个问题超过整改时限。")
    return 0
