"""Nightly staleness detection against the naive query, at 1,000,000 and 2,000,000 items.

Builds 100,000 targets (a fifth websites with three registered columns and a homepage listing,
the rest accounts) and 1,000,000 items in the embedded SQLite store, then grows the store to
2,000,000 items by adding each target's older history (another ten items per target, further
back in time: what a store accumulates as months pass). About nine targets in ten published in
the last five days; the rest are spread from a week to two years, so about a tenth of the targets
carry open timeline findings (around 19,000). At both sizes it times

* nightly detection, ``govwatch.detection.run_detection``: every target listed, the column states
  kept at ingest, every target judged, the open timeline findings read, new or changed findings
  written, revived targets' findings rectified (best of three, after a first run that records the
  findings, as on every night but the first); and
* the naive query: the latest item per target over all items, ``SELECT target_id,
  max(published_at) FROM items GROUP BY target_id``, served by the covering index
  ``items_target_published (target_id, published_at)`` (best of three).

The report that ``govwatch zombies`` prints on top (the month's statistics from
``publication_times``, the rows and the roll-up) is timed apart and written to stderr: it follows
the month's posts, not the stored history.

Setup writes rows with bulk SQL in the store's own schema and document format (the store API
would take many minutes) and derives the column states with one aggregate, as ingest would have
left them. Progress goes to stderr. Output: the four times, then ``growth_detection=X
growth_naive=Y`` (time at 2M over time at 1M). Goals: detection <= 2 s at 100,000 targets and
X <= 1.2; Y is expected near 2.

    python bench/zombies.py [--targets 100000] [--items-per-target 10] [--dir DIR]
"""
from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _util import timed

from govwatch.detection import run_detection
from govwatch.models import TZ, Column, Target, stable_id
from govwatch.settings import DEFAULTS, Settings
from govwatch.store.sqlite import ITEM_COLUMNS, SqliteStore, _target_json, ts

AS_OF = datetime(2026, 11, 10, 2, 0, tzinfo=TZ)  # a nightly run, ten days into the month
SITE_COLUMNS = [Column("动态要闻", "", "news"), Column("通知公告", "", "notice"), Column("政策文件", "", "policy")]
# which column a website's k-th newest item sits in: the homepage lists the newest, news most often
WEBSITE_COLUMNS = ("首页", "动态要闻", "首页", "动态要闻", "通知公告", "动态要闻", "首页", "政策文件", "动态要闻", "通知公告")
ITEM_SQL = f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def make_targets(n: int, rng: random.Random) -> tuple[list[Target], dict[str, tuple[datetime, float]]]:
    """Targets, and per target its latest publication and cadence (days between posts)."""
    targets, plan = [], {}
    crawled = AS_OF - timedelta(hours=3)
    for k in range(n):
        unit = k % 5000
        county, city = unit % 400, unit % 40
        website = k % 5 == 0
        platform = "website" if website else ("wechat", "weibo", "douyin", "toutiao")[k % 4]
        r = rng.random()
        if r < 0.90:
            age = rng.uniform(0, 5)
        elif r < 0.94:
            age = rng.uniform(6, 14)
        elif r < 0.97:
            age = rng.uniform(15, 90)
        elif r < 0.99:
            age = rng.uniform(91, 365)
        else:
            age = rng.uniform(366, 700)
        cadence = rng.randint(1, 7) if website else rng.randint(1, 30)  # days between posts
        plan[f"t{k:06d}"] = (AS_OF - timedelta(days=age), float(cadence))
        targets.append(Target(
            id=f"t{k:06d}", name=f"{'网站' if website else '账号'}{k}", platform=platform,
            url=f"http://site{k}.gov.cn/" if website else f"https://m.weibo.cn/u/{k}",
            owner=f"第{unit}单位", owner_level="部门" if unit >= 440 else ("县" if unit >= 40 else "市"),
            parent=f"第{county + 40}单位" if unit >= 440 else (f"第{city}单位" if unit >= 40 else "省政府"),
            office="信息科", emails=[f"office{unit}@example.gov.cn"],
            content_type="video" if platform == "douyin" else "text",
            columns=list(SITE_COLUMNS) if website else [], last_crawl_ok_at=crawled, last_crawl_at=crawled,
            status="live"))
    return targets, plan


def item_rows(targets: list[Target], plan: dict, ks: range, rng: random.Random):
    for t in targets:
        latest, cadence = plan[t.id]
        for k in ks:
            pub = latest - timedelta(days=k * cadence, hours=rng.uniform(0, 6) if k else 0)
            column = WEBSITE_COLUMNS[k % 10] if t.platform == "website" else ""
            url = f"{t.url}art/{k}.html"
            seen = ts(pub + timedelta(hours=2))
            yield (stable_id(t.platform, url), t.id, t.platform, column, url, f"关于第{k}项工作的通知",
                   ts(pub), "meta", "本网", "", "正文", "[]", "[]", "[]", "{}", stable_id(url, length=32),
                   seen, seen, "live", "", "", "")


def insert_items(store: SqliteStore, rows, total: int) -> None:
    db = store.db
    db.execute("BEGIN")
    batch, done = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            db.executemany(ITEM_SQL, batch)
            done += len(batch)
            batch = []
            log(f"  items {done:,}/{total:,}")
    if batch:
        db.executemany(ITEM_SQL, batch)
    db.execute("COMMIT")


def refresh_states(store: SqliteStore) -> None:
    """Column states and target latest publication, as ingest keeps them."""
    db = store.db
    db.execute("BEGIN")
    db.execute("DELETE FROM column_state")
    db.execute("INSERT INTO column_state SELECT target_id, column_name, max(published_at), count(*) "
               "FROM items WHERE state='live' GROUP BY target_id, column_name")
    db.execute("COMMIT")
    db.execute("ANALYZE")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=100_000)
    ap.add_argument("--items-per-target", type=int, default=10, help="items per target at the first size")
    ap.add_argument("--dir", help="where to build the database (default: a temporary directory)")
    args = ap.parse_args()
    n, per = args.targets, args.items_per_target
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "govwatch.db"
        store = SqliteStore(path)
        settings = Settings(data=copy.deepcopy(DEFAULTS))
        rng = random.Random(20261110)

        t0 = time.perf_counter()
        log(f"building {n:,} targets ...")
        targets, plan = make_targets(n, rng)
        db = store.db
        db.execute("BEGIN")
        for t in targets:
            t.last_published_at = plan[t.id][0]
        db.executemany("INSERT INTO targets VALUES (?,?,?,?,?,?,?,?)", [
            (t.id, t.platform, t.owner, t.parent, 1, ts(t.last_published_at), t.status, _target_json(t))
            for t in targets])
        db.execute("COMMIT")
        log(f"inserting {n * per:,} items ...")
        insert_items(store, item_rows(targets, plan, range(per), rng), n * per)
        refresh_states(store)
        log(f"setup {time.perf_counter() - t0:.0f}s; first detection run (records the findings) ...")

        def detect():
            run_detection(store, settings, AS_OF)

        def report():  # what `govwatch zombies` adds: the month's statistics, rows, roll-up
            r = run_detection(store, settings, AS_OF, record=False)
            t = time.perf_counter()
            r.units  # noqa: B018 (builds month statistics and rows first)
            return time.perf_counter() - t

        def naive():
            store.db.execute("SELECT target_id, max(published_at) FROM items GROUP BY target_id").fetchall()

        first = run_detection(store, settings, AS_OF)
        log(f"  first run {first.stats['elapsed_s']}s, {first.stats.get('findings_new')} findings, "
            f"statuses {first.stats['statuses']}")
        detect_1 = timed(detect, repeat=3)
        naive_1 = timed(naive, repeat=3)
        items_1 = store.count_items()
        log(f"  report (month statistics, rows, roll-up) {min(report() for _ in range(2)):.3f}s")

        log(f"growing to {2 * n * per:,} items (older history) ...")
        insert_items(store, item_rows(targets, plan, range(per, 2 * per), rng), n * per)
        refresh_states(store)
        run_detection(store, settings, AS_OF)
        detect_2 = timed(detect, repeat=3)
        naive_2 = timed(naive, repeat=3)
        items_2 = store.count_items()
        log(f"  report (month statistics, rows, roll-up) {min(report() for _ in range(2)):.3f}s")
        store.close()
    print(f"targets={n} items={items_1} detection={detect_1:.3f}s naive={naive_1:.3f}s")
    print(f"targets={n} items={items_2} detection={detect_2:.3f}s naive={naive_2:.3f}s")
    print(f"growth_detection={detect_2 / detect_1:.2f} growth_naive={naive_2 / naive_1:.2f}")


if __name__ == "__main__":
    main()
