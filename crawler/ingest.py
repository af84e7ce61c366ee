"""From fetched items to stored findings: store the items, scan the new and changed ones inline,
and hand the hits to the finding lifecycle (``govwatch.lifecycle``), which records them and
rectifies what a re-crawl no longer shows; the crawler never decides a status itself. Used by the
Scrapy pipeline, by ``govwatch scan`` and by the account collectors, so every path ingests the same way."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from govwatch.lifecycle import (  # noqa: F401  (re-exported: the crawler hands hits to the lifecycle)
    DEFAULT_DEADLINE_DAYS, OPEN_STATUSES, IngestStats, propose_rectified, record_hits, with_deadline,
)
from govwatch.models import Finding, Hit, Item, now
from govwatch.rules import CONTENT_RULE_PREFIXES
from govwatch.store import Store

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
        from crawler import bounds
        from scanner.content import scan_document

        return scan_document(self.lexicon, title=item.title, text=item.text, source=item.source,
                             links=body_links(item), url=item.url, thresholds=self.thresholds,
                             images=item.images or (), max_chars=bounds.limits().max_scan_chars)

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
