"""govwatch demo: the whole chain on a local site farm, offline, on the embedded store.

Starts the farm, imports its registry, crawls its websites with the Scrapy spider (in a
subprocess, as the scheduler does), scans the items with the shipped lexicons, runs the nightly
detection, and prints a Chinese summary of the problems per target.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo
from pathlib import Path

from govwatch.commands._common import print_table, settings_from

DEMO_DIR = "demo"


def register(sub) -> None:
    p = sub.add_parser("demo", help="演示：在本机模拟站点上完整运行一遍采集、扫描和检测（无需联网）")
    p.add_argument("--seed", type=int, default=7, help="模拟站点的随机种子（默认 7）")
    p.add_argument("--sites", type=int, default=4, help="模拟网站数量（默认 4）")
    p.add_argument("--keep", action="store_true", help="保留上次演示的数据（默认每次重新开始）")
    p.set_defaults(func=cmd_demo)


def demo_settings(args):
    """The demo has its own store under var/demo/, so it never mixes with real monitoring data."""
    settings = settings_from(args)
    var = settings.var_path / DEMO_DIR
    if var.exists() and not args.keep:
        shutil.rmtree(var)
    var.mkdir(parents=True, exist_ok=True)
    settings.data["var_dir"] = str(var)
    settings.data["db"] = f"sqlite:///{var / 'govwatch.db'}"
    return settings


def child_env(settings) -> dict:
    env = dict(os.environ)
    env["GOVWATCH_DB"] = settings.db
    env["GOVWATCH_VAR_DIR"] = str(settings.var_path)
    # the farm is on this machine: the politeness meant for real government servers is not needed
    env.update(GOVWATCH_CRAWL__ACCOUNT_DELAY="0.02", GOVWATCH_CRAWL__WEIBO_DELAY="0.05",
               GOVWATCH_CRAWL__WEIBO_BACKOFF="0.5", GOVWATCH_CRAWL__AUTOTHROTTLE="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                      env.get("PYTHONPATH", "")]))
    return env


def cmd_demo(args) -> int:
    from govwatch.demo.farm import Farm
    from govwatch.models import Target
    from govwatch.store import open_store

    started = time.monotonic()
    settings = demo_settings(args)
    with Farm(seed=args.seed, sites=args.sites) as farm:
        print(f"模拟站点已启动：{farm.base_url}（网站 {args.sites} 个，另有微信、微博和订阅源）")
        targets = [Target.from_dict(d) for d in farm.targets()]
        for t in targets:
            # the farm serves from 127.0.0.1, not from a .gov.cn domain: that is the demo, not a finding
            t.rules = {**t.rules, "disabled": sorted({*t.rules.get("disabled", []), "site.domain"})}
        store = open_store(settings=settings)
        created, updated = store.upsert_targets(targets)
        print(f"已导入名录：{created + updated} 个监测对象。")
        store.close()

        print("开始采集网站（Scrapy）和政务新媒体账号（子进程）……")
        cmd = [sys.executable, "-m", "govwatch", "crawl", "--kind", "all"]
        proc = subprocess.run(cmd, env=child_env(settings), timeout=settings.crawl["subprocess_timeout"])
        if proc.returncode != 0:
            print(f"采集子进程异常退出（退出码 {proc.returncode}）。", file=sys.stderr)
            return 1

        store = open_store(settings=settings)
        from govwatch.detection import run_detection

        run_detection(store, settings)  # the nightly staleness and zombie-account detection
        print_summary(store, targets)
        store.close()
    month = datetime.now(ZoneInfo(settings.timezone)).strftime("%Y-%m")
    print(f"\n演示完成，用时 {time.monotonic() - started:.1f} 秒。数据保存在 {settings.var_path}/ 下。\n"
          "其他命令默认读取正式数据库；要查看演示数据，先在同一终端执行：\n"
          f"  export GOVWATCH_DB={settings.db} GOVWATCH_VAR_DIR={settings.var_path}\n"
          "然后即可使用：\n"
          "  govwatch findings list            问题清单\n"
          "  govwatch zombies                  更新情况（栏目、账号是否超期）\n"
          f"  govwatch export --month {month}   本月检查材料\n"
          "  govwatch console                  网页值班台\n"
          "（用完执行 unset GOVWATCH_DB GOVWATCH_VAR_DIR 恢复。）")
    return 0


def collector_note(t) -> str:
    if t.consecutive_failures:
        return f"采集失败（不作为未更新的依据）：{t.last_crawl_error}"
    if t.crawl_errors:
        return f"未发现问题；{len(t.crawl_errors)} 个页面未能采集：{t.crawl_errors[0].get('error', '')}"
    return "未发现问题"


def print_summary(store, targets) -> None:
    from govwatch.models import PLATFORM_LABELS, SEVERITIES, SEVERITY_LABELS, SEVERITY_RANK

    findings = store.list_findings()
    by_target: dict[str, list] = {}
    for f in findings:
        by_target.setdefault(f.target_id, []).append(f)
    rows = []
    for t in (store.get_target(t.id) for t in targets):
        fs = [f for f in by_target.get(t.id, []) if f.effective_severity != "info"]
        counts = {s: sum(f.effective_severity == s for f in fs) for s in SEVERITIES}
        reviews = len(by_target.get(t.id, [])) - len(fs)
        # one example per kind of problem: most serious first, then the most frequent
        kinds: dict[str, list] = {}
        for f in fs:
            kinds.setdefault(f.category, []).append(f)
        ranked = sorted(kinds.values(), key=lambda group: (
            min(SEVERITY_RANK[f.effective_severity] for f in group), -len(group), group[0].category))
        examples = [group[0].category + (f"“{group[0].match}”" if len(group) == 1 and group[0].match
                                         and len(group[0].match) <= 12 else f"×{len(group)}" if len(group) > 1 else "")
                    for group in ranked]
        note = "；".join(examples[:3]) or collector_note(t)
        if reviews and not examples:  # only words in a crackdown context: not "no problem"
            note = note.replace("未发现问题", f"无确定问题，{reviews} 条待人工复核", 1)
        rows.append([t.id, t.name, PLATFORM_LABELS.get(t.platform, t.platform),
                     *[counts[s] or "" for s in SEVERITIES[:4]], reviews or "", note])
    print()
    print_table(["编号", "名称", "平台", *[SEVERITY_LABELS[s] for s in SEVERITIES[:4]], "待复核", "问题示例"],
                rows, max_width=60)
    serious = [f for f in findings if f.effective_severity != "info"]
    vetoes = sum(f.effective_severity == "veto" for f in findings)
    print(f"\n共发现问题 {len(serious)} 个，其中单项否决 {vetoes} 个；另有 {len(findings) - len(serious)} 条"
          f"出现在打击、防范等语境中的敏感词，仅供人工复核。")
