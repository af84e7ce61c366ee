"""govwatch crawl: fetch websites (and accounts) into the store, scanning new items inline."""
from __future__ import annotations

import sys

from govwatch.commands._common import settings_from, store_from

KINDS = ("websites", "accounts", "all")


def register(sub) -> None:
    p = sub.add_parser("crawl", help="采集网站和账号的最新信息并即时扫描")
    p.add_argument("--kind", choices=KINDS, default="websites", help="采集网站（websites）、账号（accounts）或全部（all）")
    p.add_argument("--target", action="append", help="只采集指定编号的监测对象（可重复）")
    p.add_argument("--revalidate", action="store_true", help="对已采集的文章也发送条件请求，检查是否被修改")
    p.add_argument("--lexicon-dir", action="append", default=[], help="额外的词库目录（合并到内置词库之上）")
    p.add_argument("--enqueue", action="store_true",
                   help="不在本机采集，而是放入 Redis 队列（配置项 crawl.redis_url），由各台机器上的 govwatch worker 领取")
    p.set_defaults(func=cmd_crawl)

    w = sub.add_parser("worker", help="分布式采集：从 Redis 队列领取监测对象并采集（可在多台机器上同时运行）")
    w.add_argument("--kind", choices=("websites", "accounts"), default="websites")
    w.add_argument("--batch", type=int, default=20, help="每批领取的监测对象数（默认 20）")
    w.add_argument("--once", action="store_true", help="队列取空后退出（默认一直等待新任务）")
    w.set_defaults(func=cmd_worker)


def crawl_hooks(settings):
    """What every crawl passes to the pipeline: the lexicon, people's ignore rules and the alert hook."""
    from scanner.lexicon import load_lexicon

    from govwatch.alerts import enqueue_for_findings
    from govwatch.findings import make_ignore_predicate
    from govwatch.store import open_store

    lexicon = load_lexicon(settings.lexicon_dirs)
    store = open_store(settings=settings)
    try:
        ignore = make_ignore_predicate(store.list_ignore_rules())
    finally:
        store.close()

    def on_findings(store, findings):
        # serious findings reach the outbox at once; the flush job sends them within a minute
        enqueue_for_findings(store, settings, findings)

    return lexicon, ignore or None, on_findings


def select_targets(store, ids: list[str] | None):
    from govwatch.cli import CliError

    targets = store.list_targets(enabled_only=True)
    if ids:
        known = {t.id: t for t in store.list_targets()}
        missing = [i for i in ids if i not in known]
        if missing:
            raise CliError(f"名录中没有这些监测对象：{'、'.join(missing)}（先用 govwatch targets import 导入）")
        targets = [known[i] for i in ids]
    return targets


def redis_client(settings):
    from govwatch.cli import CliError
    from govwatch.distributed import connect

    url = settings.crawl.get("redis_url")
    if not url:
        raise CliError("未配置 Redis：请设置 crawl.redis_url（或环境变量 GOVWATCH_CRAWL__REDIS_URL）")
    return connect(url)


def cmd_crawl(args) -> int:
    settings = settings_from(args)
    if args.lexicon_dir:
        settings.data["lexicon_dirs"] = [*settings.lexicon_dirs, *args.lexicon_dir]
    store = store_from(args, settings)
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
    if args.kind in ("accounts", "all"):
        try:
            from crawler.accounts import crawl_accounts
        except ImportError:
            print("账号采集尚未安装。", file=sys.stderr)
            return 2
        accounts = [t for t in targets if t.platform != "website"]
        summary = crawl_accounts(settings, store, accounts, lexicon=lexicon, on_findings=on_findings,
                                 ignore=ignore)
        print(summary)
    return code


def print_crawl_summary(result) -> None:
    s = result.stats
    failed = [r for r in result.reports.values() if not r.homepage_ok]
    errors = sum(len(r.errors) for r in result.reports.values())
    print(f"\n采集完成：网站 {result.targets} 个，请求页面 {result.pages} 个；"
          f"新信息 {s.get('items_new', 0)} 条，修改 {s.get('items_changed', 0)} 条，"
          f"未变 {s.get('items_unchanged', 0)} 条；扫描 {s.get('scanned', 0)} 条；"
          f"新发现问题 {s.get('findings_new', 0)} 个，已整改 {s.get('rectified', 0)} 个；"
          f"访问错误 {errors} 次，首页无法访问 {len(failed)} 个。")
    for r in failed:
        print(f"  - {r.target_id}：{r.homepage_error or '首页无法访问'}")


def enqueue_targets(settings, targets, kind: str) -> int:
    from govwatch.distributed import enqueue, pending

    client = redis_client(settings)
    kinds = ("websites", "accounts") if kind == "all" else (kind,)
    for k in kinds:
        chosen = [t.id for t in targets if (t.platform == "website") == (k == "websites")]
        added = enqueue(client, k, chosen)
        print(f"已放入采集队列（{'网站' if k == 'websites' else '账号'}）：新增 {added} 个，"
              f"队列中共 {pending(client, k)} 个待领取。")
    return 0


def cmd_worker(args) -> int:
    import signal

    from govwatch.distributed import work

    settings = settings_from(args)
    client = redis_client(settings)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    print(f"采集节点已启动：领取{'网站' if args.kind == 'websites' else '账号'}采集任务，每批 {args.batch} 个。")
    stats = work(client, args.kind, batch=args.batch, once=args.once, stop=lambda: bool(stopping),
                 timeout=float(settings.crawl["subprocess_timeout"]))
    print(f"采集节点退出：完成 {stats.batches} 批、{stats.targets} 个监测对象，异常 {stats.failed_batches} 批。")
    return 1 if stats.failed_batches else 0
