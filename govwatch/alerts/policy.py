"""Who is told what, when.

Classes of alert:
- immediate: findings whose severity is in ``alerts.immediate_severities`` (veto, high), plus
  ``site.down_now`` and ``site.defaced`` whatever their severity; site down and recovery notices;
- digest: findings in ``alerts.digest_severities`` (medium, low), once a day per recipient;
- admin: ``collector.error`` findings, collectors that keep failing, alerts that could not be sent.

Recipients of a target's alerts:
- its office emails (``target.emails``), any time;
- its contacts: each ``联系人`` gets immediate alerts and the digest, the ``负责人`` gets immediate alerts
  whose severity is in ``alerts.leader_severities`` (veto); each contact only on the channels
  switched on in ``contact.channels`` (email, webhook) and inside ``contact.hours`` (e.g.
  ``08:00-22:00`` or ``08:00-12:00,14:00-18:00``, Beijing time). Outside those hours the alert waits
  for the next window, except veto alerts, which ignore quiet hours;
- for immediate alerts also the duty officer(s) on shift in the roster file (``roster`` setting, see
  roster.py). A roster that is configured but has nobody on shift, or cannot be read, sends the duty
  copy to the admins instead (and logs it).

Suppressions, each written to the alert log:
- muting: a finding on a page and rule already alerted within ``alerts.mute_days`` is not alerted
  again; it inherits the earlier ``alerted_at``, so the window is fixed, not sliding;
- maintenance (升级改版 / 临时关停): no availability alerts (site.down_now, site.unreachable, down,
  recovery);
- review-before-send (``alerts.review_before_send``): alerts to offices and contacts are stored as
  ``held`` until ``govwatch alerts release``; duty officers and admins get theirs at once.

Sensitive periods (govwatch/periods.py): while one is active, the policy works with the settings in
force (the period's thresholds quoted in the texts), findings of ``periods.urgent_severities``
(veto) are immediate whatever ``alerts.immediate_severities`` says, never wait for the digest and
ignore sending hours, and every alert text carries the line "敏感时期：名称（起止日期）".

``Finding.alerted_at`` records that alerting was decided for a finding (queued, muted or silenced):
a finding is never considered twice, and the outbox dedup key makes a repeat enqueue a no-op.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from govwatch import lifecycle
from govwatch.alerts import compose
from govwatch.alerts.outbox import enqueue, shown_to
from govwatch.alerts.roster import RosterError, on_duty
from govwatch.alerts.webhook import display
from govwatch.models import SEVERITY_RANK, TZ, Alert, Finding, Target, fmt_local, now, stable_id
from govwatch.periods import effective_settings, periods_at, urgent_severities
from govwatch.store import FindingFilter

OPEN_STATUSES = lifecycle.OPEN_STATUSES
IMMEDIATE_RULES = frozenset({"site.down_now", "site.defaced"})
AVAILABILITY_RULES = frozenset({"site.down_now", "site.unreachable"})
ADMIN_RULES = frozenset({"collector.error"})
REVIEWABLE = frozenset({"office", "contact", "leader"})
LEADER = "负责人"


@dataclass(frozen=True)
class Recipient:
    channel: str  # email, webhook
    to: str
    kind: str  # office, contact, leader, duty, admin
    name: str = ""
    hours: str = ""  # sending hours; "" = any time


@dataclass
class Outcome:
    """What one policy call did, for Run stats and the CLI."""
    queued: int = 0  # alert rows added to the outbox
    held: int = 0
    deferred: int = 0
    suppressed: int = 0
    digest_later: int = 0
    groups: int = 0
    alerts: list[Alert] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "alerts"}


# Sending hours -------------------------------------------------------------------------

def parse_hours(spec: str) -> list[tuple[time, time]] | None:
    """``08:00-22:00[,…]`` → windows; None for any time (empty or unreadable)."""
    windows = []
    for part in (spec or "").replace("，", ",").replace("～", "-").replace("~", "-").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            a, b = (x.strip() for x in part.split("-"))
            start, end = time.fromisoformat(a.zfill(5)), time.fromisoformat(b.zfill(5))
        except ValueError:
            return None
        windows.append((start, end))
    return windows or None


def _inside(windows, t: time) -> bool:
    for start, end in windows:
        if start <= end and start <= t < end:
            return True
        if start > end and (t >= start or t < end):  # crosses midnight
            return True
    return False


def next_send_time(hours: str, at: datetime) -> datetime:
    """``at`` if inside the sending hours, else the start of the next window."""
    windows = parse_hours(hours)
    if not windows:
        return at
    local = at.astimezone(TZ)
    if _inside(windows, local.time()):
        return at
    candidates = []
    for day in (0, 1):
        d = local.date() + timedelta(days=day)
        for start, _ in windows:
            when = datetime.combine(d, start, tzinfo=TZ)
            if when > local:
                candidates.append(when)
    return min(candidates)


# The policy ----------------------------------------------------------------------------

class Policy:
    def __init__(self, store, settings, at: datetime | None = None):
        self.store = store
        self.at = at or now()
        self.periods = periods_at(store, self.at)  # sensitive periods active now
        self.settings = effective_settings(settings, self.periods)
        self.cfg = self.settings.alerts
        self.urgent = urgent_severities(self.settings, self.periods)  # empty outside a period
        self.notes = [p.line for p in self.periods]  # the line every alert text carries
        self._targets: dict[str, Target | None] = {}
        self._siblings: dict[tuple[str, str], dict[str, list]] = {}
        self._duty: list[Recipient] | None = None

    # lookups -------------------------------------------------------------------------
    def target(self, target_id: str) -> Target | None:
        if target_id not in self._targets:
            self._targets[target_id] = self.store.get_target(target_id)
        return self._targets[target_id]

    def classify(self, f: Finding) -> str:
        """immediate, digest, admin or skip."""
        if f.rule in ADMIN_RULES or f.rule.startswith("collector."):
            return "admin"
        sev = f.effective_severity
        if sev in self.cfg["immediate_severities"] or f.rule in IMMEDIATE_RULES or sev in self.urgent:
            return "immediate"
        if sev in self.cfg["digest_severities"]:
            return "digest"
        return "skip"

    def muted_since(self, f: Finding, exclude: set[str]) -> datetime | None:
        """When the office was last alerted about this page and rule, if within the mute window."""
        days = self.cfg.get("mute_days") or 0
        if days <= 0:
            return None
        key = (f.target_id, f.rule)
        if key not in self._siblings:
            by_url: dict[str, list[tuple[str, datetime]]] = {}
            for s in self.store.list_findings(FindingFilter(target_id=f.target_id, rule_prefix=f.rule)):
                if s.rule == f.rule and s.alerted_at is not None:
                    by_url.setdefault(s.url, []).append((s.id, s.alerted_at))
            self._siblings[key] = by_url
        window = self.at - timedelta(days=days)
        times = [when for fid, when in self._siblings[key].get(f.url, ())
                 if fid not in exclude and window < when <= self.at]
        return max(times) if times else None

    # recipients ----------------------------------------------------------------------
    def office_recipients(self, target: Target, severity: str, digest: bool = False) -> list[Recipient]:
        out = [Recipient("email", e.strip(), "office", target.office or target.owner)
               for e in target.emails if e and e.strip()]
        for c in target.contacts:
            leader = (c.role or "").strip() == LEADER
            if leader and (digest or severity not in self.cfg["leader_severities"]):
                continue
            kind = "leader" if leader else "contact"
            channels = {ch.strip().lower() for ch in (c.channels or [])}
            if "email" in channels and c.email:
                out.append(Recipient("email", c.email.strip(), kind, c.name, c.hours or ""))
            if "webhook" in channels and c.webhook:
                out.append(Recipient("webhook", c.webhook.strip(), kind, c.name, c.hours or ""))
        return out

    def admin_recipients(self) -> list[Recipient]:
        return [Recipient("email", e.strip(), "admin", "管理员") for e in self.settings.admin_emails if e.strip()]

    def duty_recipients(self) -> list[Recipient]:
        if self._duty is not None:
            return self._duty
        path = self.settings.roster
        if not path:
            self._duty = []
            return self._duty
        try:
            shifts = on_duty(path, self.at)
        except RosterError as exc:
            self.log("roster_error", reason=f"值班表无法读取，值班提醒改发管理员：{exc}")
            self._duty = self.admin_recipients()
            return self._duty
        duty = []
        for s in shifts:
            if s.email:
                duty.append(Recipient("email", s.email, "duty", s.name))
            if s.webhook:
                duty.append(Recipient("webhook", s.webhook, "duty", s.name))
        if not duty:
            self.log("no_duty", reason=f"{fmt_local(self.at)} 值班表中无人当班，值班提醒改发管理员")
            duty = self.admin_recipients()
        self._duty = duty
        return duty

    # building alerts -----------------------------------------------------------------
    def log(self, event: str, **fields) -> None:
        self.store.log_alert_event({"at": self.at.isoformat(), "event": event, **fields})

    def make_alerts(self, dedup_key: str, recipients: list[Recipient], msg: compose.Message,
                    finding_ids: list[str], veto: bool, outcome: Outcome,
                    duty_msg: compose.Message | None = None) -> list[Alert]:
        """One alert per recipient; the duty officer gets ``duty_msg`` (addressed to the duty
        officer, not to the office) when given. ``veto``: sent at once, whatever the recipient's
        sending hours (veto findings, and the urgent severities of a sensitive period)."""
        review = bool(self.cfg.get("review_before_send"))
        seen: set[tuple[str, str]] = set()
        alerts = []
        # duty and office copies first: an address that is also a contact keeps the freer copy
        order = {"duty": 0, "admin": 0, "office": 1, "leader": 2, "contact": 3}
        for r in sorted(recipients, key=lambda r: order.get(r.kind, 9)):
            to = r.to
            # a robot address nobody can send to (stored before the registry checked robots) is not
            # dropped here: it is queued, fails at once as permanent, shows in `alerts list --status
            # failed`, and the admins are told, like any other undeliverable alert
            if (r.channel, to.lower()) in seen:
                continue
            seen.add((r.channel, to.lower()))
            status = "held" if review and r.kind in REVIEWABLE else "pending"
            when = self.at if veto else next_send_time(r.hours, self.at)
            m = duty_msg if duty_msg is not None and r.kind == "duty" else msg
            alerts.append(Alert(
                dedup_key=dedup_key, channel=r.channel, to=to, subject=m.subject, body=m.text,
                html=m.html if r.channel == "email" else "", finding_ids=list(finding_ids),
                created_at=self.at, next_attempt_at=when, status=status))
        return alerts

    def enqueue(self, alerts: list[Alert], outcome: Outcome, **log_fields) -> None:
        added = enqueue(self.store, alerts)
        outcome.queued += len(added)
        outcome.alerts.extend(added)
        for a in added:
            if a.status == "held":
                outcome.held += 1
            if a.status == "pending" and a.next_attempt_at and a.next_attempt_at > self.at:
                outcome.deferred += 1
        if added:
            self.log("queued", dedup_key=alerts[0].dedup_key, subject=alerts[0].subject,
                     to=[shown_to(a) for a in added], held=[a.id for a in added if a.status == "held"],
                     deferred_until={a.id: a.next_attempt_at.isoformat() for a in added
                                     if a.next_attempt_at and a.next_attempt_at > self.at},
                     **log_fields)

    def mark(self, findings: list[Finding], when: datetime) -> None:
        from govwatch.store import StoreError

        for f in findings:
            f.alerted_at = when
            try:
                self.store.update_finding(f.id, alerted_at=when)
            except StoreError:  # a finding the caller never recorded: its alert is queued all the same
                self.log("unrecorded_finding", finding_ids=[f.id], target_id=f.target_id, rule=f.rule)


# Entry points ------------------------------------------------------------------------

def _worst(findings: list[Finding]) -> str:
    return min((f.effective_severity for f in findings), key=lambda s: SEVERITY_RANK.get(s, 9))


def enqueue_for_findings(store, settings, findings: list[Finding], at: datetime | None = None) -> Outcome:
    """Put immediate alerts for these findings in the outbox now; leave the rest for the digest.

    Called by the crawl pipeline right after findings are recorded (and by the flush job's sweep
    as a safety net). Findings already decided (``alerted_at`` set) are skipped, so calling twice
    is harmless.
    """
    pol = Policy(store, settings, at)
    out = Outcome()
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    # one finding is one problem however many times it matched (a crawl reports each match)
    findings = list({f.id: f for f in findings}.values())
    for f in findings:
        if f.alerted_at is not None or f.status not in OPEN_STATUSES:
            continue
        kind = pol.classify(f)
        if kind in ("digest", "skip"):
            out.digest_later += kind == "digest"
            continue
        groups.setdefault((kind, f.target_id, f.url, f.rule), []).append(f)
    for (kind, tid, url, rule), fs in groups.items():
        out.groups += 1
        duty_msg = None
        ids = sorted(f.id for f in fs)
        fields = {"target_id": tid, "rule": rule, "url": url, "finding_ids": ids}
        target = pol.target(tid)
        if target is None:
            pol.log("suppressed", reason="监测对象不存在", **fields)
            out.suppressed += 1
            pol.mark(fs, pol.at)
            continue
        if kind == "admin":
            msg = compose.collector_message(target, target.consecutive_failures or 1, target.error_kind,
                                            fs[0].detail or fs[0].match or target.last_crawl_error,
                                            target.last_crawl_ok_at, thresholds=pol.settings.thresholds)
            recipients = pol.admin_recipients()
        else:
            if rule == "site.down_now" and target.down_since is not None:
                # the probe reported this outage: availability_alerts sent (or silenced) its notice
                pol.log("suppressed", reason="已由“网站无法访问”通知覆盖（每次中断只通知一次）", **fields)
                out.suppressed += 1
                pol.mark(fs, pol.at)
                continue
            if rule in AVAILABILITY_RULES and target.in_maintenance(pol.at):
                pol.log("suppressed", reason=f"监测对象处于维护状态（{target.maintenance.kind}），不发送可用性提醒", **fields)
                out.suppressed += 1
                pol.mark(fs, pol.at)
                continue
            muted = pol.muted_since(fs[0], set(ids))
            if muted is not None:
                pol.log("suppressed", reason=f"同一页面同一规则已于 {fmt_local(muted)} 提醒，"
                                             f"{pol.cfg['mute_days']} 天内不重复提醒", **fields)
                out.suppressed += 1
                pol.mark(fs, muted)
                continue
            msg = compose.finding_message(target, fs, pol.cfg.get("console_url", ""), thresholds=pol.settings.thresholds,
                                          notes=pol.notes)
            duty_msg = compose.finding_message(target, fs, pol.cfg.get("console_url", ""), duty=True,
                                               thresholds=pol.settings.thresholds, notes=pol.notes)
            recipients = pol.office_recipients(target, _worst(fs)) + pol.duty_recipients()
            if not recipients:
                recipients = pol.admin_recipients()
        if not recipients:
            pol.log("suppressed", reason="没有可用的收件人（监测对象未配置邮箱或联系人，也未配置管理员）", **fields)
            out.suppressed += 1
            pol.mark(fs, pol.at)
            continue
        if kind == "admin":
            # the same key as collector_alerts: one notice per failure streak, whichever path sees it first
            key = collector_key(target)
        else:
            key = f"finding:{ids[0]}" if len(ids) == 1 else f"findings:{stable_id(*ids, length=24)}"
        worst = _worst(fs)
        alerts = pol.make_alerts(key, recipients, msg, ids, veto=worst == "veto" or worst in pol.urgent, outcome=out,
                                 duty_msg=duty_msg if kind != "admin" else None)
        pol.enqueue(alerts, out, **fields)
        pol.mark(fs, pol.at)
    return out


def availability_alerts(store, settings, target: Target, was_down: bool, is_down: bool,
                        at: datetime | None = None, down_since: datetime | None = None,
                        detail: str = "", announced: bool = False) -> Outcome:
    """Site down (网站无法访问) and recovery (恢复连通) notices, for the probe to call on a state change.

    ``was_down``/``is_down``: whether the site was / is now *reported* down (the probe's decision,
    e.g. after ``thresholds.down_consecutive`` failed probes). ``down_since``: start of the outage
    (defaults to ``target.down_since``, then ``at``); pass it on recovery, after clearing the field.
    One notice per outage and recipient (dedup key ``down:<target>:<down_since>``). A target in
    maintenance gets neither; nor does an outage that began during maintenance get a recovery notice,
    unless it was ``announced`` (still down once the maintenance ended, see ``run_probe``).
    """
    pol = Policy(store, settings, at)
    out = Outcome()
    if was_down == is_down:
        return out
    since = down_since or target.down_since or pol.at
    kind = "down" if is_down else "recovery"
    fields = {"target_id": target.id, "rule": "site.down_now", "url": target.url}
    maint = target.maintenance
    if target.in_maintenance(pol.at) or (kind == "recovery" and not announced and maint is not None
                                         and maint.active(since)):
        pol.log("suppressed", reason=f"监测对象处于维护状态（{maint.kind}），不发送"
                                     f"{'无法访问' if kind == 'down' else '恢复连通'}提醒", **fields)
        out.suppressed += 1
        return out
    msg = compose.availability_message(target, kind, pol.at, since, detail, thresholds=pol.settings.thresholds,
                                       notes=pol.notes)
    duty_msg = compose.availability_message(target, kind, pol.at, since, detail, duty=True,
                                            thresholds=pol.settings.thresholds, notes=pol.notes)
    recipients = pol.office_recipients(target, "high") + pol.duty_recipients() or pol.admin_recipients()
    if not recipients:
        pol.log("suppressed", reason="没有可用的收件人", **fields)
        out.suppressed += 1
        return out
    key = f"{kind}:{target.id}:{since.isoformat()}"
    pol.enqueue(pol.make_alerts(key, recipients, msg, [], veto=False, outcome=out, duty_msg=duty_msg),
                out, **fields)
    return out


def availability_notice(store, target: Target, event: str, at: datetime | None = None, settings=None) -> Outcome:
    """Adapter for ``govwatch.availability.run_probe(notify=…)``: ``event`` is "down", "still_down" (an
    outage begun in maintenance outlasting it) or "recovered".

    ``target`` is the probe's copy from before the state change, so on recovery its ``down_since`` is
    still the start of the outage. Pass ``settings`` where the caller has them (a ``--config`` file);
    otherwise they are loaded from the environment and ./govwatch.toml.
    """
    if settings is None:
        from govwatch.settings import load_settings
        settings = load_settings()
    if event == "down":
        return availability_alerts(store, settings, target, False, True, at, down_since=at or target.down_since)
    if event == "still_down":
        # the outage began during maintenance, which is over: announced now with its real start
        maint = target.maintenance
        detail = (f"维护（{maint.kind}）期间开始无法访问，维护结束后仍未恢复" if maint is not None
                  else "维护期间开始无法访问，维护结束后仍未恢复")
        return availability_alerts(store, settings, target, False, True, at, down_since=target.down_since,
                                   detail=detail)
    if event in ("recovered", "recovery", "up"):
        return availability_alerts(store, settings, target, True, False, at, down_since=target.down_since,
                                   announced=target.status == "down")
    raise ValueError(f"unknown availability event: {event}")


def enqueue_digests(store, settings, at: datetime | None = None) -> Outcome:
    """The daily digest: every open digest-class finding not yet alerted, one message per recipient,
    grouped by target and severity."""
    pol = Policy(store, settings, at)
    out = Outcome()
    day = pol.at.astimezone(TZ).date().isoformat()
    findings = [f for f in store.list_findings(FindingFilter(status=OPEN_STATUSES,
                                                             severity=pol.cfg["digest_severities"]))
                if f.alerted_at is None and pol.classify(f) == "digest"]
    buckets: dict[tuple[str, str], tuple[Recipient, dict[str, tuple[Target, list[Finding]]]]] = {}
    decided: list[Finding] = []
    for f in findings:
        fields = {"target_id": f.target_id, "rule": f.rule, "url": f.url, "finding_ids": [f.id]}
        target = pol.target(f.target_id)
        if target is None:
            pol.log("suppressed", reason="监测对象不存在", **fields)
            out.suppressed += 1
            pol.mark([f], pol.at)
            continue
        if f.rule in AVAILABILITY_RULES and target.in_maintenance(pol.at):
            pol.log("suppressed", reason=f"监测对象处于维护状态（{target.maintenance.kind}）", **fields)
            out.suppressed += 1
            pol.mark([f], pol.at)
            continue
        muted = pol.muted_since(f, {f.id})
        if muted is not None:
            pol.log("suppressed", reason=f"同一页面同一规则已于 {fmt_local(muted)} 提醒，"
                                         f"{pol.cfg['mute_days']} 天内不重复提醒", **fields)
            out.suppressed += 1
            pol.mark([f], muted)
            continue
        recipients = pol.office_recipients(target, f.effective_severity, digest=True)
        if not recipients:
            pol.log("suppressed", reason="监测对象未配置邮箱或联系人，问题仅在系统中可见", **fields)
            out.suppressed += 1
            pol.mark([f], pol.at)
            continue
        for r in recipients:
            entry = buckets.setdefault((r.channel, r.to.lower()), (r, {}))
            entry[1].setdefault(target.id, (target, []))[1].append(f)
        decided.append(f)
    for (channel, _), (r, groups) in buckets.items():
        ids = sorted({f.id for _, fs in groups.values() for f in fs})
        out.groups += 1
        msg = compose.digest_message(groups, day, pol.cfg.get("console_url", ""), thresholds=pol.settings.thresholds,
                                     notes=pol.notes)
        key = f"digest:{day}:{stable_id(*ids, length=24)}"
        pol.enqueue(pol.make_alerts(key, [r], msg, ids, veto=False, outcome=out), out,
                    finding_ids=ids, target_id=",".join(sorted(groups)))
    pol.mark(decided, pol.at)
    return out


def collector_key(t: Target) -> str:
    """Dedup key of a collector notice: one per target and failure streak (since the last success)."""
    streak = t.last_crawl_ok_at.isoformat() if t.last_crawl_ok_at else "never"
    return f"collector:{t.id}:{streak}"


def collector_alerts(store, settings, at: datetime | None = None) -> Outcome:
    """Tell the admins about collectors that keep failing: once per failure streak and target."""
    pol = Policy(store, settings, at)
    out = Outcome()
    threshold = int(pol.cfg.get("collector_failures") or 3)
    admins = pol.admin_recipients()
    if not admins:
        return out
    for t in store.list_targets(enabled_only=True):
        if (t.consecutive_failures or 0) < threshold:
            continue
        msg = compose.collector_message(t, t.consecutive_failures, t.error_kind, t.last_crawl_error,
                                        t.last_crawl_ok_at, thresholds=pol.settings.thresholds)
        out.groups += 1
        pol.enqueue(pol.make_alerts(collector_key(t), admins, msg, [], veto=True, outcome=out),
                    out, target_id=t.id, rule="collector.error")
    return out


def sweep(store, settings, at: datetime | None = None) -> Outcome:
    """Safety net run before every flush: serious findings of the last ``alerts.sweep_days`` days that
    no one enqueued (a crawl process died between recording and alerting, or a detection job that
    does not call the hook) are enqueued now."""
    at = at or now()
    since = at - timedelta(days=int(settings.alerts.get("sweep_days") or 3))
    # during a sensitive period its urgent severities are immediate too
    urgent = urgent_severities(settings, periods_at(store, at))
    severities = sorted(set(settings.alerts["immediate_severities"]) | urgent)
    flt = FindingFilter(status=OPEN_STATUSES, severity=severities, since=since)
    pending = {f.id: f for f in store.list_findings(flt) if f.alerted_at is None}
    for rule in sorted(IMMEDIATE_RULES | ADMIN_RULES):
        for f in store.list_findings(FindingFilter(status=OPEN_STATUSES, rule_prefix=rule, since=since)):
            if f.alerted_at is None:
                pending.setdefault(f.id, f)
    pending = list(pending.values())
    return enqueue_for_findings(store, settings, pending, at) if pending else Outcome()


def release(store, alert_ids: list[str] | None = None, at: datetime | None = None, by: str = "值班员") -> dict:
    """Review-before-send: held alerts (all, or the given ids) become pending. Alerts whose findings
    were all marked false positives meanwhile are cancelled instead."""
    at = at or now()
    held = store.list_alerts(status="held", limit=100000)
    wanted = set(alert_ids or [])
    unknown = sorted(wanted - {a.id for a in held})
    released = cancelled = 0
    for a in held:
        if wanted and a.id not in wanted:
            continue
        findings = [store.get_finding(fid) for fid in a.finding_ids]
        if a.finding_ids and all(f is not None and f.status == "false_positive" for f in findings):
            store.update_alert(a.id, status="cancelled", last_error="问题已标记为误报")
            store.log_alert_event({"at": at.isoformat(), "event": "cancelled", "alert_id": a.id, "to": _shown(a),
                                   "channel": a.channel, "reason": "审核时问题已标记为误报", "by": by})
            cancelled += 1
            continue
        when = max(at, a.next_attempt_at) if a.next_attempt_at else at
        store.update_alert(a.id, status="pending", next_attempt_at=when)
        store.log_alert_event({"at": at.isoformat(), "event": "released", "alert_id": a.id, "to": _shown(a),
                               "channel": a.channel, "subject": a.subject, "by": by})
        released += 1
    return {"released": released, "cancelled": cancelled, "unknown": unknown}


def _shown(a: Alert) -> str:
    """The recipient as logs show it: a robot by kind and host, never its token or secret."""
    return display(a.to) if a.channel == "webhook" else a.to


def failure_notice(store, settings, a: Alert, at: datetime) -> None:
    """Tell the admins that ``a`` could not be delivered (the outbox gave up on it)."""
    if a.dedup_key.startswith(("failed:", "test:")):
        return  # never a notice about a notice
    pol = Policy(store, settings, at)
    admins = [r for r in pol.admin_recipients() if not (r.channel == a.channel and r.to.lower() == a.to.lower())]
    if not admins:
        pol.log("suppressed", reason="提醒发送失败，但未配置管理员邮箱（admin_emails），无法通知",
                alert_id=a.id)
        return
    msg = compose.failure_message(a)
    out = Outcome()
    pol.enqueue(pol.make_alerts(f"failed:{a.id}", admins, msg, [], veto=True, outcome=out), out,
                about_alert=a.id)
