"""Run a crawl in this process with Scrapy's CrawlerProcess.

Twisted's reactor cannot be restarted, so one process runs one crawl: ``govwatch crawl`` calls
``run_crawl`` once, and the scheduler starts ``govwatch crawl`` as a subprocess.

Every crawl is recorded as a run (job ``crawl.websites``) ending ``completed`` or ``interrupted``
(SIGINT/SIGTERM, which Scrapy turns into a graceful stop; any other close reason; an error). See
crawler/pipelines.py for what an interrupted crawl does and does not judge.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from crawler.netguard import AddressPolicy
from crawler.settings import scrapy_settings
from govwatch.redact import install_logging_filter
from govwatch.models import SiteReport, Target

WEBSITE_PLATFORMS = ("website",)


RUN_JOB = "crawl.websites"


@dataclass
class CrawlResult:
    targets: int = 0
    pages: int = 0
    stats: dict = field(default_factory=dict)
    reports: dict[str, SiteReport] = field(default_factory=dict)
    scrapy: dict = field(default_factory=dict)
    outcome: str = "completed"  # or "interrupted"
    reason: str = ""  # why it was interrupted: SIGINT, SIGTERM, Scrapy's close reason, an error
    sites_judged: list[str] = field(default_factory=list)
    run_id: str = ""

    @property
    def interrupted(self) -> bool:
        return self.outcome == "interrupted"

    def run_stats(self) -> dict:
        s = self.stats or {}
        return {"status": self.outcome, "reason": self.reason, "targets": self.targets, "pages": self.pages,
                "sites_judged": len(self.sites_judged),
                **{k: s.get(k, 0) for k in ("items_new", "items_changed", "items_unchanged", "scanned",
                                            "findings_new", "rectified")}}


def _process_class():
    """CrawlerProcess that remembers which signal stopped it and tells the spider at once."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.ossignal import signal_names

    class Process(CrawlerProcess):
        signal_received = ""

        def _note(self, signum) -> None:
            name = signal_names.get(signum, str(signum))
            self.signal_received = self.signal_received or name
            for crawler in list(self.crawlers):
                spider = getattr(crawler, "spider", None)
                if spider is not None and not getattr(spider, "interrupted", ""):
                    spider.interrupted = name

        def _signal_shutdown(self, signum, frame):
            self._note(signum)
            return super()._signal_shutdown(signum, frame)

        def _signal_kill(self, signum, frame):
            self._note(signum)
            return super()._signal_kill(signum, frame)

    return Process


def run_crawl(settings, store, targets: list[Target], *, lexicon=None, on_findings=None, ignore=None,
              revalidate: bool = False, progress: bool = False, log_level: str = "ERROR") -> CrawlResult:
    """Crawl the given website targets into the store (which this process must not use meanwhile).
    The crawl is recorded as a run; ``result.outcome`` says whether it completed."""
    from crawler.spiders.site import SiteSpider

    from crawler import bounds

    bounds.configure(settings.data.get("parse"))
    sites = [t for t in targets if t.platform in WEBSITE_PLATFORMS and t.url]
    result = CrawlResult(targets=len(sites))
    if not sites:
        return result
    run = store.start_run(RUN_JOB)
    result.run_id = run.id
    signatures = {t.id: store.item_signatures(t.id) for t in sites}
    policy = AddressPolicy.for_targets(sites, extra=settings.crawl.get("trusted_hosts") or ())
    opts = scrapy_settings(settings.crawl, settings.db, str(settings.var_path), log_level=log_level,
                           trusted=sorted(policy.trusted), trusted_by_target=policy.by_target,
                           trusted_common=policy.common)
    opts["GOVWATCH_PROGRESS"] = progress
    opts["GOVWATCH_PROGRESS_TOTAL"] = len(sites)
    # Scrapy's own (English) log goes to a file; the console is for the Chinese progress and summary
    log_dir = settings.var_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    opts["LOG_FILE"] = str(log_dir / "crawl.log")
    process = _process_class()(opts)
    install_logging_filter()  # Scrapy's log file: no credentials in it either
    crawler = process.create_crawler(SiteSpider)
    from crawler import ocr

    ocr_cfg = {**settings.data["ocr"], "available": ocr.available()}
    backlog = {}
    if ocr_cfg["enabled"] and ocr_cfg["available"]:
        backlog = {t.id: store.take_ocr_backlog(t.id, ocr_cfg["max_images_per_crawl"]) for t in sites}
    elif ocr_cfg["enabled"] and progress:
        print(ocr.UNAVAILABLE_NOTICE, file=sys.stderr)
    hooks = {"lexicon": lexicon, "on_findings": on_findings, "ignore": ignore, "ocr": ocr_cfg}
    error = ""
    try:
        process.crawl(crawler, targets=sites, signatures=signatures, revalidate=revalidate, hooks=hooks,
                      ocr_backlog=backlog)
        process.start()
    except Exception as exc:  # recorded as an interrupted run, then raised
        error = f"{type(exc).__name__}: {exc}"
        store.finish_run(run, ok=False, stats={**result.run_stats(), "status": "interrupted", "reason": error},
                         error=error)
        raise
    spider = crawler.spider
    outcome = getattr(spider, "outcome", "") if spider is not None else ""
    result.pages = getattr(spider, "pages_fetched", 0)
    result.reports = getattr(spider, "reports", {}) or {}
    result.stats = spider.crawl_stats.as_dict() if getattr(spider, "crawl_stats", None) else {}
    result.sites_judged = list(getattr(spider, "sites_judged", []) or [])
    result.scrapy = {k: v for k, v in (crawler.stats.get_stats() or {}).items()
                     if isinstance(v, (int, float, str))}
    if outcome != "completed" or process.signal_received:
        result.outcome = "interrupted"
        result.reason = (process.signal_received or getattr(spider, "interrupted", "")
                         or getattr(spider, "close_reason", "") or "采集未正常结束")
    store.finish_run(run, ok=not result.interrupted, stats=result.run_stats(),
                     error=f"采集被中断：{result.reason}" if result.interrupted else "")
    return result
