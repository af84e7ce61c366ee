"""Timeline rules (scanner/timeline.py) with a frozen clock, and nightly detection
(govwatch/detection.py) against every store backend."""
import random
from datetime import date, datetime, time, timedelta

import pytest

from govwatch.models import TZ, UTC, Column, Item, Target, fmt_local
from govwatch.settings import load_settings
from govwatch.store import ColumnState, FindingFilter
from scanner.timeline import (
    STATUS_EMPTY, STATUS_OK, STATUS_STALE, STATUS_UNKNOWN, STATUS_VETO, STATUS_WARN, STATUS_ZOMBIE,
    STATUS_ZOMBIE_CANDIDATE, ThresholdBook, judge_new_items, judge_reprints, judge_target, local_day_number,
    normalise_title, period_stats,
)

# the nightly job's moment: 02:00 Beijing time, 2026-11-15
NOW = datetime(2026, 11, 15, 2, 0, tzinfo=TZ)
TODAY = NOW.date()


def day(n: int, at: time = time(12, 0)) -> datetime:
    """A publication ``n`` Beijing calendar days before NOW's date, at ``at`` Beijing time."""
    return datetime.combine(TODAY - timedelta(days=n), at, TZ)


def account(tid="acc", **kw):
    base = dict(id=tid, name="示范发布", platform="wechat", url=f"https://mp.weixin.qq.com/{tid}",
                owner="示范市政府办", last_crawl_ok_at=NOW - timedelta(hours=2))
    base.update(kw)
    return Target(**base)


def site(tid="site", columns=None, **kw):
    base = dict(id=tid, name="示范市人民政府", platform="website", url="http://www.demo.gov.cn/",
                owner="示范市政府办", last_crawl_ok_at=NOW - timedelta(hours=2),
                columns=columns if columns is not None else [])
    base.update(kw)
    return Target(**base)


def state(column, published, items=3, tid="acc"):
    return ColumnState(tid, column, published, items)


def judge(target, states, now=NOW, thresholds=None):
    return judge_target(target, states, now, thresholds)


def rules(verdict):
    return sorted(h.rule for h in verdict.hits)


# ------------------------------------------------------------------------------------ days

def test_day_numbers_follow_beijing_calendar():
    rng = random.Random(1)
    for _ in range(2000):
        dt = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10 * 365 * 86400))
        assert local_day_number(dt) == dt.astimezone(TZ).date().toordinal()
    # 16:00 UTC is midnight in Beijing
    assert local_day_number(datetime(2026, 11, 14, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 14).toordinal()
    assert local_day_number(datetime(2026, 11, 14, 16, 0, tzinfo=UTC)) == date(2026, 11, 15).toordinal()
    # naive means UTC, as everywhere in models
    assert local_day_number(datetime(2026, 11, 14, 16, 0)) == date(2026, 11, 15).toordinal()
    # before 1992 the zone database decides (Shanghai had summer time until 1991)
    summer = datetime(1988, 7, 1, 15, 30, tzinfo=UTC)
    assert local_day_number(summer) == summer.astimezone(TZ).date().toordinal()


def test_time_of_day_does_not_matter_only_the_calendar_date():
    first = judge(account(), [state("", day(14, time(0, 0)))])
    last = judge(account(), [state("", day(14, time(23, 59)))])
    assert first.days_since == last.days_since == 14
    # a post at 23:59 Beijing time yesterday is one day old two minutes later
    now = datetime.combine(TODAY, time(0, 1), TZ)
    assert judge(account(), [state("", day(1, time(23, 59)))], now=now).days_since == 1
    # a post today is zero days old, whatever time the judgment runs
    assert judge(account(), [state("", day(0, time(1, 0)))]).days_since == 0


# ------------------------------------------------------------------------------------ accounts

@pytest.mark.parametrize("days, status, hits", [
    (5, STATUS_OK, []),
    (6, STATUS_WARN, []),
    (7, STATUS_WARN, []),
    (8, STATUS_STALE, ["account.stale"]),
    (13, STATUS_STALE, ["account.stale"]),
    (14, STATUS_STALE, ["account.stale"]),
    (15, STATUS_VETO, ["account.stale", "account.stale_veto"]),
    (89, STATUS_VETO, ["account.stale", "account.stale_veto"]),
    (90, STATUS_VETO, ["account.stale", "account.stale_veto"]),
    (91, STATUS_ZOMBIE_CANDIDATE, ["account.stale", "account.stale_veto", "account.zombie"]),
    (364, STATUS_ZOMBIE_CANDIDATE, ["account.stale", "account.stale_veto", "account.zombie"]),
    (365, STATUS_ZOMBIE_CANDIDATE, ["account.stale", "account.stale_veto", "account.zombie"]),
    (366, STATUS_ZOMBIE, ["account.stale", "account.stale_veto", "account.zombie"]),
])
def test_text_account_boundaries(days, status, hits):
    v = judge(account(), [state("", day(days))])
    assert v.days_since == days
    assert v.status == status
    assert rules(v) == hits


def test_severities_categories_and_stable_matches():
    v = judge(account(), [state("", day(100))])
    by_rule = {h.rule: h for h in v.hits}
    assert by_rule["account.stale"].severity == "medium"
    assert by_rule["account.stale_veto"].severity == "veto"
    assert by_rule["account.zombie"].severity == "high"
    assert by_rule["account.zombie"].category == "疑似僵尸账号"
    since = day(100).date().isoformat()
    assert {h.match for h in v.hits} == {f"最近发布：{since}"}
    # the next night produces the same hits (same finding ids), only the status can move on
    tomorrow = judge(account(), [state("", day(100))], now=NOW + timedelta(days=1))
    assert tomorrow.hits == v.hits
    zombie = judge(account(), [state("", day(400))])
    assert {h.rule: h for h in zombie.hits}["account.zombie"].category == "僵尸账号"


def test_video_account_has_ten_days():
    video = account(content_type="video", platform="douyin")
    assert judge(video, [state("", day(8))]).status == STATUS_OK
    assert judge(video, [state("", day(9))]).status == STATUS_WARN
    assert judge(video, [state("", day(10))]).status == STATUS_WARN
    eleven = judge(video, [state("", day(11))])
    assert eleven.status == STATUS_STALE and rules(eleven) == ["account.stale"]
    assert "音视频账号每 10 天" in eleven.hits[0].detail
    assert judge(video, [state("", day(15))]).status == STATUS_VETO


def test_empty_account_needs_a_successful_crawl():
    v = judge(account(), [])
    assert v.status == STATUS_EMPTY and rules(v) == ["account.empty"]
    assert v.hits[0].severity == "high"
    never = judge(account(last_crawl_ok_at=None), [])
    assert never.status == STATUS_UNKNOWN and never.hits == [] and "尚未成功采集" in never.reason


def test_account_with_only_undated_items_is_unknown_not_empty():
    v = judge(account(), [state("", None, items=4)])
    assert v.status == STATUS_UNKNOWN and v.hits == []
    assert "均无发布时间" in v.reason


# ------------------------------------------------------------------------------------ unknown

def test_failed_collector_makes_unknown_never_stale():
    failing = account(consecutive_failures=3, error_kind="rate_limited", last_crawl_error="HTTP 432")
    v = judge(failing, [state("", day(40))])
    assert v.status == STATUS_UNKNOWN and v.hits == []
    assert "被限流" in v.reason and "HTTP 432" in v.reason and "连续 3 次" in v.reason
    # what we know is still reported
    assert v.days_since == 40 and v.last_published_at == day(40)
    # the same data with a healthy collector is a veto
    assert judge(account(), [state("", day(40))]).status == STATUS_VETO


def test_error_kind_alone_or_an_old_last_crawl_is_unknown():
    assert judge(account(error_kind="blocked"), [state("", day(30))]).status == STATUS_UNKNOWN
    stale_crawl = account(last_crawl_ok_at=NOW - timedelta(hours=73))
    v = judge(stale_crawl, [state("", day(30))])
    assert v.status == STATUS_UNKNOWN and "72 小时" in v.reason
    assert judge(account(last_crawl_ok_at=NOW - timedelta(hours=71)), [state("", day(30))]).status == STATUS_VETO


def test_unknown_website_raises_nothing():
    v = judge(site(consecutive_failures=1, error_kind="network", columns=[Column("动态要闻", "", "news")]),
              [state("首页", day(60), tid="site")])
    assert v.status == STATUS_UNKNOWN and v.hits == []


# ------------------------------------------------------------------------------------ websites

@pytest.mark.parametrize("days, status", [(11, STATUS_OK), (12, STATUS_WARN), (13, STATUS_WARN),
                                          (14, STATUS_WARN), (15, STATUS_VETO)])
def test_homepage_boundaries(days, status):
    v = judge(site(), [state("首页", day(days), tid="site"), state("动态要闻", day(1), tid="site")])
    assert v.status == status
    assert rules(v) == (["site.homepage_stale"] if days > 14 else [])
    if days > 14:
        assert v.hits[0].severity == "veto"


def test_homepage_is_the_homepage_column_when_recorded_else_the_newest_anywhere():
    # homepage listing stale although a column is fresh: the homepage is not updated
    v = judge(site(), [state("首页", day(20), tid="site"), state("其他", day(1), tid="site")])
    assert rules(v) == ["site.homepage_stale"] and v.scopes["首页"].days_since == 20
    # no homepage column recorded: a navigation portal is judged on its second-level pages
    v = judge(site(), [state("其他", day(3), tid="site")])
    assert v.status == STATUS_OK and v.scopes["首页"].days_since == 3
    # a site with nothing dated at all
    v = judge(site(), [])
    assert rules(v) == ["site.homepage_stale"] and "未注明发布时间" in v.hits[0].detail


NEWS = Column("动态要闻", "http://www.demo.gov.cn/dtyw/", "news")
NOTICE = Column("通知公告", "http://www.demo.gov.cn/tzgg/", "notice")
OVERVIEW = Column("概况", "http://www.demo.gov.cn/gk/", "overview")


@pytest.mark.parametrize("column, days, status, severity", [
    (NEWS, 11, STATUS_OK, None), (NEWS, 12, STATUS_WARN, "info"), (NEWS, 14, STATUS_WARN, "info"),
    (NEWS, 15, STATUS_STALE, "medium"),
    (NOTICE, 144, STATUS_OK, None), (NOTICE, 145, STATUS_WARN, "info"), (NOTICE, 180, STATUS_WARN, "info"),
    (NOTICE, 181, STATUS_STALE, "medium"),
    (OVERVIEW, 365, STATUS_WARN, "info"), (OVERVIEW, 366, STATUS_STALE, "medium"),
])
def test_column_limits_and_warning_band(column, days, status, severity):
    v = judge(site(columns=[column]), [state("首页", day(1), tid="site"), state(column.name, day(days), tid="site")])
    assert v.scopes[column.name].status == status
    assert v.status == status
    hits = [h for h in v.hits if h.rule == "site.column_stale"]
    assert [h.severity for h in hits] == ([severity] if severity else [])
    if hits:
        assert hits[0].url == column.url and column.name in hits[0].match
    if severity == "info":
        assert hits[0].match.startswith("即将超期")
        overdue = date.fromordinal(day(days).date().toordinal() + v.scopes[column.name].limit_days + 1)
        assert str(overdue) in hits[0].detail


def test_registered_max_gap_replaces_the_kinds_limit():
    col = Column("通知公告", "", "notice", max_gap_days=90)  # local rule: three months
    v = judge(site(columns=[col]), [state("首页", day(1), tid="site"), state("通知公告", day(91), tid="site")])
    assert rules(v) == ["site.column_stale"] and "超过 90 天" in v.hits[0].detail
    v = judge(site(columns=[col]), [state("首页", day(1), tid="site"), state("通知公告", day(90), tid="site")])
    assert v.scopes["通知公告"].status == STATUS_WARN


def test_empty_and_undated_columns():
    cols = [NEWS, NOTICE, Column("互动交流", "", "interaction")]
    v = judge(site(columns=cols), [state("首页", day(1), tid="site"),
                                   state("通知公告", None, items=5, tid="site")])
    by_rule = sorted((h.rule, h.match.split("（")[0], h.severity) for h in v.hits)
    assert by_rule == [("site.column_empty", "互动交流", "medium"), ("site.column_empty", "动态要闻", "medium"),
                       ("site.column_stale", "通知公告", "medium"), ("site.undated", "通知公告", "low")]
    assert v.status == STATUS_STALE


def five_columns(n_stale):
    cols = [Column(f"动态{i}", f"http://www.demo.gov.cn/c{i}/", "news") for i in range(5)]
    states = [state("首页", day(1), tid="site")] + [
        state(c.name, day(20 if i < n_stale else 2), tid="site") for i, c in enumerate(cols)]
    return cols, states


def test_five_stale_columns_are_a_veto():
    cols, states = five_columns(4)
    v = judge(site(columns=cols), states)
    assert v.status == STATUS_STALE and {h.severity for h in v.hits} == {"medium"}
    cols, states = five_columns(5)
    v = judge(site(columns=cols), states)
    assert v.status == STATUS_VETO and [h.severity for h in v.hits] == ["veto"] * 5
    assert "共 5 个栏目不更新" in v.hits[0].detail


def test_five_empty_columns_are_a_veto():
    cols = [Column(f"栏目{i}", "", "news") for i in range(5)]
    v = judge(site(columns=cols[:4]), [state("首页", day(1), tid="site")])
    assert {h.severity for h in v.hits} == {"medium"} and v.status == STATUS_STALE
    v = judge(site(columns=cols), [state("首页", day(1), tid="site")])
    assert v.status == STATUS_VETO and {h.severity for h in v.hits} == {"veto"} and len(v.hits) == 5


def test_discovered_columns_are_judged_by_their_names_when_none_are_registered():
    v = judge(site(), [state("首页", day(1), tid="site"), state("工作动态", day(20), tid="site"),
                       state("联系我们", day(300), tid="site")])
    assert rules(v) == ["site.column_stale"] and "工作动态" in v.hits[0].match


# ------------------------------------------------------------------------------------ overrides

def test_thresholds_by_platform_content_type_and_target():
    base = load_settings().data["thresholds"]
    book = ThresholdBook({**base, "by_platform": {"weibo": {"account_stale_days": 3}},
                          "by_content_type": {"video": {"account_stale_veto_days": 20}}})
    weibo = account(platform="weibo")
    assert judge(weibo, [state("", day(4))], thresholds=book).status == STATUS_STALE
    assert judge(account(), [state("", day(4))], thresholds=book).status == STATUS_OK
    video = account(platform="douyin", content_type="video")
    assert judge(video, [state("", day(18))], thresholds=book).status == STATUS_STALE
    assert judge(video, [state("", day(21))], thresholds=book).status == STATUS_VETO
    strict = account(rules={"account_stale_days": 2, "zombie_candidate_days": 30})
    assert judge(strict, [state("", day(3))], thresholds=book).status == STATUS_STALE
    assert judge(strict, [state("", day(31))], thresholds=book).status == STATUS_ZOMBIE_CANDIDATE
    notice = site(columns=[NOTICE], rules={"column_stale_days": {"notice": 90}})
    v = judge(notice, [state("首页", day(1), tid="site"), state("通知公告", day(91), tid="site")], thresholds=book)
    assert rules(v) == ["site.column_stale"]
    # other kinds keep their limits when one is overridden
    assert ThresholdBook(base).for_target(notice)["column_stale_days"]["news"] == 14


def test_disabled_rules_are_not_raised():
    v = judge(account(rules={"disabled": ["account.stale"]}), [state("", day(20))])
    assert rules(v) == ["account.stale_veto"]


# ------------------------------------------------------------------------------------ ingest rules

def item(n, published, column="", first_seen=NOW, **kw):
    return Item(target_id="acc", url=f"https://mp.weixin.qq.com/s/{n}", title=f"标题{n}", column=column,
                published_at=published, first_seen_at=first_seen, **kw)


PREVIOUS_CRAWL = NOW - timedelta(hours=6)


def test_future_date_beyond_tolerance():
    hits = judge_new_items(account(), [item(1, NOW + timedelta(minutes=61)), item(2, NOW + timedelta(minutes=59))],
                           NOW, PREVIOUS_CRAWL, {"": day(1)})
    assert [(i.url[-1], h.rule, h.severity) for i, h in hits] == [("1", "timeline.future_date", "high")]
    assert "晚于采集时间" in hits[0][1].detail


def test_backdated_item_in_an_already_crawled_period():
    column_latest = {"": day(20)}  # the account looked stale: newest post 20 days ago
    backfilled = item(1, day(10))  # appears now, dated 10 days ago, newer than anything listed before
    hits = judge_new_items(account(), [backfilled], NOW, PREVIOUS_CRAWL, column_latest)
    assert [h.rule for _, h in hits] == ["timeline.backdated"] and hits[0][1].severity == "medium"
    assert hits[0][0] is backfilled
    # first seen within 3 days of its date: a late crawl, not a back-fill
    assert judge_new_items(account(), [item(2, NOW - timedelta(days=2, hours=23))], NOW, PREVIOUS_CRAWL,
                           column_latest) == []
    assert judge_new_items(account(), [item(2, NOW - timedelta(days=3, hours=1))], NOW, PREVIOUS_CRAWL,
                           column_latest) != []
    # dated after our previous successful crawl (the collector was down): we never looked, no finding
    assert judge_new_items(account(), [item(3, day(10))], NOW, day(12), column_latest) == []
    # older than what the list already showed: surfaced by pagination or deletions, not inserted
    assert judge_new_items(account(), [item(4, day(25))], NOW, PREVIOUS_CRAWL, column_latest) == []
    # a column never crawled before (newly registered): everything in it is new
    assert judge_new_items(account(), [item(5, day(10), column="新栏目")], NOW, PREVIOUS_CRAWL, column_latest) == []
    # the first crawl of a target judges nothing
    assert judge_new_items(account(), [backfilled], NOW, None, column_latest) == []
    # attachments inherit their page's date
    assert judge_new_items(account(), [item(6, day(10), meta={"attachment": "pdf"})], NOW, PREVIOUS_CRAWL,
                           column_latest) == []


def test_a_date_that_names_only_its_month_is_judged_at_the_month_end():
    column_latest = {"": day(60)}
    first_of_month = datetime(2026, 11, 1, tzinfo=TZ)  # "2026年11月": could be any day up to today
    assert judge_new_items(account(), [item(1, first_of_month, published_at_precision="month")], NOW,
                           PREVIOUS_CRAWL, column_latest) == []
    # the same instant stated to the day is a back-fill
    assert [h.rule for _, h in judge_new_items(account(), [item(1, first_of_month, published_at_precision="day")],
                                                NOW, PREVIOUS_CRAWL, column_latest)] == ["timeline.backdated"]
    # a whole month that ended two weeks ago: back-filled whatever its day, and the finding says how it judged
    hits = judge_new_items(account(), [item(2, datetime(2026, 10, 1, tzinfo=TZ), published_at_precision="month")],
                           NOW, PREVIOUS_CRAWL, column_latest)
    assert [h.rule for _, h in hits] == ["timeline.backdated"]
    assert "只注明到月" in hits[0][1].detail and "2026-10" in hits[0][1].match
    # a month that has not begun is in the future from its first day
    hits = judge_new_items(account(), [item(3, datetime(2026, 12, 1, tzinfo=TZ), published_at_precision="month")],
                           NOW, PREVIOUS_CRAWL, column_latest)
    assert [h.rule for _, h in hits] == ["timeline.future_date"] and "只注明到月" in hits[0][1].detail


def test_reprint_clock_and_month_precision():
    late_now = T_UP + timedelta(days=2)
    up = upstream_item()
    up.published_at_precision = "month"
    assert judge_reprints(SUB, [up], [], late_now) == []  # no 12-hour clock from a month
    vague = reprint("市政府召开常务会议研究部署重点工作", datetime(2026, 11, 1, tzinfo=TZ))
    vague.published_at_precision = "month"
    assert judge_reprints(SUB, [upstream_item()], [vague], late_now) == []  # may have been on time
    assert len(judge_reprints(SUB, [upstream_item()], [reprint("市政府召开常务会议研究部署重点工作",
                                                               datetime(2026, 11, 1, tzinfo=TZ))], late_now)) == 1


def test_backdating_through_the_ingest_path(tmp_path):
    from crawler.ingest import Ingestor
    from govwatch.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "g.db")
    store.upsert_targets([account()])
    ingest = Ingestor(store)
    ingest.ingest([item(1, day(20), first_seen=None)], at=day(19))
    store.update_target_state("acc", last_crawl_ok_at=PREVIOUS_CRAWL)
    stats = ingest.ingest([item(2, day(10), first_seen=None), item(3, NOW + timedelta(days=3), first_seen=None),
                           item(1, day(20), first_seen=None)], at=NOW)
    assert stats.findings_new == 2
    found = {f.rule: f for f in store.list_findings()}
    assert set(found) == {"timeline.backdated", "timeline.future_date"}
    assert found["timeline.backdated"].item_id == item(2, None).id
    assert found["timeline.backdated"].deadline == NOW + timedelta(days=5)
    # a re-crawl of the same items raises nothing new
    assert ingest.ingest([item(2, day(10), first_seen=None)], at=NOW + timedelta(hours=6)).findings_new == 0


# ------------------------------------------------------------------------------------ reprints

T_UP = datetime(2026, 11, 14, 9, 0, tzinfo=TZ)


def upstream_item(title="市政府召开常务会议研究部署重点工作", at=T_UP, column="要闻"):
    return Item(target_id="city", url="http://www.city.gov.cn/yw/1.html", title=title, column=column,
                published_at=at)


def reprint(title, at, tid="acc"):
    return Item(target_id=tid, url=f"https://mp.weixin.qq.com/s/{at.timestamp()}", title=title, published_at=at)


SUB = account(rules={"reprint_from": [{"target": "city", "column": "要闻"}]})


def test_reprint_within_twelve_hours_exactly_is_on_time():
    up = upstream_item()
    late_now = T_UP + timedelta(hours=20)
    assert judge_reprints(SUB, [up], [reprint("【转载】市政府召开常务会议研究部署重点工作！", T_UP + timedelta(hours=12))],
                          late_now) == []
    hits = judge_reprints(SUB, [up], [reprint("市政府召开常务会议研究部署重点工作", T_UP + timedelta(hours=12, minutes=1))],
                          late_now)
    assert [h.rule for h in hits] == ["timeline.reprint_late"] and "12.0 小时" in hits[0].detail
    assert hits[0].url == up.url and hits[0].severity == "medium"


def test_missing_reprint_is_late_only_after_the_deadline():
    up = upstream_item()
    assert judge_reprints(SUB, [up], [], T_UP + timedelta(hours=12)) == []
    hits = judge_reprints(SUB, [up], [reprint("无关的通知", T_UP + timedelta(hours=1))],
                          T_UP + timedelta(hours=12, seconds=1))
    assert len(hits) == 1 and "未转载" in hits[0].detail


def test_reprint_configuration():
    up = upstream_item(column="通知")  # another column of the upstream: not to be reprinted
    assert judge_reprints(SUB, [up], [], T_UP + timedelta(days=1)) == []
    whole = account(rules={"reprint_from": "city"})
    assert len(judge_reprints(whole, [up], [], T_UP + timedelta(days=1))) == 1
    assert judge_reprints(account(), [up], [], T_UP + timedelta(days=1)) == []
    # older than the lookback: judged on earlier nights
    assert judge_reprints(whole, [up], [], T_UP + timedelta(hours=73)) == []


def test_title_normalisation():
    assert normalise_title("【转载】市政府：召开 常务会议！") == normalise_title("市政府召开常务会议")
    assert normalise_title("转发：关于做好2026年工作的通知") == "关于做好2026年工作的通知"
    assert normalise_title("ＡＢＣ１２３") == "abc123"


# ------------------------------------------------------------------------------------ month statistics

def test_period_stats_posts_gaps_and_days_out():
    start, end = date(2026, 11, 1), date(2026, 11, 15)
    times = [datetime(2026, 10, 28, 10, tzinfo=TZ), datetime(2026, 11, 3, 10, tzinfo=TZ),
             datetime(2026, 11, 3, 18, tzinfo=TZ), datetime(2026, 11, 12, 10, tzinfo=TZ)]
    s = period_stats(times, start, end, limit_days=7)
    assert s.posts == 3
    assert s.longest_gap_days == 8  # 11-04 .. 11-11
    # out on 11-11 (8 days after 11-03); 11-12 posts; 11-13..15 within 7 days
    assert s.days_out == 1
    # nothing in the lookback: out from the first day until the first post
    s = period_stats(times[1:], start, end, limit_days=1)
    assert s.days_out == 2 + 7 + 2  # 11-01..11-02; 11-05..11-11; 11-14..11-15
    nothing = period_stats([], start, end, limit_days=7)
    assert (nothing.posts, nothing.longest_gap_days, nothing.days_out) == (0, 15, 15)


# ------------------------------------------------------------------------------------ nightly detection

def detect(store, now=NOW, **kw):
    from govwatch.detection import run_detection

    return run_detection(store, load_settings(), now, **kw)


def feed(store, tid, n, published, column="", seen=None):
    store.upsert_items([Item(target_id=tid, url=f"http://x/{tid}/{n}", title=f"{tid}第{n}条", column=column,
                             published_at=published)], at=seen or published + timedelta(hours=1))


def test_detection_records_findings_once_and_reports_every_target(store):
    store.upsert_targets([account("a"), account("b"), account("c", consecutive_failures=2, error_kind="network")])
    feed(store, "a", 1, day(20))
    feed(store, "b", 1, day(2))
    feed(store, "c", 1, day(40))
    report = detect(store)
    assert report.stats["findings_new"] == 2
    rows = {r["id"]: r for r in report.rows}
    assert (rows["a"]["status"], rows["a"]["days_since"]) == (STATUS_VETO, 20)
    assert rows["b"]["status"] == STATUS_OK and rows["c"]["status"] == STATUS_UNKNOWN
    assert "网络错误" in rows["c"]["reason"]
    found = store.list_findings()
    assert sorted(f.rule for f in found) == ["account.stale", "account.stale_veto"]
    assert {f.target_id for f in found} == {"a"}
    veto = next(f for f in found if f.rule == "account.stale_veto")
    assert veto.deadline == NOW + timedelta(days=1) and veto.evidence["scope"] == ""
    # the next night: nothing new, nothing rewritten
    again = detect(store, NOW + timedelta(days=1))
    assert (again.stats["findings_new"], again.stats["findings_updated"], again.stats["findings_unchanged"]) == (0, 0, 2)
    assert len(store.list_findings()) == 2
    # the job log gets the summary, not 100,000 rows
    summary = again.as_dict()
    assert summary["findings_unchanged"] == 2 and "targets" in summary and "rows" not in summary
    assert summary["statuses"] == {STATUS_VETO: 1, STATUS_OK: 1, STATUS_UNKNOWN: 1}
    # a dry run records nothing
    store.upsert_targets([account("d")])
    feed(store, "d", 1, day(30))
    dry = detect(store, record=False)
    assert "findings_new" not in dry.stats and len(store.list_findings()) == 2


def test_detection_deadlines_keep_each_severitys_default_when_the_table_is_partial(store):
    """A deadlines_days table naming only some severities (a raw user table) leaves the others at
    their own defaults (veto 1 day), not at the medium deadline."""
    from govwatch.detection import run_detection

    store.upsert_targets([account("a")])
    feed(store, "a", 1, day(20))
    settings = load_settings(env={})
    settings.data["deadlines_days"] = {"medium": 7}
    run_detection(store, settings, NOW)
    deadlines = {f.rule: f.deadline - NOW for f in store.list_findings()}
    assert deadlines["account.stale_veto"] == timedelta(days=1)


def test_target_coming_back_to_life_gets_its_findings_rectified_with_the_new_item(store):
    store.upsert_targets([account("a")])
    feed(store, "a", 1, day(100))
    detect(store)
    opened = store.list_findings(FindingFilter(status=["open"]))
    assert sorted(f.rule for f in opened) == ["account.stale", "account.stale_veto", "account.zombie"]
    store.transition_finding(opened[0].id, "confirmed", by="值班员", at=NOW + timedelta(hours=1))
    # the office posts again the next morning
    feed(store, "a", 2, NOW + timedelta(hours=8))
    report = detect(store, NOW + timedelta(days=1))
    assert report.stats["rectified"] == 3
    assert report.rows[0]["status"] == STATUS_OK
    for f in store.list_findings():
        assert f.status == "rectified"
        last = f.history[-1]
        assert last["by"] == "system" and "已恢复更新" in last["note"] and "a第2条" in last["note"]
        assert f.evidence["rectified"]["url"] == "http://x/a/2"
        assert datetime.fromisoformat(f.evidence["rectified"]["published_at"]) == NOW + timedelta(hours=8)
    assert store.get_finding(opened[0].id).history[1]["by"] == "值班员"  # people's decisions kept
    # nothing left to rectify on the following night
    assert detect(store, NOW + timedelta(days=2)).stats["rectified"] == 0


def test_unknown_never_rectifies_without_a_new_item_and_never_opens(store):
    store.upsert_targets([account("a")])
    feed(store, "a", 1, day(30))
    detect(store)
    store.update_target_state("a", consecutive_failures=4, error_kind="blocked", last_crawl_error="验证码")
    report = detect(store, NOW + timedelta(days=1))
    assert report.rows[0]["status"] == STATUS_UNKNOWN
    assert report.stats["rectified"] == 0 and report.stats["findings_new"] == 0
    assert {f.status for f in store.list_findings()} == {"open"}


def test_a_new_episode_opens_new_findings_and_a_returning_problem_reopens(store):
    cols = [Column("动态要闻", "http://www.demo.gov.cn/dt/", "news"), Column("空栏目", "", "news")]
    store.upsert_targets([site("s", columns=cols)])
    feed(store, "s", 1, day(1), column="首页")
    feed(store, "s", 2, day(1), column="动态要闻")
    detect(store)
    empty = store.list_findings(FindingFilter(rule_prefix="site.column_empty"))
    assert len(empty) == 1 and empty[0].status == "open"
    # someone marks it rectified by mistake; the column is still empty the next night
    store.transition_finding(empty[0].id, "rectified", by="科员")
    report = detect(store, NOW + timedelta(days=1))
    assert report.stats["reopened"] == 1
    reopened = store.get_finding(empty[0].id)
    assert reopened.status == "open" and reopened.history[-1]["note"] == "问题再次出现"
    # a false positive stays one, and so does what people closed
    store.transition_finding(empty[0].id, "false_positive", by="值班员")
    detect(store, NOW + timedelta(days=2))
    assert store.get_finding(empty[0].id).status == "false_positive"
    store.transition_finding(empty[0].id, "open", by="值班员")
    store.transition_finding(empty[0].id, "closed", by="管理员", note="栏目保留，已说明")
    assert detect(store, NOW + timedelta(days=3)).stats["reopened"] == 0
    assert store.get_finding(empty[0].id).status == "closed"


def test_column_coming_back_is_rectified_with_its_own_newest_item(store):
    cols = [Column("动态要闻", "http://www.demo.gov.cn/dt/", "news")]
    store.upsert_targets([site("s", columns=cols)])
    feed(store, "s", 1, day(1), column="首页")
    feed(store, "s", 2, day(30), column="动态要闻")
    detect(store)
    stale = store.list_findings(FindingFilter(rule_prefix="site.column_stale"))
    assert len(stale) == 1 and stale[0].url == "http://www.demo.gov.cn/dt/"
    feed(store, "s", 3, NOW + timedelta(hours=3), column="首页")  # news elsewhere does not count
    assert detect(store, NOW + timedelta(days=1)).stats["rectified"] == 0
    feed(store, "s", 4, NOW + timedelta(hours=5), column="动态要闻")
    assert detect(store, NOW + timedelta(days=1)).stats["rectified"] == 1
    f = store.get_finding(stale[0].id)
    assert f.status == "rectified" and f.evidence["rectified"]["url"] == "http://x/s/4"


def test_future_dated_state_is_rebuilt_from_items(store):
    store.upsert_targets([account("a")])
    feed(store, "a", 1, day(20))
    feed(store, "a", 2, NOW + timedelta(days=400), seen=NOW - timedelta(hours=1))  # a fake date keeps it "fresh"
    report = detect(store)
    assert report.stats["rebuilt_from_items"] == 1
    assert report.rows[0]["status"] == STATUS_VETO and report.rows[0]["days_since"] == 20


def test_replay_as_of_a_past_day_ignores_later_items(store):
    store.upsert_targets([account("a", last_crawl_ok_at=NOW)])
    feed(store, "a", 1, day(30))
    feed(store, "a", 2, day(1))
    report = detect(store, day(5, time(23, 0)), record=False)
    assert report.rows[0]["days_since"] == 25 and report.rows[0]["status"] == STATUS_VETO


def test_month_statistics_in_rows(store):
    store.upsert_targets([account("a")])
    for n, d in enumerate([18, 12, 9, 2]):  # 10-28, 11-03, 11-06, 11-13
        feed(store, "a", n, day(d))
    row = detect(store).rows[0]
    assert (row["month_posts"], row["month_longest_gap"], row["month_days_out"]) == (3, 6, 0)
    assert detect(store).month == "2026-11"
    store.update_target_state("a", last_crawl_ok_at=NOW + timedelta(days=9))
    row = detect(store, NOW + timedelta(days=9)).rows[0]  # 11-24: 11 days since 11-13
    assert row["month_days_out"] == 4 and row["status"] == STATUS_STALE


def test_roll_up_by_parent_unit(store):
    store.upsert_targets([
        account("p", owner="省政府办公厅", owner_level="省"),
        account("c1", owner="甲市政府", owner_level="市", parent="省政府办公厅"),
        account("c2", owner="乙市政府", owner_level="市", parent="省政府办公厅"),
        account("x1", owner="丙县政府", owner_level="县", parent="甲市政府"),
        account("x2", owner="丙县政府", owner_level="县", parent="甲市政府"),
        account("d", owner="丙县教育局", owner_level="部门", parent="丙县政府"),
        # a cycle must not hang or lose targets
        account("k1", owner="环A", parent="环B"), account("k2", owner="环B", parent="环A"),
    ])
    for tid, d in [("p", 1), ("c1", 20), ("c2", 2), ("x1", 100), ("x2", 1), ("d", 400), ("k1", 1), ("k2", 1)]:
        feed(store, tid, 1, day(d))
    units = {u["unit"]: u for u in detect(store).units}
    assert [u for u in units] [0] == "省政府办公厅"
    prov = units["省政府办公厅"]
    assert prov["targets"] == 6 and prov["own_targets"] == 1 and prov["depth"] == 0
    assert (prov[STATUS_OK], prov[STATUS_VETO], prov[STATUS_ZOMBIE_CANDIDATE], prov[STATUS_ZOMBIE]) == (3, 1, 1, 1)
    assert prov["problem_targets"] == 3
    county = units["丙县政府"]
    assert (county["targets"], county["depth"], county["parent"]) == (3, 2, "甲市政府")
    assert units["丙县教育局"]["depth"] == 3
    assert units["甲市政府"]["targets"] == 4 and units["乙市政府"]["targets"] == 1
    assert sum(u["own_targets"] for u in units.values()) == 8
    assert units["环A"]["targets"] + units["环B"]["targets"] >= 2


def test_reprint_findings_through_detection(store):
    city = Target(id="city", name="示范市政府网", platform="feed", url="http://www.city.gov.cn/", owner="市政府",
                  last_crawl_ok_at=NOW)
    store.upsert_targets([city, account("a", rules={"reprint_from": ["city"]})])
    store.upsert_items([upstream_item(at=NOW - timedelta(hours=20)),
                        Item(target_id="city", url="http://www.city.gov.cn/yw/2.html", title="另一条要闻",
                             column="要闻", published_at=NOW - timedelta(hours=18))])
    feed(store, "a", 1, NOW - timedelta(hours=30))
    store.upsert_items([reprint("转发：另一条要闻", NOW - timedelta(hours=10), tid="a")])
    report = detect(store)
    late = store.list_findings(FindingFilter(rule_prefix="timeline.reprint_late"))
    assert [f.url for f in late] == ["http://www.city.gov.cn/yw/1.html"]
    assert late[0].target_id == "a" and report.rows[1]["status"] == STATUS_OK


def test_plainly_current_agrees_with_the_full_judgment():
    """The nightly shortcut never skips a target the full judgment would flag or warn about."""
    from govwatch.store import TargetSummary
    from scanner.timeline import STATUS_OK, ThresholdBook, judge_target, plainly_current

    rng = random.Random(5)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=TZ)
    book = ThresholdBook(load_settings(env={}).thresholds)
    skipped = 0
    for n in range(3000):
        platform = rng.choice(["wechat", "weibo", "douyin", "website"])
        last = None if rng.random() < 0.05 else now - timedelta(hours=rng.uniform(-30, 24 * 20))
        ok = None if rng.random() < 0.05 else now - timedelta(hours=rng.uniform(0, 100))
        t = Target(id=f"t{n}", name="x", platform=platform, content_type=rng.choice(["text", "video"]),
                   rules=rng.choice([{}, {}, {}, {"account_stale_days": 3}]), last_published_at=last,
                   last_crawl_ok_at=ok, consecutive_failures=rng.choice([0, 0, 0, 1]),
                   error_kind=rng.choice(["", "", "", "blocked"]))
        summary = TargetSummary(t.id, t.platform, t.content_type, bool(t.rules), last, ok,
                                t.consecutive_failures, t.error_kind)
        states = [ColumnState(t.id, "", last, 1)] if last else []
        days = plainly_current(summary, now, book)
        if days is None:
            continue
        skipped += 1
        v = judge_target(t, states, now, book)
        assert (v.status, v.hits, v.days_since) == (STATUS_OK, [], days), (t, v.status)
    assert skipped > 100  # the shortcut does apply to ordinary accounts


def test_plainly_current_websites_agree_with_the_full_judgment():
    from govwatch.store import TargetSummary
    from scanner.timeline import STATUS_OK, ThresholdBook, judge_target, plainly_current

    rng = random.Random(11)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=TZ)
    book = ThresholdBook(load_settings(env={}).thresholds)
    names = [("动态要闻", "news"), ("通知公告", "notice"), ("政策文件", "policy"), ("机构概况", "overview"),
             ("专题", "other")]
    skipped = 0
    for n in range(4000):
        registered = [Column(name, kind=kind, max_gap_days=rng.choice([None, None, 30]))
                      for name, kind in rng.sample(names, rng.randint(0, 4))]
        t = Target(id=f"s{n}", name="网站", platform="website", columns=registered,
                   rules=rng.choice([{}, {}, {}, {"disabled": ["site.undated"]}]),
                   last_crawl_ok_at=now - timedelta(hours=rng.uniform(0, 90)),
                   consecutive_failures=rng.choice([0, 0, 0, 0, 1]))
        states = []
        for name in ["首页", *[c.name for c in registered], "基层动态"]:
            if rng.random() < 0.9:
                dated = rng.random() < 0.95
                when = now - timedelta(hours=rng.uniform(-20, 24 * rng.choice([3, 10, 20, 200, 400])))
                states.append(ColumnState(t.id, name, when if dated else None, rng.randint(0, 5)))
        pub = max((s.last_published_at for s in states if s.last_published_at), default=None)
        summary = TargetSummary(t.id, "website", "text", bool(t.rules), pub, t.last_crawl_ok_at,
                                t.consecutive_failures, "",
                                [(c.name, c.kind, c.max_gap_days) for c in registered])
        days = plainly_current(summary, now, book, states)
        if days is None:
            continue
        skipped += 1
        v = judge_target(t, states, now, book)
        assert (v.status, v.hits, v.days_since) == (STATUS_OK, [], days), (t, states, v.status, v.hits)
    assert skipped > 100


def test_an_old_date_at_the_top_of_an_active_column_is_backdated():
    """First seen today, dated a month ago, listed above yesterday's items (issue 20)."""
    column_latest = {"通知公告": day(1)}  # the column is active: its newest item is from yesterday
    on_top = item(1, day(30), column="通知公告", meta={"list_newer_below": day(1).isoformat()})
    hits = judge_new_items(account(), [on_top], NOW, PREVIOUS_CRAWL, column_latest)
    assert [h.rule for _, h in hits] == ["timeline.backdated"]
    assert "排在" in hits[0][1].detail and fmt_local(day(1)) in hits[0][1].detail
    # negatives: the same old date in its place in the list (nothing newer below it) …
    in_place = item(2, day(30), column="通知公告", meta={"list_newer_below": day(31).isoformat()})
    assert judge_new_items(account(), [in_place], NOW, PREVIOUS_CRAWL, column_latest) == []
    assert judge_new_items(account(), [item(3, day(30), column="通知公告")], NOW, PREVIOUS_CRAWL, column_latest) == []
    # … a recent item on top (within backdated_days), a first crawl, a column never crawled before
    fresh = item(4, NOW - timedelta(days=2), column="通知公告", meta={"list_newer_below": NOW.isoformat()})
    assert judge_new_items(account(), [fresh], NOW, PREVIOUS_CRAWL, column_latest) == []
    assert judge_new_items(account(), [on_top], NOW, None, column_latest) == []
    assert judge_new_items(account(), [on_top], NOW, PREVIOUS_CRAWL, {"其他": day(1)}) == []
    # a damaged value is ignored, not fatal
    broken = item(5, day(30), column="通知公告", meta={"list_newer_below": "昨天"})
    assert judge_new_items(account(), [broken], NOW, PREVIOUS_CRAWL, column_latest) == []


def test_the_site_spider_records_the_newest_date_listed_below_each_entry():
    from crawler.pipelines import item_from_page
    from crawler.spiders.site import SiteSpider
    from govwatch.models import SiteReport

    target = site()
    spider = SiteSpider(targets=[target])
    spider.settings = {}
    spider.reports[target.id] = SiteReport(target_id=target.id, homepage_url=target.url, fetched_at=NOW)
    listing = [{"url": "http://www.demo.gov.cn/a1.html", "title": "补发", "date": day(30)},
               {"url": "http://www.demo.gov.cn/a2.html", "title": "昨天", "date": day(1)},
               {"url": "http://www.demo.gov.cn/a3.html", "title": "前天", "date": day(2)},
               {"url": "http://www.demo.gov.cn/a4.html", "title": "无日期", "date": None}]
    requests = list(spider._follow_articles(target, "通知公告", listing, "http://www.demo.gov.cn/list.html"))
    assert [r.meta["newer_below"] for r in requests] == [day(1), day(2), None, None]
    from crawler.extract import extract_page

    page = extract_page("<html><head><title>补发</title></head><body><p>正文</p></body></html>".encode(),
                        requests[0].url, {})
    data = {"target_id": target.id, "platform": "website", "url": requests[0].url, "column": "通知公告",
            "page": page, "newer_below": requests[0].meta["newer_below"]}
    assert item_from_page(data, "0" * 64).meta["list_newer_below"] == day(1).isoformat()
