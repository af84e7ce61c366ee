"""Distributed crawling on Celery: many crawl machines, one scheduler, nothing lost when one dies.

The scheduler (``govwatch run``) stays the one clock. When ``crawl.broker_url`` is set it does not
crawl itself: it sends one Celery task per target to a queue per kind (``websites``, ``accounts``),
and ``govwatch worker`` processes on any machine that reaches the broker and the shared store
(MongoDB) take them. The unit of work is a whole target, so the site checks judge complete crawls.

What makes it safe to lose a machine:

* ``acks_late`` with ``reject_on_worker_lost``: a task is acknowledged only after its crawl ends;
  if the pool process dies the task goes back to the queue at once, and if the whole machine dies
  the broker hands it out again after ``crawl.visibility_timeout`` (longer than the longest crawl).
* a per-target lock in Redis with a short expiry, renewed while the crawl runs: a task delivered
  twice (redelivery while the first worker still crawls) waits and retries instead of crawling the
  site a second time; when the first worker dies, the lock expires and the retry crawls.
* a per-round "done" set: a redelivered task for a target already crawled in its round does nothing.
* a cap on concurrent crawls per host across all machines (``crawl.max_crawls_per_host``).
* transient failures (the crawl subprocess failing) are retried with exponential back-off.

Coordination state (locks, rounds) lives in Redis: the broker itself when it is Redis, or
``crawl.coordination_url`` when the broker is RabbitMQ.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

KINDS = ("websites", "accounts")
TASK_NAME = "govwatch.crawl_target"


class DistributedError(Exception):
    """A problem with the broker or its configuration, worded for the user (Chinese)."""


# --- the Celery application ------------------------------------------------------------------------

app = Celery("govwatch")
_configured_for: str | None = None


def configure(settings) -> Celery:
    """Point the Celery app at the broker of ``settings`` (idempotent per broker URL)."""
    global _configured_for
    crawl = settings.crawl
    broker = crawl.get("broker_url") or ""
    if not broker:
        raise DistributedError("未配置消息队列：请设置 crawl.broker_url（例如 redis://127.0.0.1:6379/0，"
                               "或环境变量 GOVWATCH_CRAWL__BROKER_URL）")
    if _configured_for == broker:
        return app
    visibility = int(crawl["visibility_timeout"])
    app.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,  # a crawl is long: never hold tasks another machine could run
        task_default_queue="websites",
        task_create_missing_queues=True,
        task_serializer="json", accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker restart is waited out, not fatal
        broker_transport_options={
            "visibility_timeout": visibility,
            # sweep for messages of dead workers often enough that the visibility timeout decides
            "unacked_restore_interval": max(1, min(10, visibility // 10)),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=True,  # Flower and `govwatch workers` see what runs where
        task_send_sent_event=True,
    )
    _configured_for = broker
    return app


def coordination_url(settings) -> str:
    crawl = settings.crawl
    url = crawl.get("coordination_url") or crawl.get("broker_url") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise DistributedError("分布式采集需要 Redis 保存锁和轮次：消息队列不是 Redis 时，请设置 crawl.coordination_url")
    return url


def connect(settings):
    import redis

    url = coordination_url(settings)
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise DistributedError(f"无法连接 Redis（{mask_url(url)}）：{exc}") from exc
    return client


def mask_url(url: str) -> str:
    """A broker URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


# --- keys ------------------------------------------------------------------------------------------

def redis_key(*parts: str) -> str:
    """A Redis key of distributed crawling: lock/<target>, queued/<target>, host/<host>,
    round/<round>[/done|/started]."""
    return ":".join(("govwatch", "crawl", *parts))


def lock_key(target_id: str) -> str:
    return redis_key("lock", target_id)


def round_key(round_id: str, part: str = "") -> str:
    return redis_key("round", round_id, *((part,) if part else ()))


# Release only what we hold (another holder may have taken an expired lock meanwhile).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) "
          "else return 0 end")
# A counting semaphore as a sorted set of holders scored by expiry: expired holders (dead machines)
# are dropped before counting.
_ACQUIRE_SLOT = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('zadd', KEYS[1], ARGV[3], ARGV[4])
  redis.call('expire', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


# --- enqueueing (the scheduler's side) -------------------------------------------------------------

@dataclass
class Enqueued:
    kind: str
    round_id: str
    added: int
    skipped: int


def enqueue_round(settings, kind: str, target_ids: list[str], *, at: datetime | None = None) -> Enqueued:
    """Send one task per target not already queued or running; record the round in Redis."""
    if kind not in KINDS:
        raise ValueError(kind)
    configure(settings)
    client = connect(settings)
    at = at or datetime.now(UTC)
    round_id = f"{kind}-{at.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    marker_ttl = 2 * int(settings.crawl["visibility_timeout"])
    fresh = [t for t in target_ids if client.set(redis_key("queued", t), round_id, nx=True, ex=marker_ttl)]
    client.hset(round_key(round_id), mapping={"kind": kind, "total": len(fresh), "started_at": at.isoformat()})
    client.expire(round_key(round_id), 7 * 86400)
    for target_id in fresh:
        app.send_task(TASK_NAME, args=[kind, target_id, round_id], queue=kind)
    return Enqueued(kind, round_id, len(fresh), len(target_ids) - len(fresh))


# --- the task (the worker's side) ------------------------------------------------------------------

@contextmanager
def _kept_alive(renew, ttl: int):
    """Run ``renew()`` every ttl/3 seconds while the body runs: a holder that dies stops renewing,
    and what it held expires."""
    stop = threading.Event()

    def loop():
        while not stop.wait(max(1.0, ttl / 3)):
            renew()

    keeper = threading.Thread(target=loop, name="govwatch-renew", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join(timeout=5)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@contextmanager
def held_lock(client, key: str, ttl: int):
    """A Redis lock renewed while the body runs; yields False if another holder has it."""
    token = _holder()
    if not client.set(key, token, nx=True, ex=ttl):
        yield False
        return
    try:
        with _kept_alive(lambda: client.eval(_RENEW, 1, key, token, ttl), ttl):
            yield True
    finally:
        client.eval(_RELEASE, 1, key, token)


@contextmanager
def host_slot(client, host: str, cap: int, ttl: int):
    """One of ``cap`` crawl slots for ``host`` across all machines; yields False when all are taken."""
    slot_key, member = redis_key("host", host), _holder()
    now = time.time()
    if not client.eval(_ACQUIRE_SLOT, 1, slot_key, now, cap, now + ttl, member, ttl * 2):
        yield False
        return
    try:
        with _kept_alive(lambda: client.zadd(slot_key, {member: time.time() + ttl}, xx=True), ttl):
            yield True
    finally:
        client.zrem(slot_key, member)


def crawl_command(kind: str, target_id: str) -> list[str]:
    """Each crawl runs in its own process: Twisted's reactor starts once per process."""
    return [sys.executable, "-m", "govwatch", "crawl", "--kind", kind, "--target", target_id]


def run_crawl_process(kind: str, target_id: str, timeout: float) -> int:
    proc = subprocess.Popen(crawl_command(kind, target_id))
    try:
        return proc.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, SoftTimeLimitExceeded):
        # SIGTERM lets the crawl record itself as interrupted (nothing judged from absence)
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 124


def _target_host(settings, target_id: str) -> str:
    from govwatch.store import open_store

    store = open_store(settings=settings)
    try:
        target = store.get_target(target_id)
    finally:
        store.close()
    return (urlsplit(target.url).netloc.lower() if target and target.url else "") or target_id


def _finish_round(settings, client, round_id: str) -> None:
    """The task that completes a round records it as a run in the shared store, once."""
    info = client.hgetall(round_key(round_id))
    total = int(info.get("total", 0))
    finished = int(info.get("done", 0)) + int(info.get("failed", 0))
    if finished < total or not client.hsetnx(round_key(round_id), "recorded", 1):
        return
    from govwatch.store import open_store

    stats = {"round": round_id, "targets": total, "done": int(info.get("done", 0)),
             "failed": int(info.get("failed", 0)), "redelivered": int(info.get("redelivered", 0))}
    store = open_store(settings=settings)
    try:
        run = store.start_run(f"crawl_round_{info.get('kind', 'websites')}",
                              at=datetime.fromisoformat(info["started_at"]))
        store.finish_run(run, ok=stats["failed"] == 0, stats=stats)
    finally:
        store.close()


def _settle(settings, client, kind: str, target_id: str, round_id: str, outcome: str) -> None:
    if outcome == "done":
        client.sadd(round_key(round_id, "done"), target_id)
        client.expire(round_key(round_id, "done"), 7 * 86400)
    client.hincrby(round_key(round_id), outcome, 1)
    client.delete(redis_key("queued", target_id))
    _finish_round(settings, client, round_id)


@app.task(bind=True, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)
def crawl_target(self, kind: str, target_id: str, round_id: str) -> str:
    from govwatch.settings import load_settings

    settings = load_settings()
    crawl = settings.crawl
    client = connect(settings)
    if client.sismember(round_key(round_id, "done"), target_id):
        return "already-done"  # a redelivered copy of a task that completed
    if self.request.retries == 0 and not client.sadd(round_key(round_id, "started"), target_id):
        client.hincrby(round_key(round_id), "redelivered", 1)
    client.expire(round_key(round_id, "started"), 7 * 86400)
    wait = float(crawl["lock_retry_seconds"])
    lock_ttl = int(crawl["lock_seconds"])
    with held_lock(client, lock_key(target_id), lock_ttl) as locked:
        if not locked:  # crawled right now by another worker: look again later
            raise self.retry(countdown=wait, max_retries=None)
        if client.sismember(round_key(round_id, "done"), target_id):
            return "already-done"  # the holder before us finished it while we waited
        host = _target_host(settings, target_id)
        with host_slot(client, host, int(crawl["max_crawls_per_host"]), lock_ttl) as slot:
            if not slot:
                raise self.retry(countdown=wait, max_retries=None)
            code = run_crawl_process(kind, target_id, float(crawl["subprocess_timeout"]))
        if code == 0:  # marked done before the lock goes, so a waiting copy finds it done
            _settle(settings, client, kind, target_id, round_id, "done")
            return "done"
    retries = int(crawl["task_retries"])
    if self.request.retries < retries:
        raise self.retry(countdown=float(crawl["task_retry_backoff"]) * 2 ** self.request.retries,
                         max_retries=retries)
    _settle(settings, client, kind, target_id, round_id, "failed")
    return f"failed:{code}"


# --- the worker process and what it reports --------------------------------------------------------

def worker_argv(kind: str | None, concurrency: int, hostname: str | None = None) -> list[str]:
    queues = ",".join(KINDS) if kind is None else kind
    argv = ["worker", "--loglevel=INFO", f"--queues={queues}", f"--concurrency={concurrency}",
            "--pool=prefork", "--without-gossip", "--without-mingle"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv


def start_worker(settings, kind: str | None, concurrency: int, hostname: str | None = None) -> None:
    configure(settings)
    app.worker_main(worker_argv(kind, concurrency, hostname))


@dataclass
class WorkerView:
    name: str
    queues: list[str]
    active: list[str]  # target ids being crawled now


def list_workers(settings, timeout: float = 2.0) -> list[WorkerView]:
    configure(settings)
    inspect = app.control.inspect(timeout=timeout)
    active = inspect.active() or {}
    queues = inspect.active_queues() or {}
    names = sorted(set(active) | set(queues))
    return [WorkerView(name, sorted(q["name"] for q in queues.get(name, [])),
                       [t["args"][1] if isinstance(t.get("args"), list | tuple) else str(t.get("args"))
                        for t in active.get(name, [])])
            for name in names]


def round_status(settings, round_id: str) -> dict:
    client = connect(settings)
    return client.hgetall(round_key(round_id))


def pending(settings, kind: str) -> int:
    """Tasks waiting in the queue of ``kind`` (Redis broker: the length of its list)."""
    client = connect(settings)
    return int(client.llen(kind))
