"""govwatch settings [--format table|json]: every setting with its default, current value and source."""
from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("settings", help="配置：列出全部设置项的默认值、当前值、来源、单位和说明")
    p.add_argument("--format", choices=("table", "json"), default="table", help="输出格式（默认 table）")
    p.set_defaults(func=cmd_settings)


def _show(value) -> str:
    from govwatch.settings import toml_value

    return toml_value(value)


def cmd_settings(args) -> int:
    from govwatch.commands._common import print_table, settings_from
    from govwatch.settings import SOURCE_LABELS, describe

    settings = settings_from(args)
    rows = describe(settings)
    for row in rows:
        if row["key"] in ("smtp.password", "crawl.weibo_cookie") and row["value"]:
            row["value"] = "******"  # secrets are never printed
    if args.format == "json":
        print(json.dumps({"config_file": settings.source, "settings": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"配置文件：{settings.source or '（无，使用默认值）'}")
    print_table(["设置项", "默认值", "当前值", "来源", "单位", "说明"],
                [[r["key"], _show(r["default"]), _show(r["value"]), SOURCE_LABELS[r["source"]], r["unit"], r["help"]]
                 for r in rows], max_width=60)
    return 0
