"""From fetched items to stored findings: store the items, scan the new and changed ones inline,
and propose rectification where a re-crawl shows a problem gone. Used by the Scrapy pipeline, by
``govwatch scan`` and by the account collectors, so every path ingests the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from govwatch.models import Finding, Hit, Item, now
from govwatch.store import FindingFilter, Store

DEFAULT_DEADLINE_DAYS = {"veto": 1, "high": 3, "medium": 5, "low": 5, "info": 5}
OPEN_STATUSES = ("open", "confirmed", "rectifying")


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


def with_deadline(f: Finding, at: datetime, deadline_days: dict | None = None) -> Finding:
    days = (deadline_days or DEFAULT_DEADLINE_DAYS).get(f.severity, 5)
    f.deadline = f.deadline or at + timedelta(days=days)
    return f


def record_hits(store: Store, pairs: list[tuple[Item | None, str, Hit]], at: datetime | None = None,
                deadline_days: dict | None = None, evidence: dict | None = None) -> IngestStats:
    """Upsert findings for (item or None, target_id, hit) triples."""
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


def propose_rectified(store: Store, item: Item, still_there: set[str], at: datetime,
                      rule_prefixes: tuple[str, ...] | None = None) -> int:
    """Open findings of ``item`` that the latest scan no longer produced become 已整改, with the new
    snapshot as evidence (DESIGN.md section 3)."""
    count = 0
    for f in store.list_findings(FindingFilter(item_id=item.id, status=OPEN_STATUSES)):
        if f.id in still_there or (rule_prefixes and not f.rule.startswith(rule_prefixes)):
            continue
        note = "信息已删除" if item.state == "deleted" else "复查未再发现该问题"
        store.transition_finding(f.id, "rectified", by="system", note=note, at=at,
                                 evidence={"snapshot": item.snapshot, "fetched_at": at.isoformat(),
                                           "url": item.url})
        count += 1
    return count


def body_links(item: Item) -> list[dict]:
    """Links an item itself carries: in its body, to another host (navigation, footers and the
    site's own pages are the site checks' business, not the item's)."""
    own = urlsplit(item.url).netloc.lower()
    return [link for link in item.links
            if link.get("area", "body") == "body" and not link.get("hidden")
            and urlsplit(link.get("url", "")).netloc.lower() != own]


class Ingestor:
    """Holds the lexicon and settings for a crawl; ``ingest`` is called per batch of items."""

    def __init__(self, store: Store, lexicon=None, deadline_days: dict | None = None, ignore=None,
                 thresholds: dict | None = None):
        self.store = store
        self.thresholds = thresholds  # settings.thresholds for the timeline rules (None: defaults)
        self.lexicon = lexicon
        self.deadline_days = deadline_days
        self.ignore = ignore  # optional callable(finding) -> bool, from people's ignore rules

    def scan_item(self, item: Item) -> list[Hit]:
        from scanner.content import scan_document

        return scan_document(self.lexicon, title=item.title, text=item.text, source=item.source,
                             links=body_links(item), url=item.url, thresholds=self.thresholds)

    def ingest(self, items: list[Item], at: datetime | None = None) -> IngestStats:
        at = at or now()
        stats = IngestStats()
        if not items:
            return stats
        before = self._timeline_before(items)
        result = self.store.upsert_items(items, at=at)
        stats.items_new, stats.items_changed, stats.items_unchanged = (
            len(result.new), len(result.changed), result.unchanged)
        if result.new:
            new_ids = set(result.new)
            stats.add(self._judge_timeline([i for i in {i.id: i for i in items}.values() if i.id in new_ids],
                                           before, at))
        fresh = set(result.new) | set(result.changed)
        if self.lexicon is not None and fresh:
            stats.add(self.scan_items([i for i in {i.id: i for i in items}.values() if i.id in fresh],
                                      at, rescanned=set(result.changed)))
        return stats

    # timeline rules at ingest (scanner.timeline.judge_new_items): backdated and future dates ----
    def _timeline_before(self, items: list[Item]) -> dict:
        """Per target, what the store knew before this batch: the target (its last good crawl)
        and each column's newest publication."""
        before = {}
        for target_id in {i.target_id for i in items}:
            target = self.store.get_target(target_id)
            if target is not None:
                before[target_id] = (target, {c.column: c.last_published_at
                                              for c in self.store.column_states(target_id)})
        return before

    def _judge_timeline(self, new_items: list[Item], before: dict, at: datetime) -> IngestStats:
        from scanner.timeline import judge_new_items

        pairs = []
        for target_id, (target, column_latest) in before.items():
            mine = [i for i in new_items if i.target_id == target_id]
            pairs += [(item, target_id, hit) for item, hit in judge_new_items(
                target, mine, at, crawled_since=target.last_crawl_ok_at, column_latest=column_latest,
                thresholds=self.thresholds)]
        if self.ignore:
            pairs = [p for p in pairs if not self.ignore(p[0], p[2])]
        return record_hits(self.store, pairs, at=at, deadline_days=self.deadline_days)

    def scan_items(self, items: list[Item], at: datetime | None = None,
                   rescanned: set[str] | None = None) -> IngestStats:
        """Scan stored items and record their findings. For items in ``rescanned`` (changed pages,
        or a rescan after a lexicon update) open content findings that no longer appear are
        proposed as rectified."""
        at = at or now()
        stats = IngestStats()
        for item in items:
            hits = [] if item.state != "live" else self.scan_item(item)
            pairs = [(item, item.target_id, h) for h in hits]
            if self.ignore:
                pairs = [p for p in pairs if not self.ignore(p[0], p[2])]
            stats.add(record_hits(self.store, pairs, at=at, deadline_days=self.deadline_days))
            if rescanned and item.id in rescanned:
                still = {Finding.from_hit(h, target_id=item.target_id, item=item).id for _, _, h in pairs}
                stats.rectified += propose_rectified(self.store, item, still, at,
                                                     rule_prefixes=CONTENT_RULE_PREFIXES)
        stats.scanned = len(items)
        self.store.mark_scanned([i.id for i in items], self.lexicon.version)
        return stats


# Rules whose findings are judged from an item's own text (a rescan can clear them).
CONTENT_RULE_PREFIXES = (
    "banned.", "expression.", "secret.", "privacy.", "ads.", "title.", "tone.", "offtopic.",
    "source.", "link.", "map.",
)
