"""Scrapy pipeline: crawled pages → items in the store, scanned inline; site reports → site findings.

Items are written in batches (one transaction each). When the spider closes, every target's
SiteReport is judged by ``scanner.site`` and the target's collector health is updated.

A crawl ends *completed* (Scrapy's close reason ``finished``) or *interrupted* (SIGINT, SIGTERM,
a timeout, an error). Only a completed crawl judges from absence: site checks, rectification of
page findings no longer seen, dead links, collector health. An interrupted crawl keeps what it
fetched (items and their content findings, list-page dates, which never move back) and judges
nothing else; the next crawl completes it. Within a completed crawl a site whose pages raised an
error in the spider or the pipeline is treated like an interrupted one (``spider.incomplete``).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from scrapy import signals
from scrapy.logformatter import LogFormatter

from crawler.ingest import Ingestor
from govwatch.lifecycle import OPEN_STATUSES, IngestStats, deadline_days, rectify, record_hits
from govwatch.models import Finding, Item, SiteReport, Target, now
from govwatch.store import FindingFilter, StoreError
from scanner.timeline import ThresholdBook

log = logging.getLogger(__name__)
BATCH = 50
PAGE_RULES = ("site.footer_missing", "site.dark_link", "site.dead_link", "site.link_hijacked",
              "site.domain", "site.slow", "site.meta_missing", "site.defaced", "site.interaction_unanswered")


def item_from_page(data: dict, snapshot: str) -> Item | None:
    page = data["page"]
    published_at, source = page.published_at, page.published_at_source
    precision = page.published_at_precision
    if published_at is None and data.get("list_date"):
        published_at, source, precision = data["list_date"], "list", "day"
    # the item is the page crawled: a canonical link (often to another host) is recorded, never identity
    canonical = page.canonical_url if page.canonical_url and page.canonical_url != data["url"] else ""
    return Item(
        target_id=data["target_id"], platform=data["platform"], url=data["url"],
        column=data.get("column", ""), title=page.title, published_at=published_at,
        published_at_source=source, published_at_precision=precision if published_at else "",
        source=page.source, author=page.author, text=page.text,
        links=[{k: link.get(k) for k in ("url", "text", "hidden", "area")} for link in page.links],
        attachments=page.attachments, images=page.images,
        meta={"validator": data.get("validator", ""), "encoding": page.encoding,
              **({"canonical": canonical} if canonical else {}),
              **{k: v for k, v in page.meta.items() if k in ("articletitle", "pubdate", "contentsource",
                                                               "columnname", "siteidcode", "sitename")},
              **({"list_newer_below": data["newer_below"].isoformat()} if data.get("newer_below") else {}),
              **({"written_at": page.written_at.isoformat()} if page.written_at else {})},
        state="deleted" if page.state == "deleted" else "live", snapshot=snapshot,
        parent_url=data.get("parent_url", ""))


def item_from_attachment(data: dict, snapshot: str) -> Item:
    """An attachment is scanned like a page; it inherits its page's publication time. What the
    reader left unread (PDF pages over a limit, OCR off) is kept in ``meta["unread"]``, and goes
    into the evidence of its findings."""
    meta = {"validator": data.get("validator", ""), "attachment": data["ext"]}
    if data.get("notes"):
        meta["unread"] = list(data["notes"])
    return Item(
        target_id=data["target_id"], platform=data["platform"], url=data["url"], column=data.get("column", ""),
        title=data["title"], published_at=data.get("published_at"),
        published_at_source="parent" if data.get("published_at") else "none", text=data["text"],
        meta=meta, snapshot=snapshot, parent_url=data.get("parent_url", ""))


class StorePipeline:
    def __init__(self, crawler):
        from govwatch.store import open_store
        from govwatch.settings import load_settings

        self.crawler = crawler
        s = crawler.settings
        settings = load_settings()
        settings.data["db"] = s.get("GOVWATCH_DB") or settings.db
        self.store = open_store(settings=settings)
        self.deadline_days = deadline_days(settings)
        self.thresholds = settings.thresholds
        self.threshold_book = ThresholdBook(self.thresholds)
        self.lexicon = self.on_findings = self.ingestor = self.ignore = None
        self.pending: list[Item] = []
        self.stats = IngestStats()
        self.homepage_snapshots: dict[str, str] = {}
        self.store_failed = ""  # set when the store cannot write (full disk, corrupted database)
        from crawler import ocr

        self.ocr_cfg = {**settings.data["ocr"], "available": ocr.available()}
        self.ocr_spent: dict[str, list] = {}  # target -> [images read, seconds spent] this crawl
        self.ocr_stats = {"read": 0, "cached": 0, "deferred": 0}
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        # Live objects (lexicon, callbacks) travel on the spider: Scrapy deep-copies its settings.
        hooks = getattr(spider or self.crawler.spider, "hooks", {}) or {}
        self.lexicon = hooks.get("lexicon")
        self.on_findings = hooks.get("on_findings")
        self.ignore = hooks.get("ignore")
        self.ingestor = Ingestor(self.store, self.lexicon, self.deadline_days, ignore=self.ignore,
                                 thresholds=self.thresholds)

    def process_item(self, data, spider=None):
        if self.store_failed:
            return None  # the store cannot write: the crawl is stopping, nothing more is kept
        try:
            return self._process(data, spider)
        except StoreError as exc:
            self._stop_on_store_error(exc, spider)
            return None

    def _stop_on_store_error(self, exc: Exception, spider=None) -> None:
        """The disk is full or the database broken: stop the crawl as interrupted (nothing judged)."""
        spider = spider or self.crawler.spider
        self.store_failed = str(exc)
        self.pending = []  # not written; the next crawl fetches these pages again
        log.error("store failed, crawl stopped: %s", exc)
        if spider is not None and not getattr(spider, "interrupted", ""):
            spider.interrupted = str(exc)
        engine = getattr(self.crawler, "engine", None)
        if engine is None or spider is None:
            return
        if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="store_error"))
        else:
            engine.close_spider(spider, "store_error")

    def _process(self, data, spider=None):
        if data.get("kind") == "document":
            return self._read_document(data, spider or self.crawler.spider)
        if "_snapshot_for" in data:
            self.homepage_snapshots[data["_snapshot_for"]] = self.store.put_snapshot(data["body"])
            return None
        if data.get("kind") == "attachment":
            if data.get("notes") and not data["text"].strip():
                (spider or self.crawler.spider).reports[data["target_id"]].errors.append(
                    {"url": data["url"], "kind": "attachment", "status": None, "error": "；".join(data["notes"])})
            snapshot = self.store.put_snapshot(data["body"])
            self.pending.append(item_from_attachment(data, snapshot))
            if len(self.pending) >= BATCH:
                self.flush()
            return None
        page = data["page"]
        if page.state == "blocked":
            spider = spider or self.crawler.spider
            spider.reports[data["target_id"]].errors.append(
                {"url": data["url"], "kind": "blocked", "status": None, "error": "页面要求验证（环境异常/验证码）"})
            return None
        snapshot = self.store.put_snapshot(data["body"])
        self.pending.append(item_from_page(data, snapshot))
        if len(self.pending) >= BATCH:
            self.flush()
        return None

    # ---------------------------------------------------------------- documents (OCR, old Word)
    def _read_document(self, data, spider):
        """Images, scanned PDFs and .doc/.wps files are read in a worker thread (OCR takes seconds;
        the reactor keeps crawling). The store is touched only here, on the reactor thread: the OCR
        result is cached by the SHA-256 of the bytes, so one image on a thousand pages is read once."""
        import hashlib

        from twisted.internet.threads import deferToThread

        from crawler.documents import DocumentText, is_image, read_document

        target_id, ext = data["target_id"], data["ext"].lower()
        key = hashlib.sha256(data["body"]).hexdigest()
        cached = self.store.get_ocr(key)
        if cached is not None:
            self.ocr_stats["cached"] += 1
            self._add_document(data, DocumentText(**{**cached, "cached": True}))
            return None
        cfg = dict(self.ocr_cfg)
        uses_ocr = is_image(ext) or ext == "pdf"
        if uses_ocr and self._ocr_budget_spent(target_id):
            # left for the next round: the spider asks the store for these first
            self.store.add_ocr_backlog(target_id, [{
                "url": data["url"], "ext": ext, "title": data["title"], "column": data.get("column", ""),
                "parent_url": data.get("parent_url", ""),
                "published_at": data["published_at"].isoformat() if data.get("published_at") else None}])
            self.ocr_stats["deferred"] += 1
            if not is_image(ext):  # a PDF's text layer is still read now
                cfg["enabled"] = False
            else:
                return None
        started = time.monotonic()

        def done(doc):
            if self.store_failed:
                return
            try:
                record(doc)
            except StoreError as exc:
                self._stop_on_store_error(exc, spider)

        def record(doc):
            spent = self.ocr_spent.setdefault(target_id, [0, 0.0])
            if uses_ocr and cfg["enabled"]:
                spent[0] += 1
                spent[1] += time.monotonic() - started
                self.ocr_stats["read"] += 1
                self.store.put_ocr(key, {"text": doc.text, "source": doc.source, "lines": doc.lines,
                                         "notes": doc.notes})
            self._add_document(data, doc)

        def failed(failure):
            spider.reports[target_id].errors.append({"url": data["url"], "kind": "attachment", "status": None,
                                                     "error": str(failure.value)[:200]})

        d = deferToThread(read_document, data["body"], ext, cfg)
        d.addCallbacks(done, failed)
        return d

    def _ocr_budget_spent(self, target_id: str) -> bool:
        images, seconds = self.ocr_spent.get(target_id, [0, 0.0])
        return images >= self.ocr_cfg["max_images_per_crawl"] or seconds >= self.ocr_cfg["max_seconds_per_crawl"]

    def _add_document(self, data, doc) -> None:
        if not doc.text.strip():
            if doc.notes and not data.get("image"):
                self.crawler.spider.reports[data["target_id"]].errors.append(
                    {"url": data["url"], "kind": "attachment", "status": None, "error": "；".join(doc.notes)})
            return
        snapshot = self.store.put_snapshot(data["body"])
        item = item_from_attachment({**data, "text": doc.text, "notes": doc.notes}, snapshot)
        item.meta["text_source"] = doc.source
        if doc.lines:
            item.meta["ocr_lines"] = doc.lines
        if data.get("image"):
            item.meta["image_in_page"] = True
        self.pending.append(item)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        part = self.ingestor.ingest(batch, at=now())
        self.stats.add(part)
        self._announce(part.new_findings)

    def _announce(self, findings: list[Finding]) -> None:
        if findings and self.on_findings:
            try:
                self.on_findings(self.store, findings)
            except Exception:  # an alerting failure must never lose crawled data
                log.exception("on_findings callback failed")

    # ---------------------------------------------------------------- errors mark a site incomplete
    def _incomplete(self, spider, target_id, why: str) -> None:
        if target_id and hasattr(spider, "incomplete"):
            spider.incomplete.setdefault(target_id, why)

    def spider_error(self, failure, response, spider):
        self._incomplete(spider, (response.meta or {}).get("target_id"),
                         f"页面处理出错：{type(failure.value).__name__}")

    def item_error(self, item, response, spider, failure):
        target_id = (item.get("target_id") or item.get("_snapshot_for")) if isinstance(item, dict) else None
        self._incomplete(spider, target_id, f"保存出错：{type(failure.value).__name__}")

    def spider_closed(self, spider, reason):
        interrupted = reason != "finished" or bool(getattr(spider, "interrupted", ""))
        spider.outcome = "interrupted" if interrupted else "completed"
        spider.close_reason = reason
        if self.store_failed:
            spider.outcome, spider.close_reason = "interrupted", self.store_failed
            spider.crawl_stats = self.stats
            return  # the store cannot write: nothing more is tried
        try:
            self.flush()
        except Exception as exc:
            # items of this batch are lost: nothing may be judged from their absence
            log.error("storing the last items failed: %s", exc)
            spider.outcome, spider.close_reason = "interrupted", str(exc) if isinstance(exc, StoreError) \
                else f"{type(exc).__name__}: {exc}"
            spider.interrupted = spider.interrupted or spider.close_reason
            spider.crawl_stats = self.stats
            return
        at = now()
        for (target_id, column), (latest, entries) in spider.listings.items():
            self.store.record_column_listing(target_id, column, latest, entries)
        done = []
        for target_id, report in spider.reports.items():
            report.homepage_snapshot = self.homepage_snapshots.get(target_id, "")
            if interrupted or target_id in getattr(spider, "incomplete", {}):
                continue  # nothing judged from absence: the next crawl completes this site
            self.finish_site(spider.targets[target_id], report, at)
            done.append(target_id)
        spider.sites_judged = done
        spider.crawl_stats = self.stats

    def finish_site(self, target: Target, report: SiteReport, at: datetime) -> None:
        from scanner.site import change_ratio, check_site, link_failures, text_sketch

        # a link check still pending has no answer: it is never judged dead
        report.link_status = {u: st for u, st in report.link_status.items() if not st.get("pending")}
        scan = page_terms = None
        if self.lexicon is not None:
            from scanner.content import scan_document
            from scanner.site import gambling_page_terms
            page_terms = lambda text: gambling_page_terms(self.lexicon, text)  # noqa: E731
            scan = lambda text: scan_document(self.lexicon, text=text, thresholds=self.thresholds)  # noqa: E731
        sketch = text_sketch(report.homepage_text) if report.homepage_ok else target.homepage_sketch
        change = change_ratio(target.homepage_sketch, sketch) if report.homepage_ok and target.homepage_sketch else None
        hits = check_site(report, target, thresholds=self.threshold_book.for_target(target), scan=scan,
                          homepage_change=change, change_history=target.homepage_changes, page_terms=page_terms,
                          registry_hosts=self._registry_hosts())
        defaced = any(h.rule == "site.defaced" for h in hits)
        if defaced:
            # a defaced homepage is no baseline: the next crawl is compared with the page as it was
            sketch, change = target.homepage_sketch, None
        if self.ignore:
            hits = [h for h in hits if not self.ignore(None, h, target_id=target.id)]
        evidence = {"snapshot": report.homepage_snapshot, "fetched_at": at.isoformat()} \
            if report.homepage_snapshot else None
        part = record_hits(self.store, [(None, target.id, h) for h in hits], at=at,
                           deadline_days=self.deadline_days, evidence=evidence)
        self.stats.add(part)
        self._announce(part.new_findings)
        if report.homepage_ok and not defaced:
            # a defaced homepage says nothing of the site's own page problems: none is closed on it
            produced = {f.id for f in (Finding.from_hit(h, target_id=target.id) for h in hits)}
            self._rectify_gone(target.id, produced, report, at)
        failures = link_failures(report, target.link_failures, at)
        failed = not report.homepage_ok
        kind = report.errors[0]["kind"] if failed and report.errors else ("http" if failed else "")
        self.store.update_target_state(
            target.id, last_crawl_at=at,
            last_crawl_ok_at=at if not failed else target.last_crawl_ok_at,
            last_crawl_error=report.homepage_error if failed else "",
            error_kind=kind, consecutive_failures=(target.consecutive_failures + 1) if failed else 0,
            crawl_errors=[{k: e.get(k) for k in ("url", "kind", "status", "error")} for e in report.errors[:50]],
            homepage_sketch=sketch, link_failures=failures,
            homepage_changes=(target.homepage_changes + [round(change, 3)])[-int(self.thresholds["defaced_history_crawls"]):]
            if change is not None
            else target.homepage_changes)

    def _registry_hosts(self) -> set[str]:
        """Hosts of every registered target and column: links to them are never dark links."""
        if getattr(self, "_hosts", None) is None:
            from urllib.parse import urlsplit
            hosts = set()
            for t in self.store.list_targets():
                for u in [t.url, *(c.url for c in t.columns)]:
                    host = (urlsplit(u or "").hostname or "").lower()
                    if host:
                        hosts.add(host)
            self._hosts = hosts
        return self._hosts

    def _rectify_gone(self, target_id: str, produced: set[str], report: SiteReport, at: datetime) -> None:
        """Page-based site findings that this crawl no longer sees are proposed as rectified."""
        open_findings = self.store.list_findings(FindingFilter(
            target_id=target_id, status=OPEN_STATUSES, rule_prefix="site."))
        for f in open_findings:
            if f.rule in PAGE_RULES and f.id not in produced and _seen_fixed(f, report):
                rectify(self.store, f.id, "重新采集未再发现该问题", at,
                        evidence={"snapshot": report.homepage_snapshot, "fetched_at": at.isoformat(),
                                  "url": report.homepage_url})
                self.stats.rectified += 1


def _seen_fixed(f: Finding, report: SiteReport) -> bool:
    """Whether this crawl saw a site finding's problem gone rather than merely not looked at.

    A dead link counts as fixed only when its link was checked in this crawl and opened, or when it
    was on the homepage and the homepage no longer carries it; a link the crawl did not check (the
    per-page link budget, an article not fetched again) stays open for the recheck to judge.
    """
    if f.rule != "site.dead_link":
        return True
    st = report.link_status.get(f.match)
    if st is not None:
        return not st.get("pending") and not st.get("error") and st.get("status") is not None \
            and st["status"] < 400
    if f.url and f.url == report.homepage_url:
        return f.match not in {link.get("url") for link in report.links}
    return False


class QuietLogFormatter(LogFormatter):
    """Scrapy's log formatter without the items: a failed or dropped item is logged by URL only,
    never with its body and text (which would dump whole pages into the log, or to stderr when the
    log file itself cannot be written)."""

    @staticmethod
    def _brief(item) -> str:
        if isinstance(item, dict):
            return str(item.get("url") or item.get("_snapshot_for") or "?")[:200]
        return type(item).__name__

    def scraped(self, item, response, spider):
        out = super().scraped(item, response, spider)
        out["args"] = {**out["args"], "item": self._brief(item)}
        return out

    def dropped(self, item, exception, response, spider):
        out = super().dropped(item, exception, response, spider)
        out["args"] = {**out["args"], "item": self._brief(item)}
        return out

    def item_error(self, item, exception, response, spider):
        out = super().item_error(item, exception, response, spider)
        out["args"] = {**out["args"], "item": self._brief(item)}
        return out


class Progress:
    """Progress of a website crawl (a Scrapy extension): on a terminal a live line with sites done,
    the site being fetched and pages so far; otherwise one line per finished site (logs).

    A site is finished when none of its requests is waiting or in flight for a moment (its pages'
    callbacks may still schedule more): this is display only, never a judgement."""

    SETTLE_SECONDS = 1.0

    def __init__(self, crawler):
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("GOVWATCH_PROGRESS", False)
        if not self.enabled:
            return
        from collections import Counter

        from govwatch.progress import Progress as Display

        total = crawler.settings.getint("GOVWATCH_PROGRESS_TOTAL", 0) or None
        self.display = Display(total, "采集网站", unit="个")
        self.outstanding: Counter = Counter()  # requests waiting or in flight, per target
        self.finished: set[str] = set()
        self.pages = 0
        self.over = False
        for signal, handler in ((signals.request_scheduled, self.scheduled), (signals.request_dropped, self.left),
                                (signals.request_left_downloader, self.left),
                                (signals.response_received, self.response), (signals.spider_closed, self.closed)):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _name(self, spider, target_id: str) -> str:
        target = getattr(spider, "targets", {}).get(target_id)
        return target.name if target else target_id

    def scheduled(self, request, spider):
        target_id = request.meta.get("target_id")
        if target_id:
            self.outstanding[target_id] += 1

    def left(self, request, spider):
        from twisted.internet import reactor

        target_id = request.meta.get("target_id")
        if not target_id:
            return
        self.outstanding[target_id] -= 1
        if self.outstanding[target_id] <= 0:
            reactor.callLater(self.SETTLE_SECONDS, self._settle, target_id, spider)

    def _settle(self, target_id: str, spider) -> None:
        if not self.over and self.outstanding[target_id] <= 0 and target_id not in self.finished:
            self.finished.add(target_id)
            self.display.step(f"{self._name(spider, target_id)}（本次累计请求 {self.pages} 个页面）")

    def response(self, response, request, spider):
        self.pages += 1
        if self.display.bar is not None and self.pages % 20 == 0:
            target_id = request.meta.get("target_id", "")
            self.display.bar.set_postfix_str(f"当前：{self._name(spider, target_id)}，已请求 {self.pages} 个页面")

    def closed(self, spider, reason):
        if reason == "finished":  # sites whose last requests ended just now
            for target_id in getattr(spider, "targets", {}):
                if target_id not in self.finished:
                    self.finished.add(target_id)
                    self.display.step(f"{self._name(spider, target_id)}（本次累计请求 {self.pages} 个页面）")
        self.over = True  # late settle timers print nothing
        self.display.close()
