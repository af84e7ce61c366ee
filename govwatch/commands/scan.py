"""govwatch scan: scan stored items that the current lexicon has not seen."""
from __future__ import annotations


from govwatch.progress import Progress
from govwatch.commands._common import crawl_hooks, in_force, settings_from, store_from

BATCH = 200


def register(sub) -> None:
    p = sub.add_parser("scan", help="扫描尚未用当前词库扫描过的信息（词库更新后加 --rescan 重扫）")
    p.add_argument("--rescan", action="store_true", help="也重扫用其他版本词库扫描过的信息")
    p.add_argument("--target", help="只扫描指定编号的监测对象")
    p.add_argument("--lexicon-dir", action="append", default=[], help="额外的词库目录（合并到内置词库之上）")
    p.set_defaults(func=cmd_scan)


def cmd_scan(args) -> int:
    from crawler.ingest import Ingestor
    from govwatch.lifecycle import IngestStats, deadline_days

    settings = settings_from(args)
    if args.lexicon_dir:
        settings.data["lexicon_dirs"] = [*settings.lexicon_dirs, *args.lexicon_dir]
    store = store_from(args, settings)
    settings = in_force(settings, store)
    lexicon, ignore, on_findings = crawl_hooks(settings)
    ingestor = Ingestor(store, lexicon, deadline_days(settings), ignore=ignore, thresholds=settings.thresholds)
    total = IngestStats()
    batch = []

    def flush():
        part = ingestor.scan_items(batch)
        total.add(part)
        if on_findings and part.new_findings:
            on_findings(store, part.new_findings)
        bar.step(batch[-1].title[:30] if batch else "", n=len(batch))
        batch.clear()

    # Collect ids first: scanning marks items, which would shift a live keyset cursor.
    todo = [i.id for i in store.iter_items(target_id=args.target, not_scanned_with=lexicon.version)
            if args.rescan or not i.scanned_with]
    with Progress(len(todo), "扫描信息", unit="条") as bar:
        for item_id in todo:
            batch.append(store.get_item(item_id))
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    print(f"扫描完成（词库版本 {lexicon.version}）：扫描 {total.scanned} 条，新发现问题 {total.findings_new} 个，"
          f"再次发现 {total.findings_seen} 个。")
    return 0
