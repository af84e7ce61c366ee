"""govwatch rules [--format table|json]: the rule catalogue, texts filled in from the settings in force."""
from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("rules", help="规则：列出全部检查规则的问题类型、级别、依据、整改措施和阈值")
    p.add_argument("--format", choices=("table", "json"), default="table", help="输出格式（默认 table）")
    p.set_defaults(func=cmd_rules)


def cmd_rules(args) -> int:
    from govwatch.commands._common import print_table, settings_from
    from govwatch.models import SEVERITY_LABELS
    from govwatch.rules import describe, format_threshold

    rows = describe(settings_from(args))
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print_table(["规则", "问题类型", "级别", "依据", "整改措施", "阈值"],
                [[r["id"], r["label"], SEVERITY_LABELS.get(r["severity"], r["severity"]), r["basis"], r["measure"],
                  "；".join(f"{k.split('.', 1)[1]}={format_threshold(k, v)}" for k, v in r["thresholds"].items())]
                 for r in rows], max_width=70)
    print(f"共 {len(rows)} 条规则。判定函数和测试文件见 --format json 的 judge、test 字段。")
    return 0
