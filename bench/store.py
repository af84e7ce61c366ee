"""Item upserts per second through the SQLite store, against raw sqlite3 executemany of the same
rows into the same schema, in the same run. Last line: ``ratio=X`` (goal: ≥0.5).

    python bench/store.py [--items 50000] [--batch 500]
"""
from __future__ import annotations

import argparse
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from _util import timed

from govwatch.models import UTC, Item, Target
from govwatch.store.sqlite import ITEM_COLUMNS, SCHEMA, SqliteStore, _dumps, ts


def make_items(n: int, targets: int) -> list[Item]:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    return [Item(target_id=f"t{k % targets}", url=f"http://site{k % targets}.gov.cn/art/{k}.html",
                 title=f"关于做好第{k}项工作的通知", column="动态要闻",
                 published_at=t0 - timedelta(minutes=k), text="政务公开工作稳步推进。" * 40,
                 links=[{"url": f"http://site.gov.cn/{k}", "text": "相关链接"}], source="本网")
            for k in range(n)]


def raw_rows(items: list[Item], at: datetime) -> list[tuple]:
    seen = ts(at)
    return [(i.id, i.target_id, i.platform, i.column, i.url, i.title, ts(i.published_at),
             i.published_at_source, i.source, i.author, i.text, _dumps(i.links), _dumps(i.attachments),
             _dumps(i.images), _dumps(i.meta), i.content_hash, seen, seen, i.state, i.snapshot,
             i.scanned_with, i.parent_url, i.published_at_precision) for i in items]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    items = make_items(args.items, targets=200)
    batches = [items[i:i + args.batch] for i in range(0, len(items), args.batch)]
    at = datetime.now(UTC)

    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "store.db")
        store.upsert_targets([Target(id=f"t{k}", name=f"网站{k}", url=f"http://site{k}.gov.cn/")
                              for k in range(200)])

        def through_store():
            for b in batches:
                store.upsert_items(b, at=at)

        store_s = timed(through_store)
        # re-crawl of unchanged items: the common case every 6 hours
        recrawl_s = timed(through_store)

        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.executescript(SCHEMA)
        sql = f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"

        prepared = [raw_rows(b, at) for b in batches]  # rows ready-made: the anchor is executemany alone

        def raw_executemany():
            for rows in prepared:
                raw.execute("BEGIN")
                raw.executemany(sql, rows)
                raw.execute("COMMIT")

        raw_s = timed(raw_executemany)
    n = len(items)
    print(f"items={n} batch={args.batch}")
    print(f"store_upsert_new={n / store_s:,.0f}/s store_upsert_unchanged={n / recrawl_s:,.0f}/s")
    print(f"raw_executemany={n / raw_s:,.0f}/s")
    print(f"ratio={raw_s / store_s:.2f}")


if __name__ == "__main__":
    main()
