"""What the pipeline judges when a crawl closes: everything after a completed crawl; nothing from
absence after an interruption or for a site whose pages raised; pending link checks never dead."""
import pytest
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.pipelines import StorePipeline
from crawler.spiders.site import SiteSpider
from govwatch.models import Finding, Hit, SiteReport, Target, now

URL = "http://www.gov.example/"


@pytest.fixture
def parts(tmp_path):
    from govwatch.store.sqlite import SqliteStore

    db = f"sqlite:///{tmp_path / 'govwatch.db'}"
    target = Target(id="t", name="某县人民政府", url=URL, rules={"disabled": ["site.domain"]})
    store = SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
    store.upsert_targets([target])
    hit = Hit(rule="site.dark_link", category="site", severity="veto", match="http://dark.example/",
              detail="隐藏链接", url=URL, field="page")
    finding = Finding.from_hit(hit, target_id="t")
    store.upsert_findings([finding])
    crawler = get_crawler(SiteSpider, {"GOVWATCH_DB": db, "GOVWATCH_CRAWL": {}})
    spider = SiteSpider(targets=[store.get_target("t")])
    spider.reports["t"] = SiteReport(target_id="t", homepage_url=URL, fetched_at=now(), homepage_ok=True,
                                     homepage_status=200, homepage_text="某县人民政府 首页 新闻",
                                     footer_text="主办单位：某县人民政府办公室 网站标识码：1234567890 ICP备12345678号",
                                     link_status={URL + "slow.html": {"status": None, "error": "", "page": URL,
                                                                      "text": "慢页面", "homepage": True,
                                                                      "pending": True}})
    pipeline = StorePipeline(crawler)
    pipeline.open_spider(spider)
    yield store, spider, pipeline, finding
    pipeline.store.close()
    store.close()


def _status(store, finding):
    return store.get_finding(finding.id).status


def test_a_completed_crawl_judges_but_never_counts_a_pending_check_dead(parts):
    store, spider, pipeline, finding = parts
    pipeline.spider_closed(spider, "finished")
    assert spider.outcome == "completed" and spider.sites_judged == ["t"]
    assert _status(store, finding) == "rectified"
    assert not [f for f in store.list_findings() if f.rule == "site.dead_link"]


@pytest.mark.parametrize("reason", ["shutdown", "closespider_timeout", "cancelled"])
def test_an_interrupted_crawl_judges_nothing(parts, reason):
    store, spider, pipeline, finding = parts
    pipeline.spider_closed(spider, reason)
    assert spider.outcome == "interrupted" and spider.sites_judged == []
    assert _status(store, finding) == "open"
    assert store.get_target("t").last_crawl_at is None


def test_a_signal_during_a_finishing_crawl_counts_as_interrupted(parts):
    store, spider, pipeline, finding = parts
    spider.interrupted = "SIGTERM"
    pipeline.spider_closed(spider, "finished")
    assert spider.outcome == "interrupted" and _status(store, finding) == "open"


def test_a_site_whose_page_raised_is_not_judged(parts):
    store, spider, pipeline, finding = parts
    response = type("R", (), {"meta": {"target_id": "t"}})()
    pipeline.spider_error(Failure(ValueError("parser bug")), response, spider)
    pipeline.spider_closed(spider, "finished")
    assert spider.outcome == "completed" and spider.sites_judged == []
    assert "页面处理出错" in spider.incomplete["t"]
    assert _status(store, finding) == "open"
