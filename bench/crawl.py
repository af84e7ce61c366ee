"""Website crawl throughput: the farm (e.g. 50 sites × 200 pages) crawled by `govwatch crawl` with
extraction, inline scanning and storage on, against `scrapy bench` run for the same duration in the
same run (Scrapy's own spider on its own local server, doing no work per page: the anchor).
Prints both pages/s, the crawl's peak RSS, and last ``ratio=X`` (goal: ≥0.5). Pagination is on
(every list page of every column). A second, incremental crawl of the unchanged farm follows and
prints how many column list pages it fetched against the number of columns (goal: one per column).

    python bench/crawl.py [--sites 50] [--pages 200]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import ROOT

from govwatch.models import Target
from govwatch.store.sqlite import SqliteStore


def start_farm(sites: int, pages: int) -> tuple[subprocess.Popen, str, list[dict]]:
    proc = subprocess.Popen([sys.executable, "-m", "govwatch.demo.farm", "--sites", str(sites),
                             "--pages", str(pages), "--clean"], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    base = proc.stdout.readline().strip().split()[-1]
    registry = json.loads(proc.stdout.readline())
    return proc, base, registry


def crawl(tmp: Path, sites: int) -> tuple[float, int, float, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp / 'govwatch.db'}",
               GOVWATCH_VAR_DIR=str(tmp), GOVWATCH_CRAWL__AUTOTHROTTLE="false",
               # every farm site shares one host and port: the per-domain cap would serialise them
               GOVWATCH_CRAWL__PER_DOMAIN="16", GOVWATCH_CRAWL__CONCURRENCY="16",
               GOVWATCH_CRAWL__LIST_PAGES="50", GOVWATCH_CRAWL__MAX_PAGES_PER_TARGET="1000")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites"], env=env,
                         capture_output=True, text=True, cwd=tmp)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(out.stderr[-2000:])
    pages = int(re.search(r"请求页面 (\d+) 个", out.stdout).group(1))
    lists = int(re.search(r"其中栏目列表页 (\d+) 个", out.stdout).group(1))
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, pages, rss_mb, lists


def scrapy_bench(seconds: float) -> float:
    out = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds:.0f}",
                          "-s", "LOG_LEVEL=INFO"], capture_output=True, text=True, cwd=tempfile.gettempdir())
    log = out.stderr + out.stdout
    count = int(re.search(r"'response_received_count': (\d+)", log).group(1))
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", log).group(1))
    return count / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--pages", type=int, default=200)
    args = ap.parse_args()
    farm, base, registry = start_farm(args.sites, args.pages)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            store = SqliteStore(tmp / "govwatch.db")
            targets = [Target.from_dict(d) for d in registry if d["platform"] == "website"]
            for t in targets:
                t.rules = {"disabled": ["site.domain"]}
            store.upsert_targets(targets)
            elapsed, pages, rss, lists = crawl(tmp, len(targets))
            items = store.count_items()
            columns = sum(len(t.columns) for t in targets)
            again_wall, again_pages, _, again_lists = crawl(tmp, len(targets))
    finally:
        farm.terminate()
        farm.wait()
    ours = pages / elapsed
    anchor = scrapy_bench(max(5.0, elapsed))
    print(f"sites={len(targets)} pages_requested={pages} list_pages={lists} items={items} wall={elapsed:.1f}s")
    print(f"incremental: pages_requested={again_pages} list_pages={again_lists} columns={columns} "
          f"list_pages_per_column={again_lists / max(1, columns):.2f} wall={again_wall:.1f}s")
    print(f"govwatch_crawl={ours:.1f} pages/s (extraction, scanning, storage) peak_rss={rss:.0f} MB")
    print(f"scrapy_bench={anchor:.1f} pages/s")
    print(f"ratio={ours / anchor:.2f}")


if __name__ == "__main__":
    main()
