"""Nightly staleness and zombie detection (the nightly job, see docs/architecture.md).

``run_detection`` reads the targets and the per-column publication states kept at ingest, judges
every target with ``scanner.timeline``, records the findings, proposes open staleness findings
as rectified when their target published again, and returns the report behind
``govwatch zombies``.

Cost: the nightly part reads every target, the column states kept at ingest and the open
timeline findings, so it follows the number of targets and of open problems, not the items; it
writes only findings that are new or changed (unchanged ones are refreshed once a week). Item rows
are read only for
* targets whose state runs past ``as_of`` (a future-dated item, or a replay with ``--as-of`` in
  the past): their states are rebuilt from their own items;
* targets that came back to life (their newest item is the rectification evidence) and reprint
  checks (the configured upstreams and their subordinates);
* the report: its rows carry the month's statistics from ``publication_times`` of the month so
  far (plus the lookback the "days out of standard" need), built on first access, so that cost
  follows the month's posts and is paid only when someone reads the report.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import cached_property

from govwatch.lifecycle import OPEN_STATUSES, deadline_days, rectify, reopen, with_deadline
from govwatch.models import (
    OWNER_LEVELS, PLATFORM_LABELS, TZ, Finding, Item, Target, aware, finding_id, fmt_local, gc_paused,
    local_day, now as _now,
)
from govwatch.store import ColumnState, FindingFilter, Store
from scanner.timeline import (
    ACCOUNT_SCOPE, HOMEPAGE_COLUMN, NIGHTLY_RULES, REPRINT_SCOPE, STATUS_EMPTY, STATUS_OK,
    STATUS_UNKNOWN, STATUS_ZOMBIE, STATUS_ZOMBIE_CANDIDATE, STATUSES, UNTIMED_PLATFORMS,
    STALENESS_RULES, Scope, ThresholdBook, Verdict, judge_reprints, judge_target, period_stats,
    plainly_current, reprint_sources,
)

# Unchanged open findings are rewritten (to refresh last_seen_at and the evidence) at most this
# often; in between, a night writes only what is new or changed.
REFRESH_AFTER = timedelta(days=7)
# Rectified findings last seen longer ago than this are not reconsidered for reopening.
REOPEN_WINDOW = timedelta(days=30)
# prefixes that cover NIGHTLY_RULES with few queries (results are filtered by rule)
_RULE_PREFIXES = ("site.homepage_stale", "site.column_", "site.undated", "account.", "timeline.reprint_late")
_EMPTY_RULES = ("site.column_empty", "account.empty")
UNKNOWN_UNIT = "（未填写主办单位）"
LEVEL_RANK = {level: i for i, level in enumerate(OWNER_LEVELS)}
PROBLEM_STATUSES = tuple(s for s in STATUSES if s not in (STATUS_OK, "即将超期", STATUS_UNKNOWN))


class DetectionReport:
    """What one detection run found. ``rows`` (one per target), ``units`` (the roll-up) and the
    month's statistics are built on first access: the nightly job only needs the findings, the
    report (``govwatch zombies``, the monthly export) reads the month's publication times then."""

    def __init__(self, *, store: Store, targets: list[Target], verdicts: dict[str, Verdict], as_of: datetime,
                 stats: dict, new_findings: list[Finding], monthly: bool = True,
                 book: ThresholdBook | None = None, current: dict[str, int] | None = None):
        self.store = store
        self._judged = targets
        self._verdicts = verdicts
        self._book = book or ThresholdBook()
        self._current = current or {}  # plainly current targets the run did not load
        self.as_of = as_of
        self.stats = stats
        self.new_findings = new_findings  # for alerting
        self.monthly = monthly
        self.period_end = local_day(as_of)
        self.period_start = self.period_end.replace(day=1)
        self.month = self.period_start.strftime("%Y-%m")

    @cached_property
    def targets(self) -> list[Target]:
        """Every judged target; the plainly current ones are loaded and judged now (same verdict)."""
        if not self._current:
            return self._judged
        horizon = self.as_of + timedelta(minutes=float(self._book.base["future_date_tolerance_minutes"]))
        with gc_paused():
            rest = self.store.get_targets(list(self._current))
            verdicts, _ = _judge(self.store, rest, self.as_of, horizon, self._book)
        self._verdicts.update(verdicts)
        return sorted([*self._judged, *rest], key=lambda t: t.id)

    @cached_property
    def verdicts(self) -> dict[str, Verdict]:
        self.targets  # noqa: B018 (completes the verdicts)
        return self._verdicts

    @cached_property
    def month_stats(self) -> dict:
        """target id → PeriodStats of the month so far (empty without ``monthly``)."""
        if not self.monthly:
            return {}
        with gc_paused():
            return _month_stats(self.store, self.targets, self.verdicts, self.as_of, self.period_start,
                                self.period_end)

    @cached_property
    def rows(self) -> list[dict]:
        month = self.month_stats
        with gc_paused():
            return [_row(t, self.verdicts[t.id], month.get(t.id)) for t in self.targets]

    @cached_property
    def units(self) -> list[dict]:
        return roll_up(self.targets, self.rows)

    def as_dict(self) -> dict:
        """The run's summary (counts, timings), for the job log; ``to_dict`` is the whole report."""
        return {"as_of": self.as_of.isoformat(), **self.stats}

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "as_of_local": fmt_local(self.as_of), "month": self.month,
                "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
                "stats": self.stats, "targets": self.rows, "units": self.units}


def end_of_day(day: date) -> datetime:
    """The last instant of a Beijing calendar day: ``--as-of 2026-11-15`` judges as of that day."""
    return datetime.combine(day, dtime(23, 59, 59, 999999), TZ)


def run_detection(store: Store, settings, as_of: datetime | None = None, *, record: bool = True,
                  monthly: bool = True) -> DetectionReport:
    """Judge every enabled target as of ``as_of`` (default: now) and, unless ``record`` is false,
    record the findings and propose revived targets' staleness findings as rectified. The
    returned report builds its rows (with the month's statistics unless ``monthly`` is false) when
    first read."""
    with gc_paused():
        return _run(store, settings, as_of, record, monthly)


def _run(store: Store, settings, as_of: datetime | None, record: bool, monthly: bool) -> DetectionReport:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    clock = [started]

    def lap(name: str) -> None:
        t = time.perf_counter()
        timings[name] = round(t - clock[0], 3)
        clock[0] = t

    now = aware(as_of) if as_of else _now()
    book = ThresholdBook(settings.data["thresholds"])
    horizon = _horizon(now, book)

    summaries = [s for s in store.target_summaries(enabled_only=True) if s.platform not in UNTIMED_PLATFORMS]
    existing = _existing_findings(store, now) if record else {}
    lap("targets")
    # Most accounts posted recently and their collectors are fine: their verdict is 正常 without
    # loading them. Everything else, and every target with a finding to refresh or rectify, is
    # judged in full.
    flagged = {f.target_id for f in existing.values()}
    sites = [s.id for s in summaries if s.platform == "website" and s.id not in flagged]
    states = _states(store, sites)
    current: dict[str, int] = {}
    for summary in summaries:
        days = None if summary.id in flagged else plainly_current(summary, now, book, states.get(summary.id, ()))
        if days is not None:
            current[summary.id] = days
    targets = store.get_targets([s.id for s in summaries if s.id not in current])
    verdicts, ahead = _judge(store, targets, now, horizon, book, states)
    _judge_reprints(store, targets, verdicts, now, book)
    lap("judge")

    statuses = Counter(v.status for v in verdicts.values())
    statuses[STATUS_OK] += len(current)
    stats: dict = {"targets": len(summaries), "judged_in_full": len(targets),
                   "rebuilt_from_items": len(ahead), "statuses": dict(statuses)}
    new_findings: list[Finding] = []
    if record:
        new_findings = _record(store, settings, targets, verdicts, existing, now, horizon, stats)
        lap("findings")
    stats["timings"] = timings
    stats["elapsed_s"] = round(time.perf_counter() - started, 3)
    return DetectionReport(store=store, targets=targets, verdicts=verdicts, as_of=now, stats=stats,
                           new_findings=new_findings, monthly=monthly, book=book, current=current)


def _horizon(now: datetime, book: ThresholdBook) -> datetime:
    """The latest publication time judged as "now" (a clock a few minutes ahead is tolerated)."""
    return now + timedelta(minutes=float(book.base["future_date_tolerance_minutes"]))


def judge_as_of(store: Store, targets: list[Target], as_of: datetime, book: ThresholdBook) -> dict[str, Verdict]:
    """target id → verdict of ``targets`` as ``govwatch zombies --as-of`` judges them: status (未知
    with the collector's problem when its last good crawl is older than ``crawl_max_age_hours`` or
    it is failing, ``scanner.timeline.judge_target``), reason, last update and days without one —
    a website by its homepage (``homepage_columns``, else the 首页 column; a navigation portal
    without one by its newest publication anywhere), never by a fresh item in a minor column;
    publications after ``as_of`` left out. The monthly export's 更新情况 judges targets with this,
    so the two never disagree."""
    as_of = aware(as_of)
    return _judge(store, list(targets), as_of, _horizon(as_of, book), book)[0]


def _states(store: Store, target_ids: list[str]) -> dict[str, list[ColumnState]]:
    states: dict[str, list] = defaultdict(list)
    for st in store.column_states(target_ids=target_ids):
        states[st.target_id].append(st)
    return states


def _judge(store: Store, targets: list[Target], now: datetime, horizon: datetime, book: ThresholdBook,
           known: dict[str, list[ColumnState]] | None = None) -> tuple[dict[str, Verdict], set[str]]:
    """Verdicts of ``targets`` from the column states kept at ingest (``known``: states already
    read) — rebuilt from items for a target whose state runs past "now": future-dated items, or a
    replay."""
    known = known or {}
    states = _states(store, [t.id for t in targets if t.id not in known])
    states.update({t.id: known[t.id] for t in targets if t.id in known})
    ahead = {tid for tid, sts in states.items()
             if any(st.last_published_at is not None and st.last_published_at > horizon for st in sts)}
    for t in targets:
        if t.id in ahead or (t.id not in states and t.last_published_at is not None
                             and aware(t.last_published_at) > horizon):
            states[t.id] = states_from_items(store, t.id, horizon)
            ahead.add(t.id)
    return {t.id: judge_target(t, states.get(t.id, ()), now, book) for t in targets}, ahead


def states_from_items(store: Store, target_id: str, horizon: datetime) -> list[ColumnState]:
    """Column states of one target from its items, leaving out publications after ``horizon``
    (the store aggregates; a month's export of a site still publishing rebuilds every site's states
    this way, so loading each item would cost the export its whole item table)."""
    return store.column_states_before(target_id, horizon)


def newest_item(store: Store, target_id: str, column: str | None, horizon: datetime) -> Item | None:
    """The newest live, dated item of a target (of one column when ``column`` is given)."""
    best = None
    for item in store.iter_items(target_id=target_id):
        pub = aware(item.published_at)
        if item.state != "live" or pub is None or pub > horizon or (column is not None and item.column != column):
            continue
        if best is None or pub > aware(best.published_at):
            best = item
    return best


def _judge_reprints(store: Store, targets: list[Target], verdicts: dict[str, Verdict], now: datetime,
                    book: ThresholdBook) -> None:
    subordinates = [t for t in targets if reprint_sources(t) and not verdicts[t.id].unknown]
    if not subordinates:
        return
    cache: dict[str, list[Item]] = {}

    def recent(target_id: str) -> list[Item]:
        if target_id not in cache:
            oldest = now - timedelta(hours=float(book.base["reprint_lookback_hours"]) + 24)
            cache[target_id] = [i for i in store.iter_items(target_id=target_id)
                                if (aware(i.published_at) or aware(i.first_seen_at) or now) >= oldest]
        return cache[target_id]

    for t in subordinates:
        upstream = [i for uid in {uid for uid, _ in reprint_sources(t)} for i in recent(uid)]
        for hit in judge_reprints(t, upstream, recent(t.id), now, book):
            verdicts[t.id].add(hit, REPRINT_SCOPE)


def _evidence(v: Verdict, scope: str, now: datetime) -> dict:
    sc = v.scopes.get(scope)
    ev = {"scope": scope, "checked_at": now.isoformat()}
    if sc is not None:
        ev.update(last_published_at=sc.last_published_at.isoformat() if sc.last_published_at else None,
                  items=sc.items, days_since=sc.days_since, limit_days=sc.limit_days)
    return ev


def _existing_findings(store: Store, now: datetime) -> dict[str, Finding]:
    """The nightly rules' findings that a run may refresh, reopen or rectify: every open one, and
    the rectified ones still seen lately (a rectified finding that stays true is seen every night;
    older ones are history, and loading them would make each night cost more than the last)."""
    existing: dict[str, Finding] = {}
    for prefix in _RULE_PREFIXES:
        for flt in (FindingFilter(rule_prefix=prefix, status=OPEN_STATUSES),
                    FindingFilter(rule_prefix=prefix, status=("rectified",), seen_since=now - REOPEN_WINDOW)):
            for f in store.list_findings(flt):
                if f.rule in NIGHTLY_RULES:
                    existing[f.id] = f
    return existing


def _record(store: Store, settings, targets: list[Target], verdicts: dict[str, Verdict],
            existing: dict[str, Finding], now: datetime, horizon: datetime, stats: dict) -> list[Finding]:
    deadlines = deadline_days(settings)
    produced: set[str] = set()
    to_write: list[Finding] = []
    unchanged = 0
    for t in targets:
        v = verdicts[t.id]
        for hit, scope in zip(v.hits, v.hit_scopes):
            fid = finding_id(t.id, hit.url or t.url, hit.rule, hit.match)  # = Finding.from_hit(...).id
            produced.add(fid)
            title = t.name if scope in (ACCOUNT_SCOPE, REPRINT_SCOPE) else f"{t.name} · {scope}"
            old = existing.get(fid)
            if (old is not None and old.status in OPEN_STATUSES and old.last_seen_at is not None
                    and timedelta(0) <= now - old.last_seen_at < REFRESH_AFTER
                    and (old.severity, old.category, old.detail, old.match, old.title)
                    == (hit.severity, hit.category, hit.detail, hit.match, title)):
                unchanged += 1
                continue
            f = Finding.from_hit(hit, target_id=t.id, url=t.url, evidence=_evidence(v, scope, now), at=now)
            f.title = title
            to_write.append(with_deadline(f, now, deadlines))
    result = store.upsert_findings(to_write, at=now) if to_write else None
    new_ids = set(result.new) if result else set()
    reopened = 0
    for f in to_write:
        old = existing.get(f.id)
        # marked 已整改 but still there: open again. What people closed (销号) or called a false
        # positive stays as they decided, as on every rescan.
        if f.id not in new_ids and old is not None and old.status == "rectified":
            reopen(store, f.id, "问题再次出现", now)
            reopened += 1
    rectified = _rectify_revived(store, existing, produced, verdicts, now, horizon)
    stats.update(findings_new=len(new_ids), findings_updated=len(to_write) - len(new_ids),
                 findings_unchanged=unchanged, reopened=reopened, rectified=rectified)
    return [f for f in to_write if f.id in new_ids]


def _revived(f: Finding, sc: Scope) -> bool:
    if f.rule in _EMPTY_RULES:
        return sc.items > 0 or sc.last_published_at is not None
    if sc.last_published_at is None:
        return False
    recorded = (f.evidence or {}).get("last_published_at")
    return not recorded or sc.last_published_at > aware(datetime.fromisoformat(recorded))


def _rectify_revived(store: Store, existing: dict[str, Finding], produced: set[str],
                     verdicts: dict[str, Verdict], now: datetime, horizon: datetime) -> int:
    """Open staleness findings whose scope published again become 已整改, the new item as evidence."""
    newest: dict[tuple[str, str | None], Item | None] = {}
    count = 0
    for f in existing.values():
        if f.status not in OPEN_STATUSES or f.id in produced or f.rule not in STALENESS_RULES:
            continue
        v = verdicts.get(f.target_id)
        scope = (f.evidence or {}).get("scope")
        sc = v.scopes.get(scope) if v is not None and scope is not None else None
        if sc is None or not _revived(f, sc):
            continue  # not judged tonight, scope gone, or still not updated: people decide
        column = None if scope in (ACCOUNT_SCOPE, HOMEPAGE_COLUMN) else scope
        key = (f.target_id, column)
        if key not in newest:
            newest[key] = newest_item(store, f.target_id, column, horizon)
        item = newest[key]
        if item is not None:
            evidence = {"url": item.url, "title": item.title, "item_id": item.id,
                        "published_at": aware(item.published_at).isoformat(), "snapshot": item.snapshot,
                        "fetched_at": (aware(item.first_seen_at) or now).isoformat()}
            note = f"已恢复更新：{fmt_local(aware(item.published_at))} 发布《{item.title}》"
        else:
            evidence = {"last_published_at": sc.last_published_at.isoformat() if sc.last_published_at else None,
                        "items": sc.items, "checked_at": now.isoformat()}
            note = "栏目已有信息" if f.rule in _EMPTY_RULES else f"已恢复更新：{fmt_local(sc.last_published_at)}"
        rectify(store, f.id, note, now, evidence)
        count += 1
    return count


def _month_stats(store: Store, targets: list[Target], verdicts: dict[str, Verdict], now: datetime,
                 start: date, end: date) -> dict:
    """Per target, the month's PeriodStats over the days it was observed: a target never collected
    (no good crawl, nothing stored) has none, not a month out of standard; one whose collector
    stopped is counted up to its last good crawl (a failed fetch is never evidence of staleness)."""
    limits = {t.id: verdicts[t.id].limit_days or 14 for t in targets}
    lookback = max(limits.values(), default=14) + 1
    since = datetime.combine(start - timedelta(days=lookback), dtime(0), TZ)
    times = store.publication_times([t.id for t in targets], since, now + timedelta(microseconds=1))
    out = {}
    for t in targets:
        seen = times.get(t.id, ())
        ok = aware(t.last_crawl_ok_at)
        if ok is None:
            if not seen and t.last_published_at is None:
                continue  # never collected: nothing is known about this month
            observed_end = end
        else:
            observed_end = min(end, local_day(ok))
        if observed_end < start:
            continue
        out[t.id] = period_stats(seen, start, observed_end, limits[t.id])
    return out


def _row(t: Target, v: Verdict, ps) -> dict:
    return {
        "id": t.id, "name": t.name, "platform": t.platform, "platform_label": PLATFORM_LABELS.get(t.platform, t.platform),
        "owner": t.owner, "owner_level": t.owner_level, "parent": t.parent, "office": t.office,
        "status": v.status, "last_published_at": v.last_published_at.isoformat() if v.last_published_at else None,
        "last_update": fmt_local(v.last_published_at), "days_since": v.days_since, "limit_days": v.limit_days,
        "reason": v.reason, "problems": "；".join(dict.fromkeys(h.category for h in v.hits)),
        "month_posts": ps.posts if ps else None, "month_longest_gap": ps.longest_gap_days if ps else None,
        "month_days_out": ps.days_out if ps else None,
    }


def roll_up(targets: list[Target], rows: list[dict]) -> list[dict]:
    """Units (主办单位) with their targets' statuses, summed up the parent chain (province → city →
    county → department), listed depth-first with ``depth``. A unit's parent is its targets'
    ``parent``; parents that own no target are listed too; cycles are cut."""
    units: dict[str, dict] = {}
    for t, row in zip(targets, rows):
        name = t.owner or UNKNOWN_UNIT
        u = units.setdefault(name, {"level": "", "parent": "", "rows": []})
        u["level"] = u["level"] or t.owner_level
        if t.parent and t.parent != name:
            u["parent"] = u["parent"] or t.parent
        u["rows"].append(row)
    for name in list(units):
        parent = units[name]["parent"]
        if parent and parent not in units:
            units[parent] = {"level": "", "parent": "", "rows": []}
    for name in units:  # cut cycles where the walk up comes back
        seen, cur = set(), name
        while cur and cur not in seen:
            seen.add(cur)
            nxt = units[cur]["parent"]
            if nxt in seen:
                units[cur]["parent"] = ""
                break
            cur = nxt
    children: dict[str, list[str]] = defaultdict(list)
    roots = []
    for name, u in units.items():
        (children[u["parent"]] if u["parent"] else roots).append(name)

    def order(names):
        return sorted(names, key=lambda n: (LEVEL_RANK.get(units[n]["level"], len(LEVEL_RANK)), n))

    out: list[dict] = []

    def visit(name: str, depth: int) -> dict:
        u = units[name]
        counts = Counter(r["status"] for r in u["rows"])
        entry = {"unit": name, "level": u["level"], "parent": u["parent"], "depth": depth,
                 "own_targets": len(u["rows"]), "targets": len(u["rows"]),
                 **{s: counts.get(s, 0) for s in STATUSES},
                 "month_posts": sum(r["month_posts"] or 0 for r in u["rows"]),
                 "month_days_out": sum(r["month_days_out"] or 0 for r in u["rows"])}
        out.append(entry)
        for child in order(children.get(name, ())):
            sub = visit(child, depth + 1)
            for key in ("targets", *STATUSES, "month_posts", "month_days_out"):
                entry[key] += sub[key]
        entry["problem_targets"] = sum(entry[s] for s in PROBLEM_STATUSES)
        return entry

    for root in order(roots):
        visit(root, 0)
    return out


ZOMBIE_STATUSES = (STATUS_ZOMBIE_CANDIDATE, STATUS_ZOMBIE, STATUS_EMPTY)
