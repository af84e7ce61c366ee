"""The site farm (govwatch.demo.farm): determinism, HTTP behaviour, planted problems, new-media endpoints."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

from govwatch.demo.farm import Farm
from govwatch.demo.util import id_check_char
from govwatch.models import Target

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def farm():
    """A shared farm with the default problems; tests that switch problems use ``fresh``."""
    with Farm(seed=7, sites=4, now=NOW) as f:
        yield f


@pytest.fixture
def fresh():
    with Farm(seed=7, sites=4, now=NOW) as f:
        yield f


def get(url: str, **kw) -> requests.Response:
    return requests.get(url, timeout=10, **kw)


def planted_by(farm: Farm, problem: str, target_id: str | None = None) -> list[dict]:
    return [p for p in farm.planted() if p["problem"] == problem and (target_id is None or p["target_id"] == target_id)]


def valid_id(number: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", number)) and id_check_char(number[:17]) == number[17]


# --- registry -------------------------------------------------------------------------------------------

def test_targets_are_registry_rows(farm):
    targets = farm.targets()
    ids = [t["id"] for t in targets]
    assert ids[:4] == ["site-01", "site-02", "site-03", "site-04"]
    assert {"wechat-01", "wechat-02", "wechat-03", "wechat-04", "weibo-01", "weibo-02", "feed-01"} <= set(ids)
    owners = {t["owner"] for t in targets}
    for t in targets:
        Target.from_dict(t)  # every field is one govwatch knows
        assert t["url"].startswith(farm.base_url)
        assert t["owner_level"] in ("省", "市", "县", "部门")
        assert not t["parent"] or t["parent"] in owners, t  # roll-up: the parent owns a target too
        assert t["emails"] and all(e.endswith("@demo.gov.cn") for e in t["emails"])
    sites = [t for t in targets if t["platform"] == "website"]
    assert [t["owner_level"] for t in sites] == ["省", "市", "县", "部门"]
    for t in sites:
        assert t["url"] == f"{farm.base_url}/s/{t['id']}/"
        assert {c["kind"] for c in t["columns"]} == {"news", "notice", "policy", "overview", "interaction"}
    weibo = next(t for t in targets if t["id"] == "weibo-01")
    assert weibo["url"] == f"{farm.base_url}/weibo/u/{weibo['account_id']}"
    assert all(t["feed_url"] for t in targets if t["platform"] in ("wechat", "feed"))


def test_planted_lists_the_default_problems(farm):
    got = {(p["target_id"], p["rule"]) for p in farm.planted()}
    assert got >= {
        ("site-03", "site.column_stale"), ("site-03", "banned.cult"), ("site-03", "privacy.id_number"),
        ("site-03", "privacy.mobile"), ("site-03", "site.dead_link"), ("site-03", "site.dark_link"),
        ("site-03", "site.footer_missing"), ("site-04", "site.link_hijacked"), ("site-04", "privacy.id_number"),
        ("site-04", "secret.marker"), ("site-04", "expression.term"),
        ("wechat-03", "account.stale_veto"), ("wechat-04", "account.empty"), ("weibo-02", "collector.error"),
    }
    assert not [p for p in farm.planted() if p["target_id"] in ("site-01", "site-02")]


# --- every planted website problem is really on the pages ----------------------------------------------------

def test_planted_content_problems_are_on_their_pages(farm):
    for p in farm.planted():
        if p["rule"] in ("banned.cult", "secret.marker", "expression.term", "privacy.mobile") or (
                p["rule"] == "privacy.id_number" and p["problem"] == "privacy_leak"):
            assert p["match"] in get(p["url"]).text, p
        if p["rule"].startswith("privacy.id_number"):
            assert valid_id(p["match"])


def test_planted_attachments_hold_full_id_numbers(farm):
    from openpyxl import load_workbook

    entries = planted_by(farm, "attachment_pii", "site-04")
    assert {p["url"].rsplit(".", 1)[-1] for p in entries} == {"xlsx", "pdf"}
    page = get(entries[0]["parent_url"]).text
    for p in entries:
        assert p["url"].replace(farm.base_url, "").replace("&", "&amp;") in page
        r = get(p["url"])
        assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
        if p["url"].endswith(".xlsx"):
            cells = [str(c) for row in load_workbook(io.BytesIO(r.content)).active.values for c in row]
            assert p["match"] in cells
        else:
            assert r.content.startswith(b"%PDF-") and "".join(f"{ord(c):04X}" for c in p["match"]).encode() in r.content


def test_planted_link_problems(farm):
    home = get(f"{farm.base_url}/s/site-03/").text
    dead = planted_by(farm, "dead_link")[0]
    assert dead["url"].replace(farm.base_url, "") in home and get(dead["url"]).status_code == 404
    dark = planted_by(farm, "dark_link")[0]
    assert re.search(r'<div style="display:none"><a href="' + re.escape(dark["link"]) + '"', home)
    assert dark["link"].startswith(farm.outside_url) and "博彩" in get(dark["link"]).text
    assert "网站标识码" not in home and "ICP备" not in home and "conac" not in home  # footer_missing
    hijacked = planted_by(farm, "hijacked_link")[0]
    assert hijacked["url"] in get(f"{farm.base_url}/s/site-04/").text
    assert "百家乐" in get(hijacked["url"]).text
    stale = planted_by(farm, "stale_column")[0]
    newest = re.search(r'class="date">(\d{4}-\d{2}-\d{2})<', get(stale["url"]).text).group(1)
    assert (NOW.date() - datetime.strptime(newest, "%Y-%m-%d").date()).days >= 200


def test_clean_sites_show_only_compliant_forms(farm):
    urls = farm.special_urls()
    site01 = get(f"{farm.base_url}/s/site-01/").text
    assert "网站标识码：" in site01 and "ICP备" in site01 and "公网安备" in site01 and "conac" in site01
    assert "display:none" not in site01
    masked = get(urls["masked_privacy"]).text
    assert re.search(r"\d{6}\*{8}\d{3}[\dX]", masked) and re.search(r"1\d{2}\*{4}\d{4}", masked)
    assert re.search(r"联系电话：0571-\d{8}", masked)
    assert not [m for m in re.findall(r"(?<!\d)\d{17}[\dX](?!\d)", masked) if valid_id(m)]
    assert "打击赌博" in get(urls["condemn_gambling"]).text
    assert "扫黄打非" in get(urls["condemn_saohuang"]).text
    assert "黄色预警" in get(urls["weather_warning"]).text
    for url in (urls["masked_privacy"], urls["condemn_gambling"]):
        assert "法轮功" not in get(url).text


# --- determinism ----------------------------------------------------------------------------------------------

def _sample_urls(farm: Farm) -> list[str]:
    urls = farm.special_urls()
    t = {x["id"]: x for x in farm.targets()}
    return [t["site-01"]["url"], t["site-02"]["columns"][0]["url"], urls["gbk_article"], urls["wrong_charset"],
            urls["wechat_article"], urls["rss"], urls["json_feed"], urls["weibo_timeline"],
            planted_by(farm, "attachment_pii")[0]["url"], planted_by(farm, "banned_term")[0]["url"]]


def test_same_seed_same_bytes():
    with Farm(seed=11, sites=4, now=NOW) as a:
        port, first = a.port, [get(u).content for u in _sample_urls(a)]
    with Farm(seed=11, sites=4, now=NOW, port=port) as b:
        assert [get(u).content for u in _sample_urls(b)] == first
    with Farm(seed=12, sites=4, now=NOW) as c:
        other = [get(u).content for u in _sample_urls(c)]
    assert other[0] != first[0]


# --- charsets ----------------------------------------------------------------------------------------------------

def test_gbk_site_is_really_gbk(farm):
    r = get(farm.special_urls()["gbk_article"])
    assert r.headers["Content-Type"] == "text/html; charset=gbk"
    assert b'charset=gbk' in r.content
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    text = r.content.decode("gbk")
    assert "发布时间：" in text and "信息来源：" in text and 'id="zoom"' in text
    assert re.search(r'<meta name="PubDate" content="\d{4}-\d{2}-\d{2} \d{2}:\d{2}">', text)


def test_wrong_charset_page(farm):
    r = get(farm.special_urls()["wrong_charset"])
    assert "gb2312" in r.headers["Content-Type"] and b"charset=gb2312" in r.content
    text = r.content.decode("utf-8")  # the bytes are UTF-8 whatever the page says
    title = re.search(r'<meta name="ArticleTitle" content="([^"]+)"', text).group(1)
    assert title not in r.content.decode("gb2312", errors="replace")


# --- HTTP behaviour ------------------------------------------------------------------------------------------------

def test_conditional_get_and_head(farm):
    url = planted_by(farm, "banned_term")[0]["url"]
    r = get(url)
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert parsedate_to_datetime(modified) < NOW
    again = get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert get(url, headers={"If-Modified-Since": modified}).status_code == 304
    older = parsedate_to_datetime(modified) - timedelta(days=1)
    assert get(url, headers={"If-Modified-Since": older.strftime("%a, %d %b %Y %H:%M:%S GMT")}).status_code == 200
    assert get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) == len(r.content)
    assert head.headers["ETag"] == etag


def test_set_problem_changes_page_etag_and_last_modified(fresh):
    banned = planted_by(fresh, "banned_term")[0]
    before = get(banned["url"])
    assert "法轮功" in before.text
    fresh.set_problem("site-03", "banned_term", on=False)
    after = get(banned["url"])
    assert after.status_code == 200 and "法轮功" not in after.text and "太极拳" in after.text
    assert after.headers["ETag"] != before.headers["ETag"]
    assert parsedate_to_datetime(after.headers["Last-Modified"]) > parsedate_to_datetime(before.headers["Last-Modified"])
    assert get(banned["url"], headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    assert not planted_by(fresh, "banned_term")
    fresh.set_problem("site-03", "banned_term")
    assert get(banned["url"]).content == before.content
    fresh.set_problem("site-01", "wrong_term")
    term = planted_by(fresh, "wrong_term", "site-01")[0]
    assert "北朝鲜" in get(term["url"]).text
    with pytest.raises(ValueError):
        fresh.set_problem("site-01", "no_such_problem")
    with pytest.raises(KeyError):
        fresh.set_problem("site-99", "typo")


def test_error_500_and_timeout(fresh):
    home = f"{fresh.base_url}/s/site-01/"
    fresh.set_problem("site-01", "error_500")
    assert get(home).status_code == 500
    assert get(f"{fresh.base_url}/s/site-01/robots.txt").status_code == 500
    assert ("site-01", "site.down_now") in {(p["target_id"], p["rule"]) for p in fresh.planted()}
    fresh.set_problem("site-01", "error_500", on=False)
    assert get(home).status_code == 200
    fresh.timeout_delay = 0.5
    fresh.set_problem("site-02", "timeout")
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(f"{fresh.base_url}/s/site-02/", timeout=0.2)
    started = time.monotonic()
    assert get(f"{fresh.base_url}/s/site-02/").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_pagination_and_dates(farm):
    column = farm.targets()[0]["columns"][0]  # 动态要闻 of site-01, more than one page
    first = get(column["url"]).text
    assert 'href="index_1.html"' in first and "下一页" in first
    second_url = column["url"].replace("index.html", "index_1.html")
    second = get(second_url).text
    assert 'href="index.html"' in second and "上一页" in second
    assert get(column["url"].replace("index.html", "index_9.html")).status_code == 404
    dates = re.findall(r'class="date">(\d{4}-\d{2}-\d{2})<', first + second)
    assert len(dates) > 15 and dates == sorted(dates, reverse=True)
    newest = datetime.strptime(dates[0], "%Y-%m-%d").date()
    assert 1 <= (NOW.date() - newest).days <= 3
    article = re.search(r'<li><a href="(/s/site-01/art/[^"]+)"', first).group(1)
    page = get(farm.base_url + article).text
    for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnType", "ArticleTitle", "PubDate",
                 "ContentSource", "Keywords", "Author", "Description", "Url"):
        assert f'<meta name="{name}"' in page
    assert 'class="TRS_Editor"' in page and "发布时间：" in page and "来源：" in page
    body = re.sub(r"<[^>]+>", "", page.split('class="TRS_Editor">')[1].split("</div>")[0])
    assert 300 <= len(body.strip()) <= 2000


def test_robots_404_and_request_log(fresh):
    fresh.reset_requests()
    robots = get(f"{fresh.base_url}/s/site-01/robots.txt")
    assert robots.status_code == 200 and "Allow: /" in robots.text
    assert get(f"{fresh.base_url}/s/site-01/no/such/page.html").status_code == 404
    assert get(f"{fresh.base_url}/nothing-here").status_code == 404
    assert [(m, p) for m, p, _ in fresh.requests] == [
        ("GET", "/s/site-01/robots.txt"), ("GET", "/s/site-01/no/such/page.html"), ("GET", "/nothing-here")]
    assert "User-Agent" in fresh.requests[0][2]


def test_hostile_pages_stay_off_the_crawl_path_until_switched_on(fresh):
    urls = fresh.special_urls()
    home = f"{fresh.base_url}/s/site-03/"
    assert "/hostile/" not in get(home).text
    fresh.set_problem("site-03", "hostile_pages")
    assert get(home).text.count("/hostile/") == 5
    assert int(requests.head(urls["hostile_big"], timeout=10).headers["Content-Length"]) >= 10 * 1024 * 1024
    with pytest.raises(requests.exceptions.TooManyRedirects):
        get(urls["hostile_loop"])
    with pytest.raises(requests.exceptions.RequestException):
        get(urls["hostile_truncated"])
    assert get(urls["hostile_binary"]).headers["Content-Type"].startswith("text/html")
    assert get(urls["hostile_unclosed"]).text.endswith('<a href="')


# --- new media -------------------------------------------------------------------------------------------------------

def test_weibo_profile_timeline_and_throttling(farm):
    urls = farm.special_urls()
    profile = get(urls["weibo_profile"]).json()
    assert profile["ok"] == 1 and profile["data"]["userInfo"]["followers_count"] == "100万+"
    tabs = {t["tabKey"]: t["containerid"] for t in profile["data"]["tabsInfo"]["tabs"]}
    uid = str(profile["data"]["userInfo"]["id"])
    assert tabs["weibo"] == "107603" + uid
    pages, page = [], 1
    while True:
        data = get(urls["weibo_timeline"].replace("page=1", f"page={page}")).json()
        if data["ok"] != 1:
            assert data["data"]["cards"] == []
            break
        pages.append(data["data"]["cards"])
        page += 1
    assert len(pages) == 3
    cards = [c for p in pages for c in p]
    assert {c["card_type"] for c in cards} > {9}
    posts = [c["mblog"] for c in cards if c["card_type"] == 9]
    created = [m["created_at"] for m in posts]
    assert "刚刚" in created and "5分钟前" in created and any(c.startswith("昨天 ") for c in created)
    assert any(re.fullmatch(r"\d{2}-\d{2}", c) for c in created)
    assert any(re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \+0800 \d{4}", c) for c in created)
    assert posts[0].get("isTop") == 1  # the pinned post comes first, months old
    assert any(m.get("retweeted_status") for m in posts) and any(m["pics"] for m in posts)
    assert any(isinstance(m["attitudes_count"], str) for m in posts)
    long_post = next(m for m in posts if m["isLongText"])
    extended = get(f"{farm.base_url}/weibo/statuses/extend?id={long_post['id']}").json()
    assert len(extended["data"]["longTextContent"]) > len(long_post["text"]) - 40
    assert get(urls["weibo_throttled_profile"]).status_code == 432
    assert get(urls["weibo_throttled_timeline"]).status_code == 432


def test_wechat_pages(farm):
    urls = farm.special_urls()
    page = get(urls["wechat_article"]).text
    assert re.search(r'<meta property="og:title" content="[^"]+">', page)
    assert re.search(r'var msg_title = "[^"]+";', page) and re.search(r'var nickname = "[^"]+";', page)
    ct = int(re.search(r'var ct = "(\d+)";', page).group(1))
    assert timedelta(hours=12) < NOW - datetime.fromtimestamp(ct, timezone.utc) < timedelta(days=3)
    assert '<em id="publish_time" class="rich_media_meta rich_media_meta_text">昨天</em>' in page
    assert 'id="activity-name"' in page and 'id="js_name"' in page and 'id="js_content"' in page
    assert "data-src=" in page
    assert "该内容已被发布者删除" in get(urls["wechat_deleted"]).text
    blocked = get(urls["wechat_blocked"]).text
    assert "环境异常" in blocked and "seccodeImage" in blocked


def test_feeds_parse(farm):
    urls = farm.special_urls()
    rss = ET.fromstring(get(urls["rss"]).content)
    items = rss.findall("./channel/item")
    assert len(items) == 20
    assert get(items[0].findtext("link")).status_code == 200
    parsedate_to_datetime(items[0].findtext("pubDate"))
    atom = ET.fromstring(get(urls["atom"]).content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert len(atom.findall("a:entry", ns)) == 20
    feed = get(urls["json_feed"]).json()
    assert feed["version"].startswith("https://jsonfeed.org/") and len(feed["items"]) == 20
    stale = get(urls["stale_feed"]).json()
    newest = max(datetime.fromisoformat(i["date_published"]) for i in stale["items"])
    assert NOW - newest > timedelta(days=20)
    empty = ET.fromstring(get(urls["empty_feed"]).content)
    assert empty.find("./channel") is not None and empty.findall("./channel/item") == []
    douyin = ET.fromstring(get(urls["douyin_feed"]).content)
    assert get(douyin.find("./channel/item").findtext("link")).status_code == 200


# --- scale and the command line ----------------------------------------------------------------------------------------

def test_large_farm_serves_any_page():
    # 2,000 sites × 200 pages: pages are made when asked for (how fast it starts is bench material,
    # not a test assertion on a shared machine)
    with Farm(seed=3, sites=2000, pages=200, now=NOW) as big:
        last = big.sites.specs[-1]
        col = last.column("news")
        assert col.count >= 60
        url = big.base_url + big.sites.article_path(last, col, col.count - 1)
        assert get(url).status_code == 200
        assert get(big.base_url + big.sites.column_path(last, col, big.sites.pages_of(col) - 1)).status_code == 200
        assert len(big.targets()) == 2000 + 7


def test_command_line_prints_base_url_and_registry():
    proc = subprocess.Popen([sys.executable, "-m", "govwatch.demo.farm", "--sites", "2", "--pages", "20"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        base = proc.stdout.readline().strip()
        registry = json.loads(proc.stdout.readline())
        assert base.startswith("http://127.0.0.1:")
        assert [t["id"] for t in registry][:2] == ["site-01", "site-02"]
        assert get(registry[0]["url"]).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
