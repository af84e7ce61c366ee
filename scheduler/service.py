"""``govwatch run``: the scheduler service.

- APScheduler 3.x with a persistent job store on the same database: ``SQLAlchemyJobStore`` for
  ``sqlite:///`` URLs, ``MongoDBJobStore`` for ``mongodb://`` (collection ``apscheduler_jobs``).
- Timezone Asia/Shanghai; the timetable from the ``schedule`` settings;
  ``coalesce=True``, ``max_instances=1``, ``misfire_grace_time`` = ``schedule.misfire_grace_seconds``.
- Stored jobs whose trigger is unchanged are kept as they are at start-up, so a run missed while the
  machine was off is still due: it runs once (coalesced) if within the grace time. A changed
  setting reschedules the job.
- Single instance: lock ``scheduler`` in the store, refreshed by a heartbeat; a second
  ``govwatch run`` on the same store refuses (exit 1). A service that cannot refresh its lock (it
  was suspended past the lock's lifetime and another took over) stops.
- Sensitive periods (govwatch/periods.py): the timetable comes from the settings in force, so during
  a period the probe runs every ``periods.probe_minutes`` (or the period's own interval); the
  service loop looks again after each heartbeat and reschedules when a period starts or ends.
- SIGTERM/SIGINT: stop taking jobs, terminate crawl subprocesses (SIGTERM, then SIGKILL after
  ``schedule.shutdown_grace_seconds``), wait for running jobs, release the lock, exit 0.
"""
from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from govwatch.models import now
from scheduler import jobs

log = logging.getLogger("govwatch.scheduler")

LOCK = "scheduler"
JOBSTORE_NAME = "apscheduler_jobs"
REFUSED = ("另一个 govwatch run 实例正在使用同一数据库运行（单实例锁被占用）。"
           "本实例退出；如确认旧实例已停止，请在 {ttl} 秒后重试。")


class ManualScheduler(BaseScheduler):
    """A scheduler without its own thread: due jobs run when ``run_pending()`` is called.

    Used by the tests (with a controlled clock) and anywhere a caller wants to drive the loop."""

    def shutdown(self, wait: bool = True):
        super().shutdown(wait)

    def wakeup(self):
        pass

    def run_pending(self):
        return self._process_jobs()


class _Shared:
    """A client that the job store may use but not close."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def __getitem__(self, name):
        return self._client[name]

    def close(self):
        pass


def make_jobstore(settings, store=None):
    url = settings.db
    if url.startswith("sqlite:///"):
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        return SQLAlchemyJobStore(url=url, tablename=JOBSTORE_NAME,
                                  engine_options={"connect_args": {"timeout": 30}})
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from apscheduler.jobstores.mongodb import MongoDBJobStore
        client = getattr(store, "client", None)
        if client is not None and getattr(store, "mdb", None) is not None:
            # the store keeps using its client after the scheduler shuts the job store down
            return MongoDBJobStore(database=store.mdb.name, collection=JOBSTORE_NAME, client=_Shared(client))
        from pymongo import MongoClient
        from pymongo.uri_parser import parse_uri
        client = MongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
        return MongoDBJobStore(database=parse_uri(url).get("database") or "govwatch",
                               collection=JOBSTORE_NAME, client=client)
    raise ValueError(f"无法识别的数据库地址：{url}")


def build_trigger(spec: jobs.JobSpec, settings, start: datetime):
    tz = ZoneInfo(settings.timezone)
    args = spec.when(settings.schedule)
    if spec.kind == "interval":
        first = timedelta(seconds=spec.first_delay) if spec.first_delay is not None else timedelta(**args)
        return IntervalTrigger(**args, start_date=start + first, timezone=tz)
    return CronTrigger(**args, timezone=tz)


def trigger_key(trigger) -> str:
    """What identifies a schedule, ignoring an interval's phase (its start date)."""
    if isinstance(trigger, IntervalTrigger):
        return f"interval:{trigger.interval}:{trigger.timezone}"
    return repr(trigger)


def describe(trigger) -> str:
    """A trigger in Chinese, for ``govwatch jobs``."""
    if isinstance(trigger, IntervalTrigger):
        seconds = int(trigger.interval.total_seconds())
        if seconds % 3600 == 0:
            return f"每 {seconds // 3600} 小时"
        if seconds % 60 == 0:
            return f"每 {seconds // 60} 分钟"
        return f"每 {seconds} 秒"
    if isinstance(trigger, CronTrigger):
        fields = {f.name: str(f) for f in trigger.fields}
        hm = f"{int(fields['hour']):02d}:{int(fields['minute']):02d}" if fields["hour"].isdigit() and fields["minute"].isdigit() else ""
        if fields["day"] != "*" and hm:
            return f"每月 {fields['day']} 日 {hm}"
        if hm:
            return f"每天 {hm}"
    return str(trigger)


class SchedulerService:
    def __init__(self, settings, store, *, clock=now, scheduler: BaseScheduler | None = None,
                 registry: dict | None = None, stop: threading.Event | None = None):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.registry = registry if registry is not None else jobs.REGISTRY
        self.ctx = jobs.JobContext(settings=settings, store=store, clock=clock, stop=stop or threading.Event())
        self.holder = self.ctx.holder
        self.scheduler = scheduler
        self._locked = False
        self._built = False
        self._synced_schedule: dict | None = None  # the schedule settings the stored jobs follow

    # the lock ---------------------------------------------------------------------------------
    @property
    def lock_ttl(self) -> int:
        return int(self.settings.schedule.get("lock_ttl_seconds", 90))

    def acquire(self) -> bool:
        self._locked = self.store.try_lock(LOCK, self.holder, self.lock_ttl, at=self.clock())
        return self._locked

    def heartbeat(self) -> bool:
        """Refresh the lock. False only when another instance holds it now; a database error is
        logged and retried at the next beat (the lock outlives a few missed beats)."""
        try:
            ok = self.store.try_lock(LOCK, self.holder, self.lock_ttl, at=self.clock())
        except Exception:
            log.exception("scheduler heartbeat failed", extra={"holder": self.holder})
            return True
        if not ok:
            log.error("scheduler lock lost", extra={"holder": self.holder})
        return ok

    # the scheduler ----------------------------------------------------------------------------
    def build(self) -> BaseScheduler:
        if self.scheduler is None:
            self.scheduler = BackgroundScheduler()
        if isinstance(self.scheduler, ManualScheduler):
            executor = {"type": "debug"}  # jobs run inside run_pending(), in order
        else:
            executor = {"type": "threadpool", "max_workers": max(4, len(self.registry) + 1)}
        self.scheduler.configure(
            executors={"default": executor},
            jobstores={"default": make_jobstore(self.settings, self.store)},
            timezone=ZoneInfo(self.settings.timezone),
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.settings.schedule["misfire_grace_seconds"])})
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        return self.scheduler

    def _on_event(self, event) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("job missed: beyond the misfire grace time, next run as scheduled",
                        extra={"job": event.job_id, "scheduled": str(event.scheduled_run_time)})
        else:
            log.warning("job skipped: still running", extra={"job": event.job_id})

    def in_force(self):
        """The settings in force now: those of an active sensitive period, if any. A store that
        cannot be read leaves the configured timetable in place (logged)."""
        from govwatch.periods import settings_at

        try:
            return settings_at(self.settings, self.store, self.clock())
        except Exception:
            log.exception("sensitive periods unreadable; configured schedule kept")
            return self.settings

    def follow_periods(self) -> dict | None:
        """Reschedule when a sensitive period started or ended since the last sync; the changes,
        or None when the timetable in force is the one the jobs follow."""
        settings = self.in_force()
        if self._synced_schedule == settings.schedule:
            return None
        changes = self.sync_jobs(settings)
        log.info("schedule follows sensitive periods", extra={
            "periods": [p.name for p in settings.active_periods], "probe_minutes": settings.schedule["probe_minutes"],
            "rescheduled": changes["rescheduled"]})
        return changes

    def sync_jobs(self, settings=None) -> dict:
        """Make the stored jobs match the registry and the settings in force, keeping unchanged ones
        as stored."""
        settings = settings or self.in_force()
        grace = int(settings.schedule["misfire_grace_seconds"])
        start = self.clock()
        changes = {"added": [], "rescheduled": [], "kept": [], "removed": []}
        self._synced_schedule = dict(settings.schedule)
        for name, spec in self.registry.items():
            trigger = build_trigger(spec, settings, start)
            job = self.scheduler.get_job(name)
            if job is None:
                self.scheduler.add_job(spec.textual_ref, trigger=trigger, id=name, name=spec.label,
                                       coalesce=True, max_instances=1, misfire_grace_time=grace,
                                       next_run_time=trigger.get_next_fire_time(None, start))
                changes["added"].append(name)
                continue
            if (job.func_ref != spec.textual_ref or job.misfire_grace_time != grace or not job.coalesce
                    or job.max_instances != 1 or job.name != spec.label):
                job.modify(func=spec.textual_ref, misfire_grace_time=grace, coalesce=True, max_instances=1,
                           name=spec.label)
            if trigger_key(job.trigger) != trigger_key(trigger):
                job.modify(trigger=trigger, next_run_time=trigger.get_next_fire_time(None, start))
                changes["rescheduled"].append(name)
            else:
                changes["kept"].append(name)
        for job in self.scheduler.get_jobs():
            if job.id not in self.registry:
                job.remove()
                changes["removed"].append(job.id)
        return changes

    def start(self) -> dict:
        """Build, start paused, reconcile the jobs, resume: due (missed) jobs run now."""
        jobs.set_context(self.ctx)
        if not self._built:
            self.build()
            self._built = True
        self.scheduler.start(paused=True)
        changes = self.sync_jobs()
        self.scheduler.resume()
        log.info("scheduler started", extra={"holder": self.holder, **changes,
                                             "jobs": {j.id: str(j.next_run_time) for j in self.scheduler.get_jobs()}})
        return changes

    def stop(self, wait: bool = True) -> None:
        self.ctx.stop.set()
        jobs.terminate_children(self.ctx)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if self._locked:
            self.store.release_lock(LOCK, self.holder)
            self._locked = False
        jobs.set_context(None)
        log.info("scheduler stopped", extra={"holder": self.holder})

    def serve(self, install_signals: bool = True, banner: str = "") -> int:
        """The service loop of ``govwatch run``: returns the exit status."""
        import sys

        if not self.acquire():
            print(REFUSED.format(ttl=self.lock_ttl), file=sys.stderr)
            log.error("refused: another instance holds the scheduler lock")
            return 1
        if banner:
            print(banner, flush=True)
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda signum, frame: self.ctx.stop.set())
        status = 0
        try:
            self.start()
            beat = float(self.settings.schedule.get("heartbeat_seconds", 30))
            while not self.ctx.stop.wait(beat):
                if not self.heartbeat():
                    print("单实例锁已被其他实例接管，本实例停止。", file=sys.stderr)
                    status = 1
                    break
                self.follow_periods()
        finally:
            log.info("scheduler stopping")
            self.stop()
        return status


def job_table(settings, store, clock=now) -> list[dict]:
    """Jobs with their schedule, next run time (from the job store when the service has run) and
    last Run, for ``govwatch jobs``."""
    jobstore = make_jobstore(settings, store)
    jobstore.start(None, "default")
    try:
        stored = {j.id: j for j in jobstore.get_all_jobs()}
    finally:
        jobstore.shutdown()
    rows = []
    start = clock()
    for name, spec in jobs.REGISTRY.items():
        job = stored.get(name)
        trigger = job.trigger if job is not None else build_trigger(spec, settings, start)
        next_run = job.next_run_time if job is not None else trigger.get_next_fire_time(None, start)
        last = store.list_runs(job=name, limit=1)
        rows.append({"name": name, "label": spec.label, "schedule": describe(trigger), "next_run": next_run,
                     "stored": job is not None, "last": last[0] if last else None})
    return rows
