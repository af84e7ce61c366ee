"""govwatch targets import|list|export: the registry (底数) of sites and accounts."""
from __future__ import annotations

import json

from govwatch.commands._common import print_table, settings_from, store_from


def register(sub) -> None:
    p = sub.add_parser("targets", help="监测对象名录：导入、列出、导出")
    tsub = p.add_subparsers(dest="targets_command", metavar="操作")
    imp = tsub.add_parser("import", help="从 YAML / CSV / XLSX 文件导入或更新监测对象")
    imp.add_argument("file", help="名录文件（.yaml/.yml/.csv/.xlsx）")
    imp.set_defaults(func=cmd_import)
    ls = tsub.add_parser("list", help="列出监测对象")
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.add_argument("--platform", help="只列出某一平台（website、wechat、weibo …）")
    ls.set_defaults(func=cmd_list)
    exp = tsub.add_parser("export", help="导出名录为 XLSX（可再次导入）")
    exp.add_argument("file", help="输出文件（.xlsx/.csv/.yaml）")
    exp.set_defaults(func=cmd_export)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def cmd_import(args) -> int:
    from govwatch.cli import CliError
    from govwatch.registry import RegistryError, judge_registry, load_targets

    settings = settings_from(args)
    try:
        targets = load_targets(args.file)
    except RegistryError as exc:
        raise CliError(f"{exc}\n未导入任何记录。") from exc
    store = store_from(args, settings)
    created, updated = store.upsert_targets(targets)
    print(f"已导入 {args.file}：新增 {created} 个，更新 {updated} 个，共 {len(targets)} 个监测对象。")
    judgment = judge_registry(store, settings)
    if judgment.problems:
        print(f"名录检查发现 {len(judgment.problems)} 个问题：")
        for target_id, hit in judgment.problems:
            print(f"  - [{target_id}] {hit.category}：{hit.detail or hit.match}")
    if judgment.rectified:
        print(f"名录更新后已整改 {len(judgment.rectified)} 个问题：")
        for f in judgment.rectified:
            print(f"  - [{f.target_id}] {f.category}：{f.detail or f.match}")
    return 0


def cmd_list(args) -> int:
    from govwatch.models import PLATFORM_LABELS, fmt_local

    store = store_from(args)
    targets = [t for t in store.list_targets() if not args.platform or t.platform == args.platform]
    if args.format == "json":
        for t in targets:
            print(json.dumps(t.to_dict(jsonable=True), ensure_ascii=False))
        return 0
    rows = [[t.id, t.name, PLATFORM_LABELS.get(t.platform, t.platform), t.owner, t.office,
             t.url or t.account_id or t.feed_url, fmt_local(t.last_published_at),
             "" if t.enabled else "停用"] for t in targets]
    print_table(["编号", "名称", "平台", "主办单位", "责任科室", "网址或账号", "最近更新", "状态"], rows)
    print(f"共 {len(targets)} 个监测对象。")
    return 0


def cmd_export(args) -> int:
    from govwatch.registry import export_targets

    store = store_from(args)
    targets = store.list_targets()
    export_targets(targets, args.file)
    print(f"已导出 {len(targets)} 个监测对象到 {args.file}。")
    return 0
