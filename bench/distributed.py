"""Distributed crawling on Celery: a round over the farm with one `govwatch worker` and with two, in
the same run, on a real redis-server. The farm answers every request after a delay, as real servers
do, so crawling waits on the network, not on the CPU. Also measures what a SIGKILLed worker costs:
the round in which one worker dies mid-crawl (and is restarted, as systemd would), against the same
round undisturbed (the difference is ``crawl.visibility_timeout``, set short here and printed, plus
the part of the crawl that is redone).

Prints the rounds' wall times and last ``ratio=X``: throughput with two workers over one
(goal: ≥1.6 on a two-core machine).

    python bench/distributed.py [--sites 8] [--pages 24] [--page-delay 0.1]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import ROOT, free_port

from govwatch.models import Target
from govwatch.store.sqlite import SqliteStore

VISIBILITY = 8  # seconds before a dead worker's task is handed out again (production: hours)


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    import redis

    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.RedisError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def start_farm(sites: int, pages: int, delay: float) -> tuple[subprocess.Popen, list[dict]]:
    proc = subprocess.Popen([sys.executable, "-m", "govwatch.demo.farm", "--sites", str(sites), "--pages",
                             str(pages), "--clean", "--page-delay", str(delay)], stdout=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    proc.stdout.readline()
    return proc, json.loads(proc.stdout.readline())


def worker(env: dict, name: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "govwatch", "worker", "--kind", "websites", "--concurrency",
                             "1", "--name", name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=60)
    except ProcessLookupError:
        pass


def a_round(tmp: Path, redis_url: str, registry: list[dict], workers: int, kill_one: bool = False) -> float:
    """Seconds from enqueueing a round until the last target is crawled (workers already running)."""
    run_dir = Path(tempfile.mkdtemp(dir=tmp))
    store = SqliteStore(run_dir / "govwatch.db", snapshot_dir=run_dir / "snapshots")
    store.upsert_targets([Target.from_dict(d) for d in registry if d["platform"] == "website"])
    env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{run_dir / 'govwatch.db'}",
               GOVWATCH_VAR_DIR=str(run_dir), GOVWATCH_CRAWL__BROKER_URL=redis_url,
               GOVWATCH_CRAWL__AUTOTHROTTLE="false", GOVWATCH_CRAWL__MAX_CRAWLS_PER_HOST="16",
               GOVWATCH_CRAWL__VISIBILITY_TIMEOUT=str(VISIBILITY), GOVWATCH_CRAWL__LOCK_SECONDS="3",
               GOVWATCH_CRAWL__LOCK_RETRY_SECONDS="1")
    procs = [worker(env, f"w{i}") for i in range(workers)]
    time.sleep(4)  # workers up before the clock starts: the round, not Celery's start-up, is measured
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--enqueue"], env=env, check=True,
                   capture_output=True)
    if kill_one:  # a machine dies mid-crawl and its supervisor (systemd) starts a new worker
        time.sleep(2.0)
        stop(procs[0], signal.SIGKILL)
        procs.append(worker(env, "replacement"))
    try:
        while not [r for r in store.list_runs(job="crawl_round_websites") if r.finished_at]:
            time.sleep(0.2)
        return time.perf_counter() - t0
    finally:
        for p in procs:
            stop(p)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--page-delay", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        redis_proc, url = start_redis(tmp)
        farm, registry = start_farm(args.sites, args.pages, args.page_delay)
        try:
            one = a_round(tmp, url, registry, 1)
            two = a_round(tmp, url, registry, 2)
            killed = a_round(tmp, url, registry, 2, kill_one=True)
        finally:
            farm.terminate()
            farm.wait()
            redis_proc.terminate()
            redis_proc.wait()
    print(f"round of {args.sites} sites × {args.pages} pages, page delay {args.page_delay}s")
    print(f"one worker: {one:.1f}s ({args.sites / one:.2f} sites/s)")
    print(f"two workers: {two:.1f}s ({args.sites / two:.2f} sites/s)")
    print(f"two workers, one SIGKILLed after 2s and restarted: {killed:.1f}s; the lost crawl costs "
          f"{killed - two:+.1f}s (visibility_timeout {VISIBILITY}s, plus the crawl redone)")
    print(f"ratio={one / two:.2f}")


if __name__ == "__main__":
    main()
