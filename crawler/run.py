"""Run a crawl in this process with Scrapy's CrawlerProcess.

Twisted's reactor cannot be restarted, so one process runs one crawl: ``govwatch crawl`` calls
``run_crawl`` once, and the scheduler starts ``govwatch crawl`` as a subprocess.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from crawler.netguard import AddressPolicy
from crawler.settings import scrapy_settings
from govwatch.models import SiteReport, Target

WEBSITE_PLATFORMS = ("website",)


@dataclass
class CrawlResult:
    targets: int = 0
    pages: int = 0
    stats: dict = field(default_factory=dict)
    reports: dict[str, SiteReport] = field(default_factory=dict)
    scrapy: dict = field(default_factory=dict)


def run_crawl(settings, store, targets: list[Target], *, lexicon=None, on_findings=None, ignore=None,
              revalidate: bool = False, progress: bool = False, log_level: str = "ERROR") -> CrawlResult:
    """Crawl the given website targets into the store (which this process must not use meanwhile)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.site import SiteSpider

    sites = [t for t in targets if t.platform in WEBSITE_PLATFORMS and t.url]
    result = CrawlResult(targets=len(sites))
    if not sites:
        return result
    signatures = {t.id: store.item_signatures(t.id) for t in sites}
    policy = AddressPolicy.for_targets(sites, extra=settings.crawl.get("trusted_hosts") or ())
    opts = scrapy_settings(settings.crawl, settings.db, str(settings.var_path), log_level=log_level,
                           trusted=sorted(policy.trusted))
    opts["GOVWATCH_PROGRESS"] = progress
    # Scrapy's own (English) log goes to a file; the console is for the Chinese progress and summary
    log_dir = settings.var_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    opts["LOG_FILE"] = str(log_dir / "crawl.log")
    process = CrawlerProcess(opts)
    crawler = process.create_crawler(SiteSpider)
    hooks = {"lexicon": lexicon, "on_findings": on_findings, "ignore": ignore}
    process.crawl(crawler, targets=sites, signatures=signatures, revalidate=revalidate, hooks=hooks)
    process.start()
    spider = crawler.spider
    result.pages = spider.pages_fetched
    result.reports = spider.reports
    result.stats = spider.crawl_stats.as_dict()
    result.scrapy = {k: v for k, v in (crawler.stats.get_stats() or {}).items()
                     if isinstance(v, (int, float, str))}
    return result
