"""The finding lifecycle: the one place a finding's status changes.

Statuses and their Chinese labels, which of them count as open, the allowed transitions, deadlines
(整改时限) by severity, recording hits as findings, automatic rectification (a recrawl, a recheck or
the nightly detection shows the problem gone) and reopening (it is back), people's transitions, and
reading a finding's history. Crawlers, detection, availability, recheck, the registry and the
commands hand hits and decisions over to these functions; none of them calls the store's
``transition_finding`` itself (tests/test_lifecycle.py checks this).

Application layer: imports the models, the settings and the store; scans nothing, crawls nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from govwatch.models import (
    FINDING_STATUS_LABELS, FINDING_STATUSES, FINDING_TRANSITIONS, Finding, Hit, Item, aware, now,
)
from govwatch.settings import DEFAULTS
from govwatch.store import FindingFilter, Store

STATUSES = FINDING_STATUSES
STATUS_LABELS = FINDING_STATUS_LABELS
TRANSITIONS = FINDING_TRANSITIONS
OPEN_STATUSES = ("open", "confirmed", "rectifying")  # a problem still to be fixed
DONE_STATUSES = ("rectified", "closed")  # fixed (系统 or people); a recurrence reopens them
SYSTEM = "system"  # ``by`` of automatic changes

DEFAULT_DEADLINE_DAYS: dict[str, int] = dict(DEFAULTS["deadlines_days"])


# ---------------------------------------------------------------------------- deadlines

def deadline_days(settings=None) -> dict[str, int]:
    """Days to rectify by severity: the user's ``deadlines_days`` over the defaults (the local
    "1–5 日内完成整改": veto 1 day, high 3 days, others 5 days). ``settings``: a ``Settings``, a
    (possibly partial) severity -> days table, or None for the defaults. The one place the table is
    merged: a severity the user left out keeps its own default, never another severity's."""
    days = dict(DEFAULT_DEADLINE_DAYS)
    table = settings if isinstance(settings, dict) or settings is None else getattr(settings, "deadlines_days", None)
    days.update({k: int(v) for k, v in (table or {}).items()})
    return days


def deadline_for(severity: str, start: datetime, settings=None, days: dict | None = None) -> datetime:
    table = deadline_days(days if days is not None else settings)
    return aware(start) + timedelta(days=int(table.get(severity, DEFAULT_DEADLINE_DAYS["medium"])))


def with_deadline(f: Finding, at: datetime, days: dict | None = None) -> Finding:
    """``f`` with its deadline set from its severity, unless it has one; ``days``: a (possibly
    partial) table, merged over the defaults by ``deadline_days``."""
    f.deadline = f.deadline or deadline_for(f.severity, at, days=days)
    return f


def is_overdue(f: Finding, at: datetime | None = None, status: str | None = None) -> bool:
    """Still to be fixed and past its deadline at ``at``; ``status``: the finding's status then (a
    report for a past period, ``status_at``), by default its current one."""
    at = at or now()
    return (f.status if status is None else status) in OPEN_STATUSES and f.deadline is not None \
        and aware(f.deadline) < at


DEADLINE_TABLE_KEY = "deadlines_days"  # the store's record of the table the stored deadlines follow


def follow_deadline_settings(store: Store, settings=None) -> int:
    """Keep stored deadlines in step with the settings' ``deadlines_days``.

    A finding's deadline is stored (indexed for the overdue query, shown everywhere, sent in
    alerts): its first sighting plus the days of its effective severity. The store records the
    table those deadlines follow; when the settings' table differs, the deadline of every finding
    still open whose severity's days changed is recomputed from its first sighting with the new
    table (``deadline_for``), and the new table is recorded. Findings already rectified, closed or
    false positive keep the deadline they were judged against. The first time (no table recorded:
    a new store or one from before this), the table is recorded as it stands, nothing recomputed.
    Cheap when nothing changed (one small read). Returns how many deadlines moved.
    """
    table = deadline_days(settings)
    recorded_text = store.get_meta(DEADLINE_TABLE_KEY)
    text = json.dumps(table, sort_keys=True)
    if recorded_text == text:
        return 0
    if recorded_text is None:
        store.put_meta(DEADLINE_TABLE_KEY, text)
        return 0
    try:
        recorded = {str(k): int(v) for k, v in json.loads(recorded_text).items()}
    except (ValueError, TypeError, AttributeError):
        recorded = {}  # unreadable: recompute every severity
    changed = sorted({s for s in set(recorded) | set(table) if recorded.get(s) != table.get(s)})
    moved: dict[str, datetime] = {}
    if changed:
        for f in open_findings(store, severity=changed):
            if f.first_seen_at is None:
                continue
            deadline = deadline_for(f.effective_severity, f.first_seen_at, days=table)
            if f.deadline is None or aware(f.deadline) != deadline:
                moved[f.id] = deadline
        store.set_deadlines(moved)
    store.put_meta(DEADLINE_TABLE_KEY, text)
    return len(moved)


def overdue_filter(at: datetime, **filters) -> FindingFilter:
    """``is_overdue`` as a store query: open findings whose deadline is before ``at``, answered from
    the store's overdue index (status, severity, deadline) instead of reading every open finding.
    ``filters``: more ``FindingFilter`` fields (target ids, a severity, the order, a limit)."""
    return FindingFilter(status=OPEN_STATUSES, deadline_before=at, **filters)


# ---------------------------------------------------------------------------- recording hits

@dataclass
class IngestStats:
    items_new: int = 0
    items_changed: int = 0
    items_unchanged: int = 0
    scanned: int = 0
    findings_new: int = 0
    findings_seen: int = 0
    rectified: int = 0
    new_findings: list[Finding] = field(default_factory=list)

    def add(self, other: "IngestStats") -> None:
        for name in ("items_new", "items_changed", "items_unchanged", "scanned", "findings_new",
                     "findings_seen", "rectified"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.new_findings.extend(other.new_findings)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "new_findings"}


def record_hits(store: Store, pairs: list[tuple[Item | None, str, Hit]], at: datetime | None = None,
                deadline_days: dict | None = None, evidence: dict | None = None) -> IngestStats:
    """Upsert findings for (item or None, target_id, hit) triples. New findings are open with a
    deadline; known ones keep their status, history and people's overrides (``store.merge_finding``)."""
    at = at or now()
    findings = [with_deadline(Finding.from_hit(hit, target_id=tid, item=item, evidence=evidence, at=at),
                              at, deadline_days) for item, tid, hit in pairs]
    stats = IngestStats()
    if not findings:
        return stats
    result = store.upsert_findings(findings, at=at)
    new_ids = set(result.new)
    stats.findings_new = len(result.new)
    stats.findings_seen = len(result.changed)
    stats.new_findings = list({f.id: f for f in findings if f.id in new_ids}.values())  # once per finding
    return stats


def reopen_or_record(store: Store, pairs: list[tuple[Item | None, str, Hit]], at: datetime,
                     deadline_days: dict | None = None, evidence: dict | None = None,
                     note: str = "复查再次发现该问题") -> IngestStats:
    """Record item-less hits. A finding of the same fingerprint that was rectified or closed comes
    back as open (the problem is back, which a plain upsert would not do), its alert mark cleared
    so that it is announced again like a new finding."""
    reopened = []
    for _, tid, hit in pairs:
        fid = Finding.from_hit(hit, target_id=tid).id
        old = store.get_finding(fid)
        if old is not None and old.status in DONE_STATUSES:
            reopen(store, fid, note, at, announce=True)
            reopened.append(fid)
    stats = record_hits(store, pairs, at=at, deadline_days=deadline_days, evidence=evidence)
    stats.new_findings.extend(f for f in (store.get_finding(fid) for fid in reopened) if f is not None)
    return stats


# ---------------------------------------------------------------------------- automatic changes

def rectify(store: Store, finding_id: str, note: str, at: datetime, evidence: dict | None = None,
            by: str = SYSTEM) -> Finding:
    """The problem is gone (recrawl, recheck, nightly detection, probe): 已整改, with the evidence."""
    return store.transition_finding(finding_id, "rectified", by=by, note=note, at=at, evidence=evidence)


def reopen(store: Store, finding_id: str, note: str, at: datetime, *, announce: bool = False,
           by: str = SYSTEM) -> Finding:
    """The problem is back: open again. ``announce`` clears the alert mark so it is alerted anew."""
    f = store.transition_finding(finding_id, "open", by=by, note=note, at=at)
    if announce:
        store.update_finding(finding_id, alerted_at=None)
    return f


def rectify_rule(store: Store, target_id: str, rule: str, note: str, at: datetime,
                 evidence: dict | None = None) -> int:
    """Every open finding of exactly ``rule`` on the target becomes 已整改 (a recovered site or
    account). Returns how many."""
    count = 0
    for f in open_findings(store, target_id=target_id, rule_prefix=rule):
        if f.rule != rule:
            continue
        rectify(store, f.id, note, at, evidence)
        count += 1
    return count


def propose_rectified(store: Store, item: Item, still_there: set[str], at: datetime,
                      rule_prefixes: tuple[str, ...] | None = None) -> int:
    """Open findings of ``item`` that the latest scan no longer produced become 已整改, with the new
    snapshot as evidence."""
    count = 0
    for f in open_findings(store, item_id=item.id):
        if f.id in still_there or (rule_prefixes and not f.rule.startswith(rule_prefixes)):
            continue
        note = "信息已删除" if item.state == "deleted" else "复查未再发现该问题"
        rectify(store, f.id, note, at, {"snapshot": item.snapshot, "fetched_at": at.isoformat(), "url": item.url})
        count += 1
    return count


# ---------------------------------------------------------------------------- people's changes

def transition(store: Store, finding_id: str, to: str, by: str, note: str = "", at: datetime | None = None,
               evidence: dict | None = None) -> Finding:
    """A person moves a finding (``govwatch findings set``, the console, an ignore rule). Callers
    check ``TRANSITIONS``; the store refuses what is not allowed."""
    return store.transition_finding(finding_id, to, by=by, note=note or "", at=at or now(), evidence=evidence)


def annotate(store: Store, f: Finding, by: str, note: str, at: datetime) -> Finding:
    """A history entry without a status change (a severity override, a remark)."""
    return store.transition_finding(f.id, f.status, by=by, note=note, at=at)


# ---------------------------------------------------------------------------- history

def _entry_time(entry: dict) -> datetime | None:
    value = entry.get("at")
    if isinstance(value, datetime):
        return aware(value)
    try:
        return aware(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


def status_at(f: Finding, at: datetime) -> str:
    """The finding's status at ``at``, replayed from its history (its first status before any entry)."""
    status = None
    for entry in f.history or []:
        when = _entry_time(entry)
        if when is None or when >= at:
            continue
        status = entry.get("to") or status
    if status is None:
        first = (f.history or [{}])[0]
        status = first.get("from") or first.get("to") or f.status
    return status


def last_change(f: Finding) -> dict:
    """The latest history entry that changed the status (or the first sighting)."""
    for entry in reversed(f.history or []):
        if entry.get("from") != entry.get("to") or entry.get("from") == "":
            return entry
    return (f.history or [{}])[-1]


def open_findings(store: Store, **filters) -> list[Finding]:
    """Findings still to be fixed (``OPEN_STATUSES``), narrowed by ``FindingFilter`` fields."""
    return store.list_findings(FindingFilter(status=OPEN_STATUSES, **filters))


__all__: Iterable[str] = (
    "STATUSES", "STATUS_LABELS", "TRANSITIONS", "OPEN_STATUSES", "DONE_STATUSES", "DEFAULT_DEADLINE_DAYS",
    "deadline_days", "deadline_for", "with_deadline", "is_overdue", "overdue_filter", "follow_deadline_settings",
    "DEADLINE_TABLE_KEY", "IngestStats", "record_hits",
    "reopen_or_record", "rectify", "reopen", "rectify_rule", "propose_rectified", "transition", "annotate",
    "status_at", "last_change", "open_findings",
)
