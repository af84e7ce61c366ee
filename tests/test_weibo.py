"""crawler.weibo: counts, created_at forms, HTML text, answers, and the farm's profile and timeline."""
from datetime import datetime, timedelta

import pytest
import requests

from crawler.weibo import (
    classify_response, parse_count, parse_created_at, parse_long_text, parse_profile, parse_timeline,
    strip_html,
)
from govwatch.models import TZ, UTC

NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
LOCAL = NOW.astimezone(TZ)


@pytest.fixture(scope="module")
def farm():
    from govwatch.demo.farm import Farm

    with Farm(seed=7, sites=1, now=NOW) as f:
        yield f


@pytest.mark.parametrize("raw, value", [
    ("100万+", 1_000_000), ("1.2万", 12_000), ("3亿", 300_000_000), ("1万+", 10_000), ("1,234", 1234),
    ("38650", 38650), (38650, 38650), ("10w", 100_000), ("2.5k", 2500), ("", None), (None, None),
    ("很多", None), (True, None),
])
def test_parse_count(raw, value):
    assert parse_count(raw) == value


@pytest.mark.parametrize("raw, expected, relative", [
    ("Sat Nov 21 10:00:00 +0800 2026", datetime(2026, 11, 21, 10, 0, tzinfo=TZ), False),
    ("Thu Nov 19 23:59:59 +0800 2026", datetime(2026, 11, 19, 23, 59, 59, tzinfo=TZ), False),
    ("2025-11-14", datetime(2025, 11, 14, tzinfo=TZ), False),
    ("11-14", datetime(2026, 11, 14, tzinfo=TZ), False),
    ("12-25", datetime(2025, 12, 25, tzinfo=TZ), False),  # not yet this year: last year
    ("昨天 12:00", datetime(2026, 11, 19, 12, 0, tzinfo=TZ), True),
    ("5分钟前", LOCAL - timedelta(minutes=5), True),
    ("3小时前", LOCAL - timedelta(hours=3), True),
    ("刚刚", LOCAL, True),
])
def test_created_at_forms(raw, expected, relative):
    value, rel = parse_created_at(raw, NOW)
    assert value == expected
    assert value.tzinfo is not None
    assert rel is relative


@pytest.mark.parametrize("now", [
    NOW,
    datetime(2026, 1, 1, 0, 10, tzinfo=UTC),  # 08:10 on New Year's day in Beijing
    datetime(2025, 12, 31, 17, 0, tzinfo=UTC),  # 01:00 on New Year's day in Beijing, still 2025 in UTC
])
def test_fast_paths_agree_with_the_general_date_parser(now):
    from crawler.dates import parse_date_match

    forms = ["刚刚", "1分钟前", "59分钟前", "1小时前", "23小时前", "昨天 00:00", "昨天 23:59", "今天 08:00",
             "01-01", "1-2", "12-31", "11-20", "11-21", "02-29", "2024-02-29", "2025-11-14",
             "Sat Nov 21 10:00:00 +0800 2026", "Thu Jan 01 00:00:00 +0000 2026", "Wed Dec 31 23:59:59 -0500 2025"]
    for raw in forms:
        expected = parse_date_match(raw, now)
        want = (expected.value.replace(microsecond=0), expected.relative) if expected else (None, False)
        assert parse_created_at(raw, now) == want, raw


def test_created_at_garbage():
    assert parse_created_at("", NOW) == (None, False)
    assert parse_created_at("不久以前", NOW) == (None, False)


def test_strip_html():
    html = ('【通知】第一行<br />第二行<a href="/search?containerid=1"><span class="surl-text">#示范发布#</span></a>'
            '<span class="url-icon"><img alt="[赞]" src="//h5.sinaimg.cn/x.png"></span>'
            '<a href="https://weibo.cn/sinaurl?u=https%3A%2F%2Fshop.example.com%2Fa">网页链接</a> &amp; 更多'
            '...<a href="/status/4972816825353004">全文</a>')
    text, links = strip_html(html)
    assert text == "【通知】第一行\n第二行#示范发布#[赞]网页链接 & 更多..."
    assert links == [{"url": "https://shop.example.com/a", "text": "网页链接", "hidden": False, "area": "body"}]


@pytest.mark.parametrize("status, body, kind", [
    (432, b"<html>too many</html>", "rate_limited"),
    (429, b"", "rate_limited"),
    (418, b"", "blocked"),
    (403, b"", "blocked"),
    (500, b"", "http"),
    (200, b'{"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}', "login_expired"),
    (200, '{"ok": 0, "msg": "用户不存在"}'.encode(), "gone"),
    (200, '{"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}'.encode(), "ok"),
    (200, "<html><body>请输入验证码</body></html>".encode(), "blocked"),
    (200, b"<html><body>visitor system</body></html>", "blocked"),
    (200, b"not json", "invalid"),
])
def test_classify_response(status, body, kind):
    assert classify_response(status, body).kind == kind


def test_login_redirect_is_login_expired():
    assert classify_response(200, b"<html></html>", "text/html",
                             "https://passport.weibo.cn/signin/login?r=x").kind == "login_expired"


def test_gone_profile():
    profile = parse_profile({"ok": 0, "msg": "用户不存在"}, "123")
    assert profile.status == "gone" and profile.reason == "用户不存在"
    assert parse_profile({"ok": 0, "msg": "请求参数错误"}, "123").status == "unknown"


# --------------------------------------------------------------------------- farm data

def _get(url: str) -> bytes:
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200
    return resp.content


def test_farm_profile_with_string_follower_count(farm):
    urls = farm.special_urls()
    profile = parse_profile(_get(urls["weibo_profile"]))
    assert profile.status == "live"
    assert profile.screen_name == "示范发布"
    assert profile.followers_raw == "100万+" and profile.followers == 1_000_000
    assert profile.timeline_containerid == "107603" + profile.uid


def test_farm_timeline_cards(farm):
    urls = farm.special_urls()
    timeline = parse_timeline(_get(urls["weibo_timeline"]), NOW)
    posts = timeline.posts
    # card_type 31 (search) and 11 (a group without posts) are skipped: pinned + 10 posts
    assert len(posts) == 11
    assert posts[0].pinned and not any(p.pinned for p in posts[1:])
    assert all(p.url == f"https://m.weibo.cn/detail/{p.id}" for p in posts)
    assert all(p.created_at is not None and p.created_at.tzinfo is not None for p in posts)
    first, second, third, fourth = posts[1:5]
    assert (first.created_at_raw, first.created_at) == ("刚刚", LOCAL)
    assert second.created_at_raw == "5分钟前" and second.created_at == LOCAL - timedelta(minutes=5)
    assert third.created_at == LOCAL - timedelta(hours=3)  # given in the full form
    assert fourth.created_at_raw == "昨天 12:00"
    assert fourth.created_at == datetime(2026, 11, 19, 12, 0, tzinfo=TZ)
    yearless = [p for p in posts if len(p.created_at_raw) == 5 and p.created_at_raw[2] == "-"]
    assert yearless and all(p.created_at.year == 2026 and p.created_at <= NOW for p in yearless)
    # newest first, as the API lists them
    regular = [p.created_at for p in posts[1:]]
    assert regular == sorted(regular, reverse=True)
    # counts given as strings
    assert second.attitudes == 1_000_000
    assert fourth.reposts == 10_000
    # text: HTML stripped, the 【title】 kept as headline
    assert all("<" not in p.text for p in posts)
    assert all(p.headline and p.text.startswith(f"【{p.headline}】") for p in posts[1:6])
    long_post = posts[5]
    assert long_post.is_long_text and long_post.text.endswith("...") and "全文" not in long_post.text
    retweet = posts[7]
    assert retweet.retweet["user"] == "示范省发布" and retweet.retweet["text"].startswith("【")
    assert retweet.retweet["created_at"].tzinfo is not None
    assert posts[8].page_info["type"] == "video"
    assert posts[1].pics and all(u.endswith(".png") and "/large_" in u for u in posts[1].pics)


def test_farm_long_text(farm):
    urls = farm.special_urls()
    short = parse_timeline(_get(urls["weibo_timeline"]), NOW).posts[5]
    text, links = parse_long_text(_get(urls["weibo_long_text"]))
    assert short.text.rstrip(".") and text.startswith(short.text.rstrip("."))
    assert len(text) > len(short.text) + 100
    assert links == []


def test_farm_last_page_is_empty(farm):
    urls = farm.special_urls()
    url = urls["weibo_timeline"].replace("page=1", "page=9")
    body = _get(url)
    assert classify_response(200, body).kind == "ok"
    timeline = parse_timeline(body, NOW)
    assert timeline.posts == [] and timeline.end


def test_farm_throttled_answer(farm):
    urls = farm.special_urls()
    resp = requests.get(urls["weibo_throttled_profile"], timeout=10)
    assert resp.status_code == 432
    assert classify_response(resp.status_code, resp.content).kind == "rate_limited"
