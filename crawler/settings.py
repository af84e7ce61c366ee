"""Scrapy settings for govwatch crawls, built from govwatch settings (``scrapy_settings``).

Politeness first: government sites are small servers, often behind a WAF that bans aggressive
clients. AutoThrottle, a per-domain concurrency cap, robots.txt obeyed by default.
"""
from __future__ import annotations

from scrapy.settings import default_settings

BOT_NAME = "govwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# Scrapy 2.13 renamed DNS_RESOLVER (the old name still works there, with a deprecation warning)
_RESOLVER_SETTING = "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"


def scrapy_settings(crawl: dict, db: str, var_dir: str, log_level: str = "WARNING",
                    trusted: tuple[str, ...] | list[str] = (), trusted_by_target: dict | None = None,
                    trusted_common=()) -> dict:
    """Scrapy settings from the ``[crawl]`` section of govwatch settings. ``trusted``: the internal
    addresses the crawled registry entries are on (``AddressPolicy.for_targets``)."""
    return {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "USER_AGENT": crawl["user_agent"],
        "ROBOTSTXT_OBEY": bool(crawl["obey_robots"]),
        "CONCURRENT_REQUESTS": int(crawl["concurrency"]),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(crawl["per_domain"]),
        "DOWNLOAD_TIMEOUT": int(crawl["timeout"]),
        "DOWNLOAD_MAXSIZE": int(crawl["max_page_bytes"]),
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_FAIL_ON_DATALOSS": False,  # a truncated page is still read (and scanned)
        "RETRY_ENABLED": True,
        "RETRY_TIMES": int(crawl.get("retries", 1)),
        "REDIRECT_MAX_TIMES": 5,
        "AUTOTHROTTLE_ENABLED": bool(crawl.get("autothrottle", True)),
        "AUTOTHROTTLE_START_DELAY": float(crawl.get("autothrottle_start_delay", 0.5)),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.get("autothrottle_target", 2.0)),
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "HTTPERROR_ALLOW_ALL": True,  # 4xx/5xx are evidence, recorded by the spider
        "ITEM_PIPELINES": {"crawler.pipelines.StorePipeline": 300},
        # only http(s): Scrapy's file, s3, ftp and data handlers are off (a page linking
        # file:///proc/self/environ must never be read); addresses are checked by crawler.netguard
        "DOWNLOAD_HANDLERS": {"file": None, "s3": None, "ftp": None, "data": None},
        # next to the downloader: requests are checked last, responses first (before redirects are followed)
        "DOWNLOADER_MIDDLEWARES": {"crawler.netguard.GuardMiddleware": 950},
        _RESOLVER_SETTING: "crawler.netguard.GuardedResolver",
        "GOVWATCH_TRUSTED_ADDRESSES": list(trusted),
        "GOVWATCH_TRUSTED_BY_TARGET": {k: sorted(v) for k, v in (trusted_by_target or {}).items()},
        "GOVWATCH_TRUSTED_COMMON": sorted(trusted_common or ()),
        "EXTENSIONS": {"crawler.pipelines.Progress": 500},
        "LOG_FORMATTER": "crawler.pipelines.QuietLogFormatter",  # items never dumped into logs
        "GOVWATCH_DB": db,
        "GOVWATCH_VAR_DIR": var_dir,
        "GOVWATCH_CRAWL": crawl,
    }
