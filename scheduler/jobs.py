"""The job functions of ``govwatch run``.

APScheduler's persistent job store keeps each job as a textual reference (``scheduler.jobs:probe``),
so the functions below take no arguments: each one calls ``run_job(name)``, which finds the
process's ``JobContext`` (settings, store, clock, stop event; set by the service, or built from the
settings for ``govwatch run --once``), takes a per-job lock in the store (so a job never runs twice at
once, even across processes), records a ``Run`` with its stats or error, and calls the job's
implementation from ``REGISTRY``. Tests swap implementations in ``REGISTRY``.

Crawls and probes run as subprocesses (``python -m govwatch crawl …``) with a timeout: Twisted's
reactor cannot restart, and a crashing crawler never takes the scheduler down.
"""
from __future__ import annotations

import collections
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from govwatch.models import TZ, Run, now

log = logging.getLogger("govwatch.scheduler")

JOB_LOCK_TTL = 120  # seconds; refreshed every TTL/4 while the job runs


class JobError(Exception):
    """A job failed; ``stats`` still go into the Run."""

    def __init__(self, message: str, stats: dict | None = None):
        super().__init__(message)
        self.stats = stats or {}


@dataclass
class JobContext:
    settings: object
    store: object
    clock: Callable[[], datetime] = now
    stop: threading.Event = field(default_factory=threading.Event)
    holder: str = ""
    children: set = field(default_factory=set)  # live subprocesses, terminated on shutdown
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        if not self.holder:
            import socket
            import uuid
            self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


_context: JobContext | None = None
_context_guard = threading.Lock()


def set_context(ctx: JobContext | None) -> None:
    global _context
    _context = ctx


def get_context() -> JobContext:
    """The service's context; in a process without one, build it from the settings."""
    global _context
    with _context_guard:
        if _context is None:
            from govwatch.settings import load_settings
            from govwatch.store import open_store

            settings = load_settings()
            _context = JobContext(settings=settings, store=open_store(settings=settings))
        return _context


# Subprocesses -----------------------------------------------------------------------------

def run_subprocess(ctx: JobContext, job: str, argv: list[str], timeout: float) -> dict:
    """Run ``argv`` in its own process group; its output goes to the log (and the last lines to the
    Run). Killed on timeout or when the service stops."""
    env = os.environ.copy()
    source = getattr(ctx.settings, "source", "")
    if source:
        env["GOVWATCH_CONFIG"] = str(Path(source).resolve())
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env, start_new_session=True, text=True, encoding="utf-8", errors="replace")
    tail: collections.deque[str] = collections.deque(maxlen=30)
    child_log = logging.getLogger(f"govwatch.job.{job}")

    def pump():
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            child_log.info(line, extra={"job": job, "pid": proc.pid})

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    with ctx.lock:
        ctx.children.add(proc)
    reason = ""
    try:
        while proc.poll() is None:
            if ctx.stop.is_set():
                reason = "服务停止，子进程已终止"
                break
            if time.monotonic() - t0 > timeout:
                reason = f"超过时限 {int(timeout)} 秒，子进程已终止"
                break
            try:
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        if reason:
            terminate(proc, grace=float(ctx.settings.schedule.get("shutdown_grace_seconds", 20)))
    finally:
        with ctx.lock:
            ctx.children.discard(proc)
        reader.join(timeout=5)
    stats = {"returncode": proc.returncode, "seconds": round(time.monotonic() - t0, 1),
             "argv": argv[2:], "output_tail": list(tail)[-10:]}
    if reason:
        raise JobError(reason, stats)
    if proc.returncode != 0:
        last = next((line for line in reversed(tail) if line.strip()), "")
        raise JobError(f"子进程退出码 {proc.returncode}：{last[:300]}", stats)
    return stats


def terminate(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def terminate_children(ctx: JobContext) -> None:
    with ctx.lock:
        children = list(ctx.children)
    threads = [threading.Thread(target=terminate, args=(p, float(ctx.settings.schedule.get("shutdown_grace_seconds", 20))))
               for p in children]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def govwatch_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "govwatch", *args]


# Job implementations ------------------------------------------------------------------------

def _subprocess_timeout(ctx: JobContext) -> float:
    return float(ctx.settings.crawl.get("subprocess_timeout", 3600))


def do_probe(ctx: JobContext) -> dict:
    """Probe every website (the probe records checks and calls govwatch.alerts.availability_alerts).
    Within the interval in force: a sensitive period shortens it (govwatch/periods.py)."""
    from govwatch.periods import settings_at

    minutes = settings_at(ctx.settings, ctx.store, ctx.clock()).schedule["probe_minutes"]
    timeout = min(_subprocess_timeout(ctx), max(60.0, minutes * 60 * 0.9))
    return run_subprocess(ctx, "probe", govwatch_argv("probe"), timeout)


def _after_crawl(ctx: JobContext, stats: dict) -> dict:
    from govwatch.alerts import collector_alerts, sweep

    at = ctx.clock()
    stats["collector_alerts"] = collector_alerts(ctx.store, ctx.settings, at).queued
    stats["swept_alerts"] = sweep(ctx.store, ctx.settings, at).queued
    return stats


def _crawl(ctx: JobContext, kind: str) -> dict:
    """Crawl here, or, with ``crawl.broker_url`` set, send one task per target to the crawl workers."""
    argv = ["crawl", "--kind", kind] + (["--enqueue"] if ctx.settings.crawl.get("broker_url") else [])
    stats = run_subprocess(ctx, f"crawl_{kind}", govwatch_argv(*argv), _subprocess_timeout(ctx))
    return _after_crawl(ctx, stats)


def do_crawl_websites(ctx: JobContext) -> dict:
    return _crawl(ctx, "websites")


def do_crawl_accounts(ctx: JobContext) -> dict:
    return _crawl(ctx, "accounts")


def do_detect(ctx: JobContext) -> dict:
    """Nightly zombie/staleness detection and site rules, then alert what it found."""
    from govwatch.alerts import sweep
    from govwatch.detection import run_detection

    at = ctx.clock()
    result = run_detection(ctx.store, ctx.settings, at)
    stats = _jsonable_stats(result)
    stats["alerts"] = sweep(ctx.store, ctx.settings, ctx.clock()).queued
    return stats


def do_recheck(ctx: JobContext) -> dict:
    """Nightly rectification recheck: pages of open findings fetched again (a subprocess, like crawls)."""
    return run_subprocess(ctx, "recheck", govwatch_argv("recheck"), _subprocess_timeout(ctx))


def do_flush(ctx: JobContext) -> dict:
    from govwatch.alerts import flush, sweep

    swept = sweep(ctx.store, ctx.settings, ctx.clock())
    result = flush(ctx.store, ctx.settings, stop=ctx.stop, holder=ctx.holder)
    stats = result.as_dict()
    stats["swept"] = swept.queued
    stats.pop("send_seconds", None)
    return stats


def do_digest(ctx: JobContext) -> dict:
    from govwatch.alerts import enqueue_digests, flush

    out = enqueue_digests(ctx.store, ctx.settings, ctx.clock())
    result = flush(ctx.store, ctx.settings, stop=ctx.stop, holder=ctx.holder)
    return {**out.as_dict(), "sent": result.sent, "retried": result.retried, "failed": result.failed}


def previous_month(at: datetime) -> str:
    first = at.astimezone(TZ).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def do_export(ctx: JobContext) -> dict:
    """Monthly evidence export for the previous month, into var/exports/."""
    from govwatch.evidence import export_month

    month = previous_month(ctx.clock())
    out_dir = ctx.settings.var_path / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    result = export_month(ctx.store, ctx.settings, month, out_dir)
    stats = _jsonable_stats(result)
    stats["month"] = month
    stats["out_dir"] = str(out_dir)
    return stats


def _jsonable_stats(result) -> dict:
    if result is None:
        return {}
    if isinstance(result, dict):
        return {k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in result.items()}
    for name in ("as_dict", "to_dict"):
        if callable(getattr(result, name, None)):
            return _jsonable_stats(getattr(result, name)())
    if hasattr(result, "__dict__"):
        return _jsonable_stats(dict(vars(result)))
    return {"result": str(result)}


# The registry --------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobSpec:
    name: str
    label: str  # Chinese, for `govwatch jobs` and logs
    func: Callable[[JobContext], dict]
    kind: str  # interval or cron
    when: Callable[[dict], dict]  # schedule settings -> trigger arguments
    ref: str = ""  # textual reference stored by APScheduler
    first_delay: int | None = None  # interval jobs: first run this many seconds after the job is created

    @property
    def textual_ref(self) -> str:
        return self.ref or f"scheduler.jobs:{self.name}"


def _hm(value: str) -> dict:
    hour, _, minute = str(value).partition(":")
    return {"hour": int(hour), "minute": int(minute or 0)}


REGISTRY: dict[str, JobSpec] = {
    # a fresh installation probes and crawls within minutes instead of waiting a whole interval
    "probe": JobSpec("probe", "探测网站可用性", do_probe, "interval", lambda s: {"minutes": s["probe_minutes"]},
                     first_delay=60),
    "crawl_websites": JobSpec("crawl_websites", "采集网站", do_crawl_websites, "interval",
                              lambda s: {"hours": s["crawl_hours"]}, first_delay=120),
    "crawl_accounts": JobSpec("crawl_accounts", "采集政务新媒体账号", do_crawl_accounts, "interval",
                              lambda s: {"hours": s["crawl_hours"]}, first_delay=300),
    "detect": JobSpec("detect", "夜间检测（更新、僵尸账号、站点规则）", do_detect, "cron", lambda s: _hm(s["nightly"])),
    "recheck": JobSpec("recheck", "整改复查（重新抓取未整改问题所在页面）", do_recheck, "cron",
                       lambda s: _hm(s.get("recheck", "03:00"))),
    "flush": JobSpec("flush", "发送提醒", do_flush, "interval", lambda s: {"seconds": s["flush_seconds"]}),
    "digest": JobSpec("digest", "每日汇总提醒", do_digest, "cron", lambda s: _hm(s["digest"])),
    "export": JobSpec("export", "月度检查材料导出（上月）", do_export, "cron",
                      lambda s: {"day": 1, **_hm(s["monthly_export"])}),
}


# Running one job ------------------------------------------------------------------------------

class _LockKeeper:
    """Holds ``job:<name>`` in the store while the job runs, refreshing it from a thread."""

    def __init__(self, ctx: JobContext, name: str):
        self.ctx, self.name, self.done = ctx, f"job:{name}", threading.Event()

    def acquire(self) -> bool:
        if not self.ctx.store.try_lock(self.name, self.ctx.holder, JOB_LOCK_TTL, at=self.ctx.clock()):
            return False
        self.thread = threading.Thread(target=self._refresh, daemon=True)
        self.thread.start()
        return True

    def _refresh(self):
        while not self.done.wait(JOB_LOCK_TTL / 4):
            try:
                self.ctx.store.try_lock(self.name, self.ctx.holder, JOB_LOCK_TTL, at=self.ctx.clock())
            except Exception:
                log.exception("job lock refresh failed", extra={"lock": self.name})

    def release(self):
        self.done.set()
        self.ctx.store.release_lock(self.name, self.ctx.holder)


def run_job(name: str, ctx: JobContext | None = None) -> Run | None:
    """Run one job now and record it as a Run; None when the job is already running elsewhere."""
    ctx = ctx or get_context()
    spec = REGISTRY[name]
    keeper = _LockKeeper(ctx, name)
    if not keeper.acquire():
        log.warning("job skipped: previous run still going", extra={"job": name})
        return None
    try:
        run = ctx.store.start_run(name, at=ctx.clock())
        log.info("job started", extra={"job": name, "run_id": run.id})
        t0 = time.monotonic()
        ok, stats, error = True, {}, ""
        try:
            stats = spec.func(ctx) or {}
        except JobError as exc:
            ok, stats, error = False, exc.stats, str(exc)
        except ModuleNotFoundError as exc:
            ok, error = False, f"功能模块尚未安装：{exc.name}"
        except Exception as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
            stats = {"traceback": traceback.format_exc(limit=8)[-2000:]}
        ctx.store.finish_run(run, ok, stats, error, at=ctx.clock())
        fields = {"job": name, "run_id": run.id, "ok": ok, "seconds": round(time.monotonic() - t0, 2)}
        if ok:
            log.info("job finished", extra={**fields, "stats": stats})
        else:
            log.error("job failed", extra={**fields, "error": error})
        return run
    finally:
        keeper.release()


# Textual references for APScheduler (one per job; they take no arguments) --------------------

def probe():
    run_job("probe")


def crawl_websites():
    run_job("crawl_websites")


def crawl_accounts():
    run_job("crawl_accounts")


def detect():
    run_job("detect")


def recheck():
    run_job("recheck")


def flush():
    run_job("flush")


def digest():
    run_job("digest")


def export():
    run_job("export")
