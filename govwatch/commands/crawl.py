"""govwatch crawl: fetch websites (and accounts) into the store, scanning new items inline."""
from __future__ import annotations

import sys

from govwatch.cli import CliError
from govwatch.progress import Progress
from govwatch.commands._common import (  # noqa: F401  (crawl_hooks, select_targets: shared with scan and probe)
    crawl_hooks, in_force, print_table, select_targets, settings_from, store_from,
)
from govwatch.interrupt import EXIT_CODE as INTERRUPTED  # the scheduler records the job as failed

KINDS = ("websites", "accounts", "all")


def register(sub) -> None:
    p = sub.add_parser("crawl", help="采集网站和账号的最新信息并即时扫描")
    p.add_argument("--kind", choices=KINDS, default="websites", help="采集网站（websites）、账号（accounts）或全部（all）")
    p.add_argument("--target", action="append", help="只采集指定编号的监测对象（可重复）")
    p.add_argument("--revalidate", action="store_true", help="对已采集的文章也发送条件请求，检查是否被修改")
    p.add_argument("--lexicon-dir", action="append", default=[], help="额外的词库目录（合并到内置词库之上）")
    p.add_argument("--enqueue", action="store_true",
                   help="不在本机采集，而是每个监测对象一个任务放入消息队列（配置项 crawl.broker_url），"
                        "由各台机器上的 govwatch worker 领取")
    p.set_defaults(func=cmd_crawl)

    w = sub.add_parser("worker", help="分布式采集节点（Celery）：从消息队列领取监测对象并采集，可在多台机器上同时运行")
    w.add_argument("--kind", choices=("websites", "accounts"),
                   help="只领取网站（websites）或账号（accounts）任务（默认两种都领取）")
    w.add_argument("--concurrency", type=int, default=2, help="本机同时采集的监测对象数（默认 2）")
    w.add_argument("--name", help="节点名称（默认 主机名；同一台机器上运行多个节点时需各不相同）")
    w.set_defaults(func=cmd_worker)

    ws = sub.add_parser("workers", help="查看在线的采集节点、各自领取的队列和正在采集的监测对象")
    ws.set_defaults(func=cmd_workers)


def cmd_crawl(args) -> int:
    settings = settings_from(args)
    if args.lexicon_dir:
        settings.data["lexicon_dirs"] = [*settings.lexicon_dirs, *args.lexicon_dir]
    store = store_from(args, settings)
    settings = in_force(settings, store)
    targets = select_targets(store, args.target)
    if args.enqueue:
        return enqueue_targets(settings, targets, args.kind)
    lexicon, ignore, on_findings = crawl_hooks(settings)
    code = 0
    if args.kind in ("websites", "all"):
        from crawler.run import run_crawl

        sites = [t for t in targets if t.platform == "website"]
        print(f"开始采集 {len(sites)} 个网站……", file=sys.stderr)
        result = run_crawl(settings, store, sites, lexicon=lexicon, on_findings=on_findings, ignore=ignore,
                           revalidate=args.revalidate, progress=True)
        print_crawl_summary(result)  # unreachable sites are findings, not a failure of the command
        if result.interrupted:
            return INTERRUPTED
    if args.kind in ("accounts", "all"):
        try:
            from crawler.accounts import crawl_accounts
        except ImportError:
            print("账号采集尚未安装。", file=sys.stderr)
            return 2
        accounts = [t for t in targets if t.platform != "website"]
        with Progress(len(accounts), "采集账号", unit="个") as bar:
            summary = crawl_accounts(settings, store, accounts, lexicon=lexicon, on_findings=on_findings,
                                     ignore=ignore, on_account=lambda target, result: bar.step(
                                         f"{target.name}（{'失败' if result.failed else '完成'}）"))
        print(summary)
    return code


def print_crawl_summary(result) -> None:
    s = result.stats
    failed = [r for r in result.reports.values() if not r.homepage_ok]
    errors = sum(len(r.errors) for r in result.reports.values())
    if result.interrupted:
        from govwatch.interrupt import reason_text

        print(f"\n采集被中断（{reason_text(result.reason)}）：网站 {result.targets} 个，已请求页面 {result.pages} 个；"
              f"已保存新信息 {s.get('items_new', 0)} 条，修改 {s.get('items_changed', 0)} 条，"
              f"新发现问题 {s.get('findings_new', 0)} 个。本次未作整改判断、死链判断和网站检查，"
              f"已有问题均保持原状；下次采集时补全。")
        return
    lists = sum(r.list_pages for r in result.reports.values())
    print(f"\n采集完成：网站 {result.targets} 个，请求页面 {result.pages} 个（其中栏目列表页 {lists} 个）；"
          f"新信息 {s.get('items_new', 0)} 条，修改 {s.get('items_changed', 0)} 条，"
          f"未变 {s.get('items_unchanged', 0)} 条；扫描 {s.get('scanned', 0)} 条；"
          f"新发现问题 {s.get('findings_new', 0)} 个，已整改 {s.get('rectified', 0)} 个；"
          f"访问错误 {errors} 次，首页无法访问 {len(failed)} 个。")
    for r in failed:
        print(f"  - {r.target_id}：{r.homepage_error or '首页无法访问'}")


def enqueue_targets(settings, targets, kind: str) -> int:
    from govwatch.distributed import DistributedError, enqueue_round

    kinds = ("websites", "accounts") if kind == "all" else (kind,)
    for k in kinds:
        chosen = [t.id for t in targets if (t.platform == "website") == (k == "websites")]
        try:
            sent = enqueue_round(settings, k, chosen)
        except DistributedError as exc:
            raise CliError(str(exc)) from exc
        print(f"已放入采集队列（{'网站' if k == 'websites' else '账号'}）：新增 {sent.added} 个，"
              f"{sent.skipped} 个仍在队列中或正在采集；轮次 {sent.round_id}。")
    return 0


def cmd_worker(args) -> int:
    from govwatch.distributed import DistributedError, mask_url, start_worker

    settings = settings_from(args)
    if args.concurrency < 1:
        raise CliError("--concurrency 至少为 1")
    kind = {"websites": "网站", "accounts": "账号", None: "网站和账号"}[args.kind]
    try:
        print(f"采集节点启动：领取{kind}采集任务，同时采集 {args.concurrency} 个；"
              f"消息队列 {mask_url(settings.crawl.get('broker_url') or '（未配置）')}。按 Ctrl-C 停止"
              "（正在采集的任务会交还队列）。", flush=True)
        start_worker(settings, args.kind, args.concurrency,
                     hostname=f"{args.name}@%h" if args.name else None)
    except DistributedError as exc:
        raise CliError(str(exc)) from exc
    return 0


def cmd_workers(args) -> int:
    from govwatch.distributed import DistributedError, list_workers

    settings = settings_from(args)
    try:
        workers = list_workers(settings)
    except DistributedError as exc:
        raise CliError(str(exc)) from exc
    if not workers:
        print("没有在线的采集节点（用 govwatch worker 在采集机器上启动）。")
        return 0
    print_table(["节点", "队列", "正在采集"],
                [[w.name, "、".join(w.queues), "、".join(w.active) or "空闲"] for w in workers])
    return 0
