"""govwatch export --month YYYY-MM [--owner NAME] [--out DIR]: the monthly inspection evidence."""
from __future__ import annotations

from govwatch.progress import Progress
from govwatch.commands._common import settings_from, store_from


def register(sub) -> None:
    p = sub.add_parser("export", help="导出月度检查材料：问题清单.xlsx、证据快照、校验清单和压缩包")
    p.add_argument("--month", help="月份 YYYY-MM（默认：上个月）")
    p.add_argument("--owner", help="主办单位名称：只导出该单位及其下级单位（以它为上级单位）的监测对象")
    p.add_argument("--out", help="输出目录（默认：var/exports）")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from govwatch.cli import CliError
    from govwatch.evidence import ExportError, export_month, previous_month

    settings = settings_from(args)
    store = store_from(args, settings)
    month = args.month or previous_month()
    try:
        with Progress(None, f"导出 {month} 检查材料", unit="个问题") as progress:
            zip_path = export_month(store, settings, month, args.out, owner=args.owner, progress=progress)
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    import json

    manifest = json.loads((zip_path.with_suffix("") / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    print(f"已导出 {manifest['month']} 月度检查材料"
          + (f"（主办单位：{args.owner}）" if args.owner else "") + "：")
    print(f"  监测对象 {counts['targets']} 个，问题 {counts['findings']} 个，证据快照 {counts['snapshots']} 个"
          + (f"（{counts['missing_snapshots']} 个快照缺失）" if counts["missing_snapshots"] else ""))
    print(f"  目录：{zip_path.with_suffix('')}")
    print(f"  压缩包：{zip_path}")
    return 0
