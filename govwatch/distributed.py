"""Distributed crawling over Redis: a queue of targets shared by crawl workers on several machines.

A jurisdiction with thousands of sites outgrows one crawler. The scheduler (or ``govwatch crawl
--enqueue``) pushes target ids onto a Redis list; any number of ``govwatch worker`` processes, on
any machine that reaches Redis and the shared store (MongoDB), take batches and crawl them.

The unit of work is a whole target, not a request: one worker sees all of a site's pages, so the
site checks (homepage, footer, dead and dark links) judge complete crawls. A target is queued at
most once (a set beside the list), and a worker holds a lease on each target while crawling it,
so two workers never crawl the same site at once. A worker that dies loses its batch; the leases
expire and the next scheduled enqueue queues those targets again.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

KINDS = ("websites", "accounts")
LEASE_SECONDS = 3 * 3600


def queue_key(kind: str) -> str:
    return f"govwatch:crawl:{kind}"


def queued_key(kind: str) -> str:
    return f"govwatch:crawl:{kind}:queued"


def lease_key(target_id: str) -> str:
    return f"govwatch:crawl:lease:{target_id}"


def connect(url: str):
    import redis

    from govwatch.cli import CliError

    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise CliError(f"无法连接 Redis（{url}）：{exc}") from exc
    return client


def enqueue(client, kind: str, target_ids: list[str]) -> int:
    """Queue targets not queued yet; returns how many were added."""
    added = 0
    for target_id in target_ids:
        if client.sadd(queued_key(kind), target_id):
            client.rpush(queue_key(kind), target_id)
            added += 1
    return added


def take(client, kind: str, n: int, holder: str, lease_seconds: int = LEASE_SECONDS) -> list[str]:
    """Up to ``n`` targets from the queue, each leased to ``holder`` (one being crawled elsewhere
    right now is left to that worker)."""
    taken = []
    for target_id in client.lpop(queue_key(kind), n) or []:
        client.srem(queued_key(kind), target_id)
        if client.set(lease_key(target_id), holder, nx=True, ex=lease_seconds):
            taken.append(target_id)
    return taken


def release(client, target_ids: list[str], holder: str) -> None:
    for target_id in target_ids:
        if client.get(lease_key(target_id)) == holder:
            client.delete(lease_key(target_id))


def pending(client, kind: str) -> int:
    return client.llen(queue_key(kind))


@dataclass
class WorkerStats:
    batches: int = 0
    targets: int = 0
    failed_batches: int = 0
    crawled: list[str] = field(default_factory=list)


def crawl_batch(kind: str, target_ids: list[str], timeout: float) -> int:
    """Crawl a batch in a subprocess (Twisted's reactor runs once per process)."""
    argv = [sys.executable, "-m", "govwatch", "crawl", "--kind", kind]
    for target_id in target_ids:
        argv += ["--target", target_id]
    try:
        return subprocess.run(argv, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return 124


def work(client, kind: str, *, batch: int = 20, once: bool = False, idle_seconds: float = 5.0,
         timeout: float = 3600, stop=None, holder: str | None = None, log=print) -> WorkerStats:
    """Take batches until the queue is empty (``once``) or until ``stop()`` says so."""
    holder = holder or f"{socket.gethostname()}:{os.getpid()}"
    stats = WorkerStats()
    while not (stop and stop()):
        ids = take(client, kind, batch, holder, lease_seconds=int(timeout) + 600)
        if not ids:
            if once:
                break
            time.sleep(idle_seconds)
            continue
        log(f"领取 {len(ids)} 个监测对象：{'、'.join(ids[:5])}{' 等' if len(ids) > 5 else ''}")
        try:
            code = crawl_batch(kind, ids, timeout)
        finally:
            release(client, ids, holder)
        stats.batches += 1
        stats.targets += len(ids)
        stats.crawled += ids
        if code != 0:
            stats.failed_batches += 1
            log(f"本批采集异常退出（退出码 {code}）")
    return stats
