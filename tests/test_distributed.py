"""Distributed crawling on Celery: a real redis-server on 127.0.0.1, real `govwatch worker` (Celery)
processes, the site farm. Nothing here is skipped in CI (.ci/run installs redis-server)."""
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import free_port
from govwatch.demo.farm import Farm
from govwatch.models import Target
from govwatch.settings import load_settings
from govwatch.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (.ci/run installs it)")


class RedisServer:
    """A durable redis-server (append-only file), so a restart keeps the queue as production must."""

    def __init__(self, directory: Path):
        self.dir, self.port, self.proc = directory, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def farm_site(tmp_path, redis_server):
    """A farm of clean sites in the registry, and the environment every process shares."""
    def make(sites=4, page_delay=0.0, **crawl):
        farm = Farm(seed=9, sites=sites, defaults=False, page_delay=page_delay).start()
        store = SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
        targets = [Target.from_dict(d) for d in farm.targets() if d["platform"] == "website"]
        store.upsert_targets(targets)
        env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
                   GOVWATCH_VAR_DIR=str(tmp_path), GOVWATCH_CRAWL__BROKER_URL=redis_server.url,
                   GOVWATCH_CRAWL__AUTOTHROTTLE="false", GOVWATCH_CRAWL__MAX_CRAWLS_PER_HOST="8")
        env.update({f"GOVWATCH_CRAWL__{k.upper()}": str(v) for k, v in crawl.items()})
        made.append((farm, store))
        return farm, store, targets, env

    made = []
    yield make
    for farm, store in made:
        farm.stop()
        store.close()


def govwatch(argv, env, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "govwatch", *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, **kw)


def start_worker(env, cwd, name, concurrency=1):
    return subprocess.Popen([sys.executable, "-m", "govwatch", "worker", "--kind", "websites",
                             "--concurrency", str(concurrency), "--name", name],
                            env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own group: SIGKILL reaches pool and crawls


def stop_worker(proc, sig=signal.SIGTERM):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_for_round(store, kind="websites", timeout=240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [r for r in store.list_runs(job=f"crawl_round_{kind}") if r.finished_at]
        if runs:
            return runs[0]
        time.sleep(0.5)
    raise AssertionError("the round was not completed in time")


def column_crawls(farm, targets) -> Counter:
    """How often each site's first column list page was fetched: once per crawl of that site."""
    markers = {urlsplit(t.columns[0].url).path: t.id for t in targets}
    return Counter(markers[path] for method, path, _ in farm.requests if method == "GET" and path in markers)


def test_two_workers_crawl_a_round_with_every_target_exactly_once(tmp_path, farm_site):
    farm, store, targets, env = farm_site(sites=4)
    queued = govwatch(["crawl", "--enqueue"], env, tmp_path)
    assert queued.returncode == 0 and "新增 4 个" in queued.stdout, queued.stderr
    again = govwatch(["crawl", "--enqueue"], env, tmp_path)  # the next schedule while the round waits
    assert "新增 0 个" in again.stdout and "4 个仍在队列中或正在采集" in again.stdout
    farm.reset_requests()
    workers = [start_worker(env, tmp_path, f"w{i}") for i in range(2)]
    try:
        run = wait_for_round(store)
    finally:
        for w in workers:
            stop_worker(w)
    assert sorted(column_crawls(farm, targets).values()) == [1, 1, 1, 1]
    assert run.ok and run.stats["done"] == 4 and run.stats["failed"] == 0
    for t in targets:
        assert store.get_target(t.id).last_crawl_ok_at is not None and store.count_items(t.id) > 0


def test_a_sigkilled_worker_has_its_target_crawled_to_completion_by_another(tmp_path, farm_site):
    farm, store, targets, env = farm_site(sites=1, page_delay=0.15, visibility_timeout=6, lock_seconds=3,
                                          lock_retry_seconds=1)
    target = targets[0]
    assert govwatch(["crawl", "--enqueue"], env, tmp_path).returncode == 0
    first = start_worker(env, tmp_path, "doomed")
    deadline = time.monotonic() + 120
    while not column_crawls(farm, targets) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert column_crawls(farm, targets), "the first worker never started crawling"
    time.sleep(1.0)
    stop_worker(first, signal.SIGKILL)  # the machine dies mid-crawl: pool, crawl process and all
    assert store.get_target(target.id).last_crawl_ok_at is None
    second = start_worker(env, tmp_path, "survivor")
    try:
        run = wait_for_round(store)
    finally:
        stop_worker(second)
    assert run.stats["done"] == 1 and run.stats["redelivered"] >= 1
    assert store.get_target(target.id).last_crawl_ok_at is not None
    urls = [i.url for i in store.iter_items(target.id)]
    assert urls and len(urls) == len(set(urls))  # no duplicate items
    ids = [f.id for f in store.list_findings()]
    assert len(ids) == len(set(ids))


def test_a_task_delivered_twice_is_crawled_once(tmp_path, farm_site):
    from govwatch.distributed import TASK_NAME, configure, connect, round_key

    farm, store, targets, env = farm_site(sites=1, page_delay=0.05, lock_retry_seconds=1)
    target = targets[0]
    settings = load_settings(env=env)
    app = configure(settings)
    client = connect(settings)
    round_id = "websites-test-twice"
    client.hset(round_key(round_id), mapping={"kind": "websites", "total": 1,
                                              "started_at": "2026-11-29T00:00:00+00:00"})
    for _ in range(2):  # the broker hands the same task out twice
        app.send_task(TASK_NAME, args=["websites", target.id, round_id], queue="websites")
    workers = [start_worker(env, tmp_path, f"w{i}") for i in range(2)]
    try:
        run = wait_for_round(store)
        deadline = time.monotonic() + 60
        while client.llen("websites") and time.monotonic() < deadline:  # the duplicate drains too
            time.sleep(0.5)
        time.sleep(2)
    finally:
        for w in workers:
            stop_worker(w)
    assert column_crawls(farm, targets)[target.id] == 1
    assert run.stats["done"] == 1


def test_a_broker_restart_loses_no_queued_target(tmp_path, farm_site, redis_server):
    farm, store, targets, env = farm_site(sites=3)
    assert govwatch(["crawl", "--enqueue"], env, tmp_path).returncode == 0
    redis_server.stop()  # the broker goes away with three tasks waiting, and comes back
    redis_server.start()
    worker = start_worker(env, tmp_path, "w0", concurrency=2)
    try:
        run = wait_for_round(store)
    finally:
        stop_worker(worker)
    assert run.stats["done"] == 3
    assert sorted(column_crawls(farm, targets).values()) == [1, 1, 1]


def test_locks_and_host_slots_are_exclusive_and_expire(redis_server):
    from govwatch.distributed import held_lock, host_slot

    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    with held_lock(client, "k", ttl=30) as first:
        with held_lock(client, "k", ttl=30) as second:
            assert first and not second
    with held_lock(client, "k", ttl=30) as again:
        assert again  # released
    client.set("govwatch:crawl:lock:dead", "a dead machine", ex=1)
    time.sleep(1.5)
    with held_lock(client, "govwatch:crawl:lock:dead", ttl=30) as taken:
        assert taken  # a dead holder's lock expires
    with host_slot(client, "h", cap=2, ttl=30) as a, host_slot(client, "h", cap=2, ttl=30) as b:
        with host_slot(client, "h", cap=2, ttl=30) as c:
            assert a and b and not c
    with host_slot(client, "h", cap=1, ttl=30) as d:
        assert d


def test_enqueue_without_a_broker_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_CRAWL__")}
    env.update(PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}",
               GOVWATCH_VAR_DIR=str(tmp_path))
    proc = govwatch(["crawl", "--enqueue"], env, tmp_path)
    assert proc.returncode == 2 and "未配置消息队列" in proc.stderr
