"""The scheduler service with a controlled clock: coalescing, a missed nightly run at start-up,
rescheduling on changed settings, the single-instance lock (two real processes), subprocess jobs."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from govwatch.models import TZ, UTC
from govwatch.settings import load_settings
from scheduler import jobs
from scheduler.service import ManualScheduler, SchedulerService

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    """One clock for govwatch and APScheduler (which reads datetime.now in these two modules)."""
    import apscheduler.executors.base as executors_base
    import apscheduler.schedulers.base as schedulers_base

    c = Clock(datetime(2026, 11, 3, 1, 0, tzinfo=TZ))

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return c.t.astimezone(tz) if tz else c.t.astimezone(UTC).replace(tzinfo=None)

    monkeypatch.setattr(schedulers_base, "datetime", FrozenDatetime)
    monkeypatch.setattr(executors_base, "datetime", FrozenDatetime)
    return c


@pytest.fixture
def db(tmp_path):
    from govwatch.store.sqlite import SqliteStore
    s = SqliteStore(tmp_path / "var" / "govwatch.db", snapshot_dir=tmp_path / "var" / "snapshots")
    yield s
    s.close()


class Calls:
    def __init__(self, clock):
        self.clock, self.at = clock, []

    def __call__(self, ctx):
        self.at.append(self.clock())
        return {"n": len(self.at)}


def registry_with(**fakes):
    reg = {}
    for name, func in fakes.items():
        reg[name] = dataclasses.replace(jobs.REGISTRY[name], func=func)
    return reg


def service(settings, store, clock, registry, monkeypatch):
    monkeypatch.setattr(jobs, "REGISTRY", {**jobs.REGISTRY, **registry})
    return SchedulerService(settings, store, clock=clock, scheduler=ManualScheduler(), registry=registry)


def test_misfired_runs_coalesce_into_one(db, clock, monkeypatch):
    settings = load_settings()
    sends = []

    def counting_flush(ctx):  # the real flush job, counted
        sends.append(clock())
        return jobs.do_flush(ctx)

    svc = service(settings, db, clock, registry_with(flush=counting_flush), monkeypatch)
    svc.start()
    start = clock()
    clock.advance(minutes=10, seconds=5)  # ten runs (every 60 s) missed, e.g. the machine was busy
    svc.scheduler.run_pending()
    assert sends == [clock()]
    runs = db.list_runs("flush")
    assert len(runs) == 1 and runs[0].ok and runs[0].stats["sent"] == 0
    assert svc.scheduler.get_job("flush").next_run_time == start + timedelta(minutes=11)
    svc.scheduler.run_pending()
    assert len(sends) == 1
    svc.stop()


def test_missed_nightly_job_runs_once_at_startup_within_grace(db, clock, monkeypatch):
    settings = load_settings()
    detect = Calls(clock)
    reg = registry_with(detect=detect)  # govwatch.detection is another engineer's: a fake stands in
    first = service(settings, db, clock, reg, monkeypatch)
    first.start()  # 01:00: next detection 02:00
    assert first.scheduler.get_job("detect").next_run_time == datetime(2026, 11, 3, 2, 0, tzinfo=TZ)
    first.stop()  # the machine goes off
    clock.t = datetime(2026, 11, 3, 2, 40, tzinfo=TZ)  # back 40 min late, grace is 60 min
    second = service(settings, db, clock, reg, monkeypatch)
    changes = second.start()
    assert "detect" in changes["kept"]
    second.scheduler.run_pending()
    assert detect.at == [datetime(2026, 11, 3, 2, 40, tzinfo=TZ)]
    assert [r.ok for r in db.list_runs("detect")] == [True]
    assert second.scheduler.get_job("detect").next_run_time == datetime(2026, 11, 4, 2, 0, tzinfo=TZ)
    second.scheduler.run_pending()
    assert len(detect.at) == 1
    second.stop()
    # off again, for two nights; back at 04:00: the 02:00 run is beyond the grace time and is skipped
    clock.t = datetime(2026, 11, 6, 4, 0, tzinfo=TZ)
    third = service(settings, db, clock, reg, monkeypatch)
    third.start()
    third.scheduler.run_pending()
    assert len(detect.at) == 1
    assert third.scheduler.get_job("detect").next_run_time == datetime(2026, 11, 7, 2, 0, tzinfo=TZ)
    third.stop()


def test_changed_settings_reschedule_stored_jobs(db, clock, monkeypatch):
    settings = load_settings()
    reg = registry_with(detect=Calls(clock), digest=Calls(clock))
    svc = service(settings, db, clock, reg, monkeypatch)
    assert sorted(svc.start()["added"]) == ["detect", "digest"]
    svc.stop()
    settings.data["schedule"]["nightly"] = "03:15"
    svc = service(settings, db, clock, reg, monkeypatch)
    changes = svc.start()
    assert changes["rescheduled"] == ["detect"] and changes["kept"] == ["digest"]
    assert svc.scheduler.get_job("detect").next_run_time == datetime(2026, 11, 3, 3, 15, tzinfo=TZ)
    svc.stop()
    svc = service(settings, db, clock, registry_with(detect=Calls(clock)), monkeypatch)
    assert svc.start()["removed"] == ["digest"]
    svc.stop()


def test_fresh_installation_probes_and_crawls_soon(db, clock, monkeypatch):
    settings = load_settings()
    reg = registry_with(probe=Calls(clock), crawl_websites=Calls(clock), crawl_accounts=Calls(clock))
    svc = service(settings, db, clock, reg, monkeypatch)
    svc.start()
    start = clock()
    first = {name: svc.scheduler.get_job(name).next_run_time - start for name in reg}
    assert first == {"probe": timedelta(minutes=1), "crawl_websites": timedelta(minutes=2),
                     "crawl_accounts": timedelta(minutes=5)}
    clock.advance(minutes=5)
    svc.scheduler.run_pending()
    assert [len(reg[n].func.at) for n in ("probe", "crawl_websites", "crawl_accounts")] == [1, 1, 1]
    assert svc.scheduler.get_job("probe").next_run_time == start + timedelta(minutes=31)
    assert svc.scheduler.get_job("crawl_websites").next_run_time == start + timedelta(hours=6, minutes=2)
    svc.stop()


def test_mongodb_job_store(clock, monkeypatch):
    from tests.conftest import make_store

    store = make_store("mongomock", Path("."))
    settings = load_settings()
    settings.data["db"] = "mongodb://localhost/govwatch_test"
    calls = Calls(clock)
    svc = service(settings, store, clock, registry_with(flush=calls), monkeypatch)
    svc.start()
    clock.advance(minutes=3)
    svc.scheduler.run_pending()
    svc.stop()
    assert len(calls.at) == 1
    assert store.mdb["apscheduler_jobs"].count_documents({}) == 1
    assert store.try_lock("scheduler", "other", 60)  # released, and the store still works after shutdown


def test_job_failure_and_concurrency_are_recorded(db, clock, monkeypatch):
    settings = load_settings()

    def broken(ctx):
        raise RuntimeError("检测出错")

    monkeypatch.setattr(jobs, "REGISTRY", {**jobs.REGISTRY, **registry_with(detect=broken)})
    ctx = jobs.JobContext(settings=settings, store=db, clock=clock)
    run = jobs.run_job("detect", ctx)
    assert run.ok is False and "RuntimeError: 检测出错" in run.error and "traceback" in run.stats
    assert db.list_runs("detect")[0].error == run.error
    assert db.try_lock("job:detect", "another-process", 120, at=clock())
    assert jobs.run_job("detect", ctx) is None  # already running elsewhere
    assert len(db.list_runs("detect")) == 1


def test_subprocess_jobs_time_out_and_stop(db, clock):
    settings = load_settings()
    ctx = jobs.JobContext(settings=settings, store=db, clock=clock)
    ok = jobs.run_subprocess(ctx, "t", [sys.executable, "-c", "print('采集完成 12 条')"], timeout=30)
    assert ok["returncode"] == 0 and ok["output_tail"] == ["采集完成 12 条"]
    with pytest.raises(jobs.JobError, match="退出码 3") as err:
        jobs.run_subprocess(ctx, "t", [sys.executable, "-c", "import sys; print('坏了'); sys.exit(3)"], timeout=30)
    assert err.value.stats["output_tail"] == ["坏了"]
    t0 = time.monotonic()
    with pytest.raises(jobs.JobError, match="超过时限 1 秒"):
        jobs.run_subprocess(ctx, "t", [sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
    threading.Timer(0.5, ctx.stop.set).start()
    with pytest.raises(jobs.JobError, match="服务停止"):
        jobs.run_subprocess(ctx, "t", [sys.executable, "-c", "import time; time.sleep(60)"], timeout=60)
    assert time.monotonic() - t0 < 30
    assert not ctx.children


@pytest.fixture
def no_log_handlers():
    from scheduler.logs import teardown_logging
    yield
    teardown_logging()


def test_run_once_and_jobs_command(db, capsys, monkeypatch, no_log_handlers):
    from govwatch.cli import main

    assert main(["run", "--once", "flush"]) == 0
    assert "发送提醒" in capsys.readouterr().out
    assert db.list_runs("flush")[0].ok
    monkeypatch.setattr(jobs, "REGISTRY", {**jobs.REGISTRY, **registry_with(export=lambda ctx: {"files": 3})})
    assert main(["run", "--once", "export"]) == 0
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert "每天 02:00" in out and "每月 1 日 06:00" in out and "每 30 分钟" in out and "尚未启动过" in out
    assert "成功" in out


def test_previous_month():
    assert jobs.previous_month(datetime(2026, 1, 1, 6, 0, tzinfo=TZ)) == "2025-12"
    assert jobs.previous_month(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == "2026-11"  # Dec 1st in Beijing


def test_second_govwatch_run_on_one_store_refuses(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GOVWATCH_SCHEDULE__HEARTBEAT_SECONDS": "1"}
    log = tmp_path / "var" / "logs" / "govwatch.log"
    first = subprocess.Popen([sys.executable, "-m", "govwatch", "run"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and first.poll() is None:
            if log.exists() and "scheduler started" in log.read_text(encoding="utf-8"):
                break
            time.sleep(0.1)
        assert first.poll() is None, first.stderr.read()
        second = subprocess.run([sys.executable, "-m", "govwatch", "run"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "另一个 govwatch run 实例正在使用同一数据库运行" in second.stderr
        assert "已启动" not in second.stdout
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
        assert first.returncode == 0, err
        assert "定时任务服务已启动" in out
    finally:
        if first.poll() is None:
            first.kill()
    from govwatch.store.sqlite import SqliteStore
    store = SqliteStore(tmp_path / "var" / "govwatch.db")
    assert store.try_lock("scheduler", "next", 60)  # released on graceful shutdown
    lines = log.read_text(encoding="utf-8").splitlines()
    import json
    events = [json.loads(line)["msg"] for line in lines]
    assert "scheduler started" in events and "scheduler stopped" in events
    store.close()


def test_probe_follows_sensitive_periods(db, clock, monkeypatch):
    """Probing every periods.probe_minutes from Beijing midnight of a period's first day to the end
    of its last day; the configured interval before and after, and at a restart inside the period."""
    from govwatch.periods import make_period

    settings = load_settings()
    db.put_period(make_period("全国两会", "2026-11-04", "2026-11-05").to_dict())
    probe = Calls(clock)
    svc = service(settings, db, clock, registry_with(probe=probe), monkeypatch)
    svc.start()  # 3 November 01:00 Beijing: no period yet
    assert svc.follow_periods() is None
    assert svc.scheduler.get_job("probe").trigger.interval == timedelta(minutes=30)
    clock.t = datetime(2026, 11, 3, 23, 59, 30, tzinfo=TZ)
    assert svc.follow_periods() is None  # the eve: still the configured interval
    clock.t = datetime(2026, 11, 4, 0, 0, 10, tzinfo=TZ)
    assert svc.follow_periods()["rescheduled"] == ["probe"]
    assert svc.scheduler.get_job("probe").trigger.interval == timedelta(minutes=10)
    assert svc.follow_periods() is None  # nothing changes within the period
    clock.advance(minutes=1)
    svc.scheduler.run_pending()
    assert probe.at == [clock()]
    assert svc.scheduler.get_job("probe").next_run_time == clock() + timedelta(minutes=10)
    svc.stop()
    # a restart inside the period keeps the period's timetable
    clock.t = datetime(2026, 11, 5, 23, 0, tzinfo=TZ)
    svc = service(settings, db, clock, registry_with(probe=probe), monkeypatch)
    assert svc.start()["kept"] == ["probe"]
    assert svc.scheduler.get_job("probe").trigger.interval == timedelta(minutes=10)
    # the day after the last day: back to every 30 minutes
    clock.t = datetime(2026, 11, 6, 0, 0, 5, tzinfo=TZ)
    assert svc.follow_periods()["rescheduled"] == ["probe"]
    assert svc.scheduler.get_job("probe").trigger.interval == timedelta(minutes=30)
    svc.stop()


def test_probe_job_timeout_follows_the_period(db, clock, monkeypatch):
    from govwatch.periods import make_period

    seen = []
    monkeypatch.setattr(jobs, "run_subprocess", lambda ctx, job, argv, timeout: seen.append(timeout) or {})
    ctx = jobs.JobContext(settings=load_settings(), store=db, clock=clock)
    jobs.do_probe(ctx)
    db.put_period(make_period("抗洪", "2026-11-03", "2026-11-03", probe_minutes=5).to_dict())
    jobs.do_probe(ctx)
    assert seen == [30 * 60 * 0.9, 60 * 5 * 0.9]


def test_jobs_command_shows_the_period_interval(db, capsys):
    from govwatch.cli import main
    from govwatch.periods import make_period

    today = datetime.now(TZ).date().isoformat()
    db.put_period(make_period("抗震救灾", today, today, probe_minutes=7).to_dict())
    assert main(["jobs"]) == 0
    captured = capsys.readouterr()
    assert "每 7 分钟" in captured.out and "每 30 分钟" not in captured.out
    assert "敏感时期：抗震救灾" in captured.err
