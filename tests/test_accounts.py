"""Account collection against the site farm: crawl_accounts with the real collectors, store and scanner.

Covers: Weibo (pagination, long text, relative and year-less dates, "100万+" counts, retweets),
HTTP 432 as a collector error, WeChat feeds with a deleted and a blocked article, the same
article through a feed and through its page stored once, selector-configured accounts, gone
accounts, and that a collector error leaves the status unknown and raises no staleness finding.
"""
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from crawler.accounts import Http, crawl_accounts
from govwatch.models import TZ, UTC, Target
from govwatch.settings import load_settings
from govwatch.store import FindingFilter
from scanner.timeline import judge_target

NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
LOCAL = NOW.astimezone(TZ)


@pytest.fixture
def farm():
    from govwatch.demo.farm import Farm

    with Farm(seed=7, sites=1, now=NOW) as f:
        yield f


@pytest.fixture
def settings():
    s = load_settings()
    s.data["crawl"].update(account_delay=0, weibo_delay=0, weibo_backoff=0, retries=0)
    return s


@pytest.fixture
def sqlite(tmp_path):
    from govwatch.store.sqlite import SqliteStore

    s = SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
    yield s
    s.close()


def registry(farm) -> dict[str, Target]:
    from govwatch.demo.accounts_extra import extra_targets

    rows = [r for r in farm.targets() if r["platform"] != "website"] + extra_targets(farm)
    return {r["id"]: Target.from_dict(r) for r in rows}


def crawl(settings, store, farm, ids, now=NOW, **kw):
    """Register ``ids`` (if needed) and crawl them as the CLI does: fresh targets from the store."""
    known = registry(farm)
    store.upsert_targets([known[i] for i in ids if store.get_target(i) is None])
    http = Http(settings.crawl)
    report = crawl_accounts(settings, store, [store.get_target(i) for i in ids], now=now, http=http, **kw)
    return report, http


def items_of(store, target_id):
    return list(store.iter_items(target_id=target_id))


def farm_paths(farm, part: str) -> list[str]:
    return [path for _, path, _ in farm.requests if part in path]


def verdict(store, target_id, now):
    return judge_target(store.get_target(target_id), store.column_states(target_id), now)


# --------------------------------------------------------------------------- Weibo

def test_weibo_account(settings, sqlite, farm):
    report, _ = crawl(settings, sqlite, farm, ["weibo-01"])
    target = sqlite.get_target("weibo-01")
    assert target.status == "live" and target.followers == 1_000_000  # "100万+"
    assert target.consecutive_failures == 0 and target.last_crawl_ok_at == NOW
    items = items_of(sqlite, "weibo-01")
    assert len(items) == 26  # 25 posts over three pages, and the pinned one
    assert len(farm_paths(farm, "containerid=107603")) == 3
    by_raw = {i.meta["created_at_raw"]: i for i in items}
    assert by_raw["刚刚"].published_at == LOCAL
    assert by_raw["5分钟前"].published_at == LOCAL - timedelta(minutes=5)
    assert by_raw["昨天 12:00"].published_at == datetime(2026, 11, 19, 12, tzinfo=TZ)
    yearless = [i for raw, i in by_raw.items() if len(raw) == 5 and raw[2] == "-"]
    assert yearless and all(i.published_at.year == 2026 for i in yearless)
    assert all(i.published_at_source == "api" and i.url.startswith("https://m.weibo.cn/detail/") for i in items)
    # newest post is the account's last publication; the months-old pinned post does not hide it
    assert target.last_published_at == LOCAL
    assert by_raw["5分钟前"].meta["attitudes"] == 1_000_000
    assert by_raw["昨天 12:00"].meta["reposts"] == 10_000
    # the long post was completed through statuses/extend
    assert len(farm_paths(farm, "/weibo/statuses/extend")) == 1
    long_post = next(i for i in items if i.meta.get("client") and len(i.text) > 300)
    assert "全文" not in long_post.text and not long_post.meta.get("text_truncated")
    retweet = next(i for i in items if i.meta.get("retweet"))
    assert "转发 @示范省发布：【" in retweet.text and retweet.source == "@示范省发布"
    assert all(i.title and i.text.startswith(f"【{i.title}】") for i in items if not i.meta.get("retweet"))
    assert "置顶" in {i.title for i in items}

    # second run: page 1 only (all known), nothing fetched twice, nothing new
    farm.reset_requests()
    report, _ = crawl(settings, sqlite, farm, ["weibo-01"])
    assert len(farm_paths(farm, "containerid=107603")) == 1
    assert not farm_paths(farm, "statuses/extend")
    assert report.stats["items_new"] == 0 and len(items_of(sqlite, "weibo-01")) == 26


def test_weibo_432_is_a_collector_error_not_staleness(settings, sqlite, farm):
    # first a good crawl, so there is a last publication to keep
    farm.set_problem("weibo-02", "throttled", on=False)
    crawl(settings, sqlite, farm, ["weibo-02"])
    good = sqlite.get_target("weibo-02")
    assert good.status == "live" and good.last_published_at is not None
    count = sqlite.count_items("weibo-02")

    farm.set_problem("weibo-02", "throttled", on=True)
    later = NOW + timedelta(days=30)  # long enough to be stale, were the account judged
    for run in range(1, 4):
        farm.reset_requests()
        report, http = crawl(settings, sqlite, farm, ["weibo-02"], now=later + timedelta(hours=6 * run))
        target = sqlite.get_target("weibo-02")
        assert target.status == "unknown"
        assert target.error_kind == "rate_limited" and "432" in target.last_crawl_error
        assert target.consecutive_failures == run
        assert target.last_published_at == good.last_published_at
        assert target.last_crawl_ok_at == good.last_crawl_ok_at
        assert sqlite.count_items("weibo-02") == count
        # backed off and retried once, and asked nothing after the refusal
        paths = farm_paths(farm, "/weibo/")
        assert len(paths) == 2 and paths[0] == paths[1] and "type=uid" in paths[0]
        assert "weibo-02" in report.failed
    # unknown is not stale: the timeline rules see the collector error and raise nothing
    v = verdict(sqlite, "weibo-02", later + timedelta(days=1))
    assert v.unknown and v.hits == []
    findings = sqlite.list_findings(FindingFilter(target_id="weibo-02"))
    assert [f.rule for f in findings] == ["collector.error"]  # after the third failure, for the admin
    assert findings[0].severity == "info" and findings[0].status == "open"

    # the same target, judged as if the collector had not failed, would be stale: the check bites
    healthy = sqlite.get_target("weibo-02")
    healthy.consecutive_failures, healthy.error_kind = 0, ""
    healthy.last_crawl_ok_at = later
    stale = judge_target(healthy, sqlite.column_states("weibo-02"), later + timedelta(days=1))
    assert {"account.stale", "account.stale_veto"} <= {h.rule for h in stale.hits}

    # recovery: the counter resets and the collector finding is proposed as rectified
    farm.set_problem("weibo-02", "throttled", on=False)
    crawl(settings, sqlite, farm, ["weibo-02"], now=later + timedelta(days=1))
    target = sqlite.get_target("weibo-02")
    assert target.status == "live" and target.consecutive_failures == 0 and target.error_kind == ""
    assert sqlite.get_finding(findings[0].id).status == "rectified"


def test_host_refusing_many_accounts_is_left_alone(settings, sqlite, farm):
    settings.data["crawl"].update(host_refusals=1, account_workers=1)  # one worker: in registry order
    report, _ = crawl(settings, sqlite, farm, ["weibo-02", "weibo-01"])
    # weibo-02 answered 432 twice; weibo-01 on the same API then waits for the next run
    assert set(report.failed) == {"weibo-02", "weibo-01"}
    assert "暂停采集" in report.failed["weibo-01"]["error"]
    assert sqlite.get_target("weibo-01").status == "unknown"
    assert not farm_paths(farm, "value=" + registry(farm)["weibo-01"].account_id)


# --------------------------------------------------------------------------- WeChat and feeds

def test_wechat_feed_with_deleted_article(settings, sqlite, farm):
    crawl(settings, sqlite, farm, ["wechat-01"])
    target = sqlite.get_target("wechat-01")
    items = items_of(sqlite, "wechat-01")
    assert len(items) == 20 and target.status == "live" and target.last_crawl_error == ""
    deleted = [i for i in items if i.state == "deleted"]
    assert len(deleted) == 1
    gone = deleted[0]
    assert gone.text == "" and gone.title  # the title comes from the feed
    deleted_url = farm.special_urls()["wechat_deleted"]
    assert dict(parse_qsl(urlsplit(gone.url).query))["mid"] == dict(parse_qsl(urlsplit(deleted_url).query))["mid"]
    assert gone.published_at_source == "feed"
    live = [i for i in items if i.state == "live"]
    # exact time from var ct, canonical URL with only __biz, mid, idx, sn, text from #js_content
    assert all(i.published_at_source == "js" and i.published_at.second == 0 for i in live)
    assert all(sorted(k for k, _ in parse_qsl(urlsplit(i.url).query)) == ["__biz", "idx", "mid", "sn"] for i in items)
    assert all(len(i.text) > 100 and i.author == "示范市人民政府" for i in live)
    assert target.last_published_at == max(i.published_at for i in live)
    # the deleted article is not a publication that keeps the account fresh
    assert all(target.last_published_at >= i.published_at for i in items)


def test_wechat_blocked_page(settings, sqlite, farm):
    report, _ = crawl(settings, sqlite, farm, ["wechat-02"])
    target = sqlite.get_target("wechat-02")
    blocked_url = farm.special_urls()["wechat_blocked"]
    # the feed was read: the account is live and judged; the blocked page is reported, not a failure
    assert target.status == "live" and target.consecutive_failures == 0 and target.error_kind == ""
    assert "环境异常" in target.last_crawl_error and "wechat-02" in report.degraded
    assert [(e["kind"], e["url"]) for e in target.crawl_errors] == [("blocked", blocked_url)]
    items = {i.meta.get("fetched_url", ""): i for i in items_of(sqlite, "wechat-02")}
    assert len(items) == 20
    pending = [i for i in items.values() if i.meta["validator"].startswith("pending:")]
    assert len(pending) == 1
    waiting = pending[0]
    assert waiting.state == "live" and waiting.published_at_source == "feed"  # never "deleted"
    assert urlsplit(waiting.url).path == urlsplit(blocked_url).path
    assert sum(1 for i in items.values() if i.published_at_source == "js") == 19

    # next run: only the waiting article is asked for again; still blocked, still one item
    farm.reset_requests()
    crawl(settings, sqlite, farm, ["wechat-02"], now=NOW + timedelta(hours=6))
    assert farm_paths(farm, "/wechat/s/") == [urlsplit(blocked_url).path + "?" + urlsplit(blocked_url).query]
    assert sqlite.count_items("wechat-02") == 20

    # unblocked: the page is read into the same item (same id), now with its text and exact time
    farm.set_problem("wechat-02", "blocked", on=False)
    crawl(settings, sqlite, farm, ["wechat-02"], now=NOW + timedelta(hours=12))
    fixed = sqlite.get_item(waiting.id)
    assert fixed.published_at_source == "js" and len(fixed.text) > 100
    assert fixed.meta["validator"].startswith("link:")
    assert sqlite.count_items("wechat-02") == 20
    assert sqlite.get_target("wechat-02").last_crawl_error == ""
    assert sqlite.get_target("wechat-02").crawl_errors == []


def test_blocked_everywhere_is_a_failure(settings, sqlite, farm):
    settings.data["crawl"]["wechat_blocked_limit"] = 1
    report, _ = crawl(settings, sqlite, farm, ["wechat-02"])
    target = sqlite.get_target("wechat-02")
    # one blocked page is now "the platform blocks us": texts are not scanned, the admin must know
    assert "wechat-02" in report.failed and target.error_kind == "blocked"
    assert target.consecutive_failures == 1
    assert len(farm_paths(farm, "/wechat/s/")) == 1
    # the feed was still read: its entries are stored, waiting for their pages
    assert sqlite.count_items("wechat-02") == 20
    assert verdict(sqlite, "wechat-02", NOW).unknown


def _page_url(feed_link: str) -> str:
    """The other URL form of a farm article: /wechat/s?__biz=…&mid=…&idx=…&sn=… (no key, no chksm)."""
    parts = urlsplit(feed_link)
    query = dict(parse_qsl(parts.query))
    kept = urlencode([(k, query[k]) for k in ("__biz", "mid", "idx", "sn")])
    return f"{parts.scheme}://{parts.netloc}/wechat/s?{kept}#wechat_redirect"


def test_same_article_through_page_and_feed_is_stored_once(settings, store, farm):
    from crawler.feeds import parse_feed
    import requests

    feed_url = farm.special_urls()["rss"]
    links = [e.link for e in parse_feed(requests.get(feed_url, timeout=10).content).entries]
    target = registry(farm)["wechat-01"]
    # first as a plain URL list (no feed): one article, reached through its other URL form
    target.feed_url = ""
    target.crawl = {"urls": [_page_url(links[5])]}
    store.upsert_targets([target])
    crawl(settings, store, farm, ["wechat-01"])
    (first,) = items_of(store, "wechat-01")
    assert first.published_at_source == "js"

    # then through the feed: 20 articles, the one above not fetched again and not stored twice
    target.feed_url, target.crawl = feed_url, {}
    store.upsert_targets([target])
    farm.reset_requests()
    crawl(settings, store, farm, ["wechat-01"])
    items = items_of(store, "wechat-01")
    assert len(items) == 20
    assert len({i.id for i in items}) == 20 and len({i.url for i in items}) == 20
    assert store.get_item(first.id).title == first.title
    fetched = farm_paths(farm, "/wechat/s")
    assert len(fetched) == 19 and not any(urlsplit(links[5]).path in p for p in fetched)

    # and the URL list again after the feed: still one item per article
    target.crawl = {"urls": [_page_url(links[5]), links[6]]}
    target.feed_url = ""
    store.upsert_targets([target])
    crawl(settings, store, farm, ["wechat-01"])
    assert store.count_items("wechat-01") == 20


def test_feed_and_page_give_the_same_item_id(settings, farm):
    """Without the known-article shortcut: both routes compute the one canonical id."""
    from crawler.accounts import AccountResult, Context, Throttle
    from crawler.spiders.feed_account import collect_feed, collect_wechat_urls

    target = registry(farm)["wechat-01"]
    http = Http(settings.crawl)
    http.policy.trust([target])  # the farm is on loopback: trusted only as a registry entry's address
    ctx = Context(http, NOW, settings.crawl, {}, Throttle())
    by_feed = collect_feed(target, ctx, AccountResult(target, "feed")).items
    page_target = registry(farm)["wechat-01"]
    page_target.feed_url = ""
    page_target.crawl = {"urls": [_page_url(i.meta["fetched_url"]) for i in by_feed]}
    by_page = collect_wechat_urls(page_target, ctx, AccountResult(page_target, "wechat")).items
    assert len(by_feed) == len(by_page) == 20
    assert [i.id for i in by_feed] == [i.id for i in by_page]
    canonical = [i.meta["canonical_url"] for i in by_feed]
    assert canonical == [i.meta["canonical_url"] for i in by_page]
    assert all(c.startswith("https://mp.weixin.qq.com/s?__biz=") and c.endswith(i.url.split("?")[1])
               for c, i in zip(canonical, by_feed))


def test_stale_and_empty_feeds_are_judged(settings, sqlite, farm):
    crawl(settings, sqlite, farm, ["wechat-03", "wechat-04"])
    stale, empty = sqlite.get_target("wechat-03"), sqlite.get_target("wechat-04")
    assert stale.status == empty.status == "live"
    assert (NOW - stale.last_published_at).days >= 20
    assert {"account.stale", "account.stale_veto"} <= {h.rule for h in verdict(sqlite, "wechat-03", NOW).hits}
    assert sqlite.count_items("wechat-04") == 0 and empty.last_crawl_ok_at == NOW
    assert [h.rule for h in verdict(sqlite, "wechat-04", NOW).hits] == ["account.empty"]


def test_douyin_through_rsshub(settings, sqlite, farm):
    crawl(settings, sqlite, farm, ["feed-01"])
    items = items_of(sqlite, "feed-01")
    assert len(items) == 15
    assert all(i.platform == "feed" and i.published_at_source == "feed" and "/douyin/video/" in i.url for i in items)
    assert not farm_paths(farm, "/douyin/video/")  # feed entries of other platforms need no page
    assert sqlite.get_target("feed-01").last_published_at == max(i.published_at for i in items)


def test_feed_bridge_down_is_a_collector_error(settings, sqlite, farm):
    target = registry(farm)["wechat-01"]
    target.feed_url = farm.base_url + "/feeds/MP_WXS_nothing.rss"
    sqlite.upsert_targets([target])
    report, _ = crawl(settings, sqlite, farm, ["wechat-01"])
    t = sqlite.get_target("wechat-01")
    assert t.status == "unknown" and t.error_kind == "http" and "404" in t.last_crawl_error
    assert sqlite.count_items("wechat-01") == 0 and t.last_crawl_ok_at is None
    assert sqlite.list_findings(FindingFilter(target_id="wechat-01")) == []  # not gone, not empty


def test_content_scanned_inline(settings, sqlite, farm):
    from scanner.lexicon import load_lexicon

    farm.set_problem("wechat-01", "banned_term", on=True)
    farm.set_problem("wechat-01", "typo", on=True)
    crawl(settings, sqlite, farm, ["wechat-01"], lexicon=load_lexicon())
    rules = {(f.rule.split(".")[0], f.match) for f in sqlite.list_findings(FindingFilter(target_id="wechat-01"))}
    assert ("banned", "法轮功") in rules
    assert ("expression", "按装") in rules


# --------------------------------------------------------------------------- selectors, gone accounts

def test_selector_account(settings, sqlite, farm):
    from govwatch.demo.accounts_extra import TOUTIAO_POSTS, toutiao_pub

    crawl(settings, sqlite, farm, ["toutiao-01"])
    target = sqlite.get_target("toutiao-01")
    assert target.status == "live" and target.followers == 12_000  # "粉丝 1.2万"
    items = sorted(items_of(sqlite, "toutiao-01"), key=lambda i: i.published_at, reverse=True)
    assert len(items) == TOUTIAO_POSTS
    assert all(i.title and i.platform == "toutiao" and "/x/toutiao/article/" in i.url for i in items)
    shown = {i.meta["date_shown"] for i in items}
    assert any(s.startswith("昨天") for s in shown) and any(s.endswith("天前") for s in shown)
    assert any("月" in s for s in shown)
    # every shown form gives the right day
    for k, item in enumerate(items):
        assert item.published_at.astimezone(TZ).date() == toutiao_pub(farm, k).astimezone(TZ).date()
    assert target.last_published_at == items[0].published_at


def test_selector_account_with_pages(settings, sqlite, farm):
    target = registry(farm)["toutiao-01"]
    target.crawl = {**target.crawl, "fetch_pages": True}
    sqlite.upsert_targets([target])
    crawl(settings, sqlite, farm, ["toutiao-01"])
    items = items_of(sqlite, "toutiao-01")
    assert all(len(i.text) > len(i.title) + 50 and i.published_at_source == "meta" for i in items)
    assert len(farm_paths(farm, "/x/toutiao/article/")) == len(items)


def test_broken_selectors_are_a_collector_error(settings, sqlite, farm):
    target = registry(farm)["toutiao-01"]
    target.crawl = {"selectors": {"item": "li.post-that-no-longer-exists"}}
    sqlite.upsert_targets([target])
    crawl(settings, sqlite, farm, ["toutiao-01"])
    t = sqlite.get_target("toutiao-01")
    assert t.status == "unknown" and t.error_kind == "parse" and "选择器" in t.last_crawl_error


def test_gone_accounts(settings, sqlite, farm):
    report, _ = crawl(settings, sqlite, farm, ["toutiao-02", "weibo-09"])
    assert set(report.gone) == {"toutiao-02", "weibo-09"}
    for tid, said in (("toutiao-02", "该账号已注销"), ("weibo-09", "用户不存在")):
        target = sqlite.get_target(tid)
        assert target.status == "gone" and target.consecutive_failures == 0
        (finding,) = sqlite.list_findings(FindingFilter(target_id=tid))
        assert finding.rule == "account.gone" and finding.severity == "high" and said in finding.detail
        assert finding.evidence.get("snapshot") and sqlite.get_snapshot(finding.evidence["snapshot"])
    # a second crawl finds the same: one finding, not two
    crawl(settings, sqlite, farm, ["toutiao-02", "weibo-09"], now=NOW + timedelta(hours=6))
    assert len(sqlite.list_findings(FindingFilter(rule_prefix="account.gone"))) == 2


def test_unconfigured_accounts(settings, sqlite, farm):
    app = Target(id="app-01", name="示范 App", platform="app")
    douyin = Target(id="douyin-01", name="示范抖音", platform="douyin", url=farm.base_url + "/douyin/user/x")
    sqlite.upsert_targets([app, douyin])
    report = crawl_accounts(settings, sqlite, [app, douyin], now=NOW)
    assert "app-01" in report.skipped and sqlite.get_target("app-01").last_crawl_at is None
    assert sqlite.get_target("douyin-01").error_kind == "config"
    assert "未配置采集方式" in str(report)


def test_summary_is_chinese(settings, sqlite, farm):
    report, _ = crawl(settings, sqlite, farm, ["weibo-01", "weibo-02", "wechat-02", "toutiao-02"])
    text = str(report)
    assert text.startswith("账号采集完成：账号 4 个")
    assert "weibo-02：采集失败，访问受限（限流）" in text and "不作为账号未更新的依据" in text
    assert "toutiao-02：账号已注销、被封禁或不存在" in text
    assert "wechat-02：部分页面未能采集" in text


def test_gone_again_after_recovery_is_announced_again(settings, sqlite, farm):
    announced = []

    def on_findings(store, findings):
        announced.extend((f.rule, f.status) for f in findings)

    targets = registry(farm)
    gone_url = targets["toutiao-02"].url
    crawl(settings, sqlite, farm, ["toutiao-02"], on_findings=on_findings)
    assert announced == [("account.gone", "open")]
    (finding,) = sqlite.list_findings(FindingFilter(target_id="toutiao-02"))

    back = sqlite.get_target("toutiao-02")
    back.url = targets["toutiao-01"].url  # the platform shows the account again
    sqlite.upsert_targets([back])
    crawl(settings, sqlite, farm, ["toutiao-02"], now=NOW + timedelta(hours=6), on_findings=on_findings)
    assert sqlite.get_target("toutiao-02").status == "live"
    assert sqlite.get_finding(finding.id).status == "rectified"

    back.url = gone_url
    sqlite.upsert_targets([back])
    crawl(settings, sqlite, farm, ["toutiao-02"], now=NOW + timedelta(hours=12), on_findings=on_findings)
    again = sqlite.get_finding(finding.id)
    assert again.status == "open" and [h["to"] for h in again.history][-2:] == ["rectified", "open"]
    assert announced == [("account.gone", "open")] * 2
