"""Distributed crawling: a real Redis server on 127.0.0.1, workers in subprocesses, the site farm."""
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from govwatch.demo.farm import Farm
from govwatch.distributed import connect, enqueue, lease_key, pending, release, take
from govwatch.models import Target
from govwatch.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            connect(url)
            break
        except Exception:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_a_target_is_queued_once_and_leased_to_one_worker(redis_url):
    client = connect(redis_url)
    assert enqueue(client, "websites", ["a", "b", "c"]) == 3
    assert enqueue(client, "websites", ["b", "d"]) == 1  # b is already waiting
    assert pending(client, "websites") == 4
    assert take(client, "websites", 2, "w1") == ["a", "b"]
    # a target being crawled by w1 is queued again by the next schedule: w2 must not crawl it too
    enqueue(client, "websites", ["a"])
    assert take(client, "websites", 5, "w2") == ["c", "d"]
    assert client.get(lease_key("a")) == "w1"
    release(client, ["a", "b"], "w2")  # not w2's leases: kept
    assert client.get(lease_key("a")) == "w1"
    release(client, ["a", "b"], "w1")
    assert client.get(lease_key("a")) is None and pending(client, "websites") == 0


def run(argv, env, **kw):
    return subprocess.run([sys.executable, "-m", "govwatch", *argv], env=env, capture_output=True, text=True,
                          timeout=300, **kw)


def test_two_workers_share_the_queue_and_crawl_every_site_once(tmp_path, redis_url):
    with Farm(seed=9, sites=4, defaults=False) as farm:
        store = SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
        targets = [Target.from_dict(d) for d in farm.targets() if d["platform"] == "website"]
        store.upsert_targets(targets)
        env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
                   GOVWATCH_VAR_DIR=str(tmp_path), GOVWATCH_CRAWL__REDIS_URL=redis_url,
                   GOVWATCH_CRAWL__AUTOTHROTTLE="false")
        queued = run(["crawl", "--enqueue"], env, cwd=tmp_path)
        assert queued.returncode == 0 and "新增 4 个" in queued.stdout
        farm.reset_requests()
        workers = [subprocess.Popen([sys.executable, "-m", "govwatch", "worker", "--once", "--batch", "1"],
                                    env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        outputs = [w.communicate(timeout=300) for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        # a site's first column list page is fetched only by a crawl of that site (homepages are
        # also fetched by the other sites' friend-link checks)
        from urllib.parse import urlsplit
        markers = {urlsplit(t.columns[0].url).path: t.id for t in targets}
        crawls = Counter(markers[path] for method, path, _ in farm.requests if method == "GET" and path in markers)
        assert sorted(crawls.values()) == [1, 1, 1, 1], crawls  # every site crawled, none twice
        for t in targets:
            got = store.get_target(t.id)
            assert got.last_crawl_ok_at is not None and store.count_items(t.id) > 0
        assert pending(connect(redis_url), "websites") == 0


def test_enqueue_without_redis_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_CRAWL__REDIS")}
    env.update(PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
               GOVWATCH_VAR_DIR=str(tmp_path))
    proc = run(["crawl", "--enqueue"], env, cwd=tmp_path)
    assert proc.returncode == 2 and "未配置 Redis" in proc.stderr
