"""One probe round: probe websites, record Checks, judge availability, keep findings and
down/up state current. Called by ``govwatch probe`` and the scheduler's probe job."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crawler.probe import probe_targets
from govwatch.interrupt import Interrupted, interruptible, interrupted_stats, reason_text
from govwatch.lifecycle import deadline_days, record_hits, rectify_rule
from govwatch.models import Finding, Target, now
from govwatch.store import Store
from scanner.availability import judge_availability

QUIET_DOWN = "down_quiet"  # down since a time in maintenance, not announced yet
RUN_JOB = "probe.round"


@dataclass
class ProbeRound:
    probed: int = 0
    failed: int = 0
    went_down: list[str] = field(default_factory=list)
    came_back: list[str] = field(default_factory=list)
    still_down: list[str] = field(default_factory=list)  # down since maintenance, which has ended
    new_findings: list[Finding] = field(default_factory=list)


def run_probe(store: Store, settings, targets: list[Target], at: datetime | None = None,
              on_done=None, notify=None) -> ProbeRound:
    """``notify(store, target, event, at)`` is told "down" and "recovered" transitions (alerts), and
    "still_down" when an outage that began during maintenance outlasts it (announced then, once).

    The round is recorded as a run (job ``probe.round``). Interrupted (SIGINT/SIGTERM) while
    probing, it records nothing and judges nothing (``Interrupted`` is raised with the Chinese
    message); the next round probes again."""
    at = at or now()
    run = store.start_run(RUN_JOB, at=at)
    sites = [t for t in targets if t.platform == "website" and t.url]
    done: list = []

    def on_check(check):
        done.append(check)
        if on_done:
            on_done(check)

    try:
        with interruptible():
            result = _probe_round(store, settings, targets, at, on_check, notify)
    except Interrupted as exc:
        store.finish_run(run, ok=False, stats=interrupted_stats(exc.reason, targets=len(sites), probed=len(done)),
                         error=f"探测被中断：{exc.reason}")
        raise Interrupted(exc.reason, f"探测被中断（{reason_text(exc.reason)}）：已探测 {len(done)}/{len(sites)} 个网站；"
                                      f"本轮探测结果不记录，不作可用性判断，已有问题保持原状，下次探测补全。") from None
    store.finish_run(run, ok=True, stats={"status": "completed", "targets": len(sites), "probed": result.probed,
                                          "failed": result.failed, "went_down": len(result.went_down),
                                          "came_back": len(result.came_back)})
    return result


def _probe_round(store: Store, settings, targets: list[Target], at: datetime, on_done, notify) -> ProbeRound:
    th = settings.thresholds
    checks = probe_targets(targets, timeout=th["probe_timeout"], workers=settings.crawl["concurrency"],
                           user_agent=settings.crawl["user_agent"], at=at, on_done=on_done,
                           trusted_hosts=settings.crawl.get("trusted_hosts") or ())
    store.record_checks(checks)
    result = ProbeRound(probed=len(checks), failed=sum(not c.ok for c in checks))
    by_id = {t.id: t for t in targets}
    for check in checks:
        target = by_id[check.target_id]
        window = int(th["unreachable_window_days"])
        history = store.list_checks(target.id, since=at - timedelta(days=window))
        hits, down = judge_availability(target.url, history, at, down_after=th["down_consecutive"],
                                        share=th["unreachable_share"], window_days=window,
                                        min_probes=th["unreachable_min_probes"], tls_days=th["tls_expiring_days"])
        part = record_hits(store, [(None, target.id, h) for h in hits], at=at,
                           deadline_days=deadline_days(settings))
        result.new_findings.extend(part.new_findings)
        was_down = target.down_since is not None
        if down and not was_down:
            # an outage that begins during maintenance is not announced (the policy silences it);
            # "down_quiet" remembers that, so it is announced if the site is still down afterwards
            quiet = target.in_maintenance(at)
            store.update_target_state(target.id, down_since=at, status=QUIET_DOWN if quiet else "down")
            result.went_down.append(target.id)
            if notify:
                notify(store, target, "down", at)
        elif down and was_down and target.status == QUIET_DOWN and not target.in_maintenance(at):
            store.update_target_state(target.id, status="down")
            result.still_down.append(target.id)
            if notify:
                notify(store, target, "still_down", at)
        elif not down and was_down and check.ok:
            store.update_target_state(target.id, down_since=None, status="up")
            result.came_back.append(target.id)
            rectify_rule(store, target.id, "site.down_now", "恢复连通", at,
                         evidence={"fetched_at": at.isoformat(), "http_status": check.http_status})
            if notify:
                notify(store, target, "recovered", at)
    return result
