"""crawler.feeds: RSS 2.0, Atom, JSON Feed (and RSS 1.0) as the bridges serve them."""
from datetime import datetime, timedelta, timezone

import pytest
import requests

from crawler.feeds import FeedError, parse_feed, parse_feed_date
from govwatch.models import TZ, UTC

NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def farm():
    from govwatch.demo.farm import Farm

    with Farm(seed=7, sites=1, now=NOW) as f:
        yield f


def _get(url: str) -> bytes:
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200
    return resp.content


def test_the_three_formats_of_one_account_agree(farm):
    urls = farm.special_urls()
    feeds = {kind: parse_feed(_get(urls[key]), urls[key], NOW)
             for kind, key in (("rss", "rss"), ("atom", "atom"), ("json", "json_feed"))}
    assert [f.kind for f in feeds.values()] == ["rss", "atom", "json"]
    rss = feeds["rss"]
    assert len(rss.entries) == 20
    assert rss.title == "示范市人民政府"
    for other in (feeds["atom"], feeds["json"]):
        assert [e.title for e in other.entries] == [e.title for e in rss.entries]
        assert [e.link for e in other.entries] == [e.link for e in rss.entries]
        assert [e.published for e in other.entries] == [e.published for e in rss.entries]
        assert [e.text for e in other.entries] == [e.text for e in rss.entries]
    first = rss.entries[0]
    assert first.published.tzinfo is not None and first.published <= NOW
    assert "/wechat/s/" in first.link and "__biz=" in first.link
    assert first.author == "示范市人民政府"
    assert first.text and "<" not in first.text
    published = [e.published for e in rss.entries]
    assert published == sorted(published, reverse=True)


def test_empty_and_stale_feeds(farm):
    urls = farm.special_urls()
    empty = parse_feed(_get(urls["empty_feed"]), urls["empty_feed"], NOW)
    assert empty.entries == []
    stale = parse_feed(_get(urls["stale_feed"]), urls["stale_feed"], NOW)
    assert stale.entries and max(e.published for e in stale.entries) < NOW - timedelta(days=20)


def test_rsshub_douyin_feed(farm):
    url = farm.special_urls()["douyin_feed"]
    feed = parse_feed(_get(url), url, NOW)
    assert len(feed.entries) == 15
    entry = feed.entries[0]
    assert "/douyin/video/" in entry.link
    assert entry.images and entry.images[0]["url"].endswith(".png")
    assert "#应急科普" in entry.text


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>示范发布</title><link>https://example.gov.cn/</link>
<item><title> 关于 开展 安全生产检查的通知 </title><link>https://example.gov.cn/a/1.html</link>
<guid isPermaLink="false">a-1</guid><pubDate>Fri, 20 Nov 2026 09:15:00 +0800</pubDate>
<description>摘要</description><content:encoded><![CDATA[<p>正文第一段</p><p>第二段<a href="/x.html">链接</a><img src="/i.png"></p>]]></content:encoded>
<dc:creator>办公室</dc:creator><enclosure url="https://example.gov.cn/f.pdf" type="application/pdf" length="10"/></item>
<item><title>无日期</title><guid>https://example.gov.cn/a/2.html</guid><description>纯文本</description></item>
</channel></rss>"""


def test_rss_details():
    feed = parse_feed(RSS.encode("utf-8"))
    first, second = feed.entries
    assert first.title == "关于 开展 安全生产检查的通知"
    assert first.id == "a-1" and first.link == "https://example.gov.cn/a/1.html"
    assert first.published == datetime(2026, 11, 20, 9, 15, tzinfo=TZ)
    assert first.text == "正文第一段\n第二段链接"  # content:encoded wins over the description
    assert first.summary == "摘要" and first.author == "办公室"
    assert first.links[0]["url"] == "https://example.gov.cn/x.html"
    assert first.images[0]["url"] == "https://example.gov.cn/i.png"
    assert first.enclosures == [{"url": "https://example.gov.cn/f.pdf", "type": "application/pdf", "length": "10"}]
    # a permalink guid is the link; no date stays None
    assert second.link == "https://example.gov.cn/a/2.html" and second.published is None
    assert second.text == "纯文本"


def test_rss_from_str_with_declaration():
    assert len(parse_feed(RSS).entries) == 2


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>示范</title><updated>2026-11-20T10:00:00+08:00</updated>
<author><name>示范市人民政府</name></author>
<entry><title>图文</title><id>urn:1</id><link rel="alternate" href="https://mp.weixin.qq.com/s/abc"/>
<link rel="enclosure" href="https://example.com/v.mp4" type="video/mp4"/>
<published>2026-11-20T01:00:00Z</published><updated>2026-11-20T02:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>第一段</p><p>第二段</p></div></content></entry>
<entry><title>只有更新时间</title><id>urn:2</id><link href="https://example.com/2"/>
<updated>2026-11-19T08:00:00+08:00</updated><summary type="html">&lt;b&gt;摘要&lt;/b&gt;</summary></entry>
</feed>"""


def test_atom_details():
    feed = parse_feed(ATOM.encode())
    first, second = feed.entries
    assert feed.kind == "atom" and feed.updated == datetime(2026, 11, 20, 10, tzinfo=TZ)
    assert first.link == "https://mp.weixin.qq.com/s/abc"
    assert first.published == datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
    assert first.text == "第一段\n第二段"
    assert first.author == "示范市人民政府"  # the feed's author stands in
    assert first.enclosures[0]["type"] == "video/mp4"
    assert second.published == datetime(2026, 11, 19, 8, tzinfo=TZ)
    assert second.text == "摘要"


def test_json_feed_details():
    doc = ('{"version": "https://jsonfeed.org/version/1", "title": "示范", "author": {"name": "编辑部"},'
           ' "items": [{"id": "1", "url": "https://example.com/1", "title": "一", "content_text": "正文",'
           ' "date_published": "2026-11-20T09:00:00+08:00", "image": "https://example.com/c.png",'
           ' "attachments": [{"url": "https://example.com/a.mp3", "mime_type": "audio/mpeg"}]},'
           ' {"id": "2", "external_url": "https://example.com/2", "content_html": "<p>二</p>",'
           ' "authors": [{"name": "甲"}, {"name": "乙"}], "date_published": "2026-11-19 08:00"}]}')
    first, second = parse_feed(doc.encode()).entries
    assert first.published == datetime(2026, 11, 20, 9, tzinfo=TZ)
    assert first.author == "编辑部" and first.text == "正文"
    assert first.images == [{"url": "https://example.com/c.png", "alt": ""}]
    assert first.enclosures[0]["type"] == "audio/mpeg"
    assert second.link == "https://example.com/2" and second.author == "甲、乙"
    assert second.published == datetime(2026, 11, 19, 8, tzinfo=TZ)


def test_rss1_rdf():
    doc = """<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://example.com/"><title>R</title><link>https://example.com/</link></channel>
      <item rdf:about="https://example.com/1"><title>一</title><link>https://example.com/1</link>
      <dc:date>2026-11-20T09:00:00+08:00</dc:date><description>文</description></item></rdf:RDF>"""
    feed = parse_feed(doc.encode())
    assert feed.kind == "rdf" and feed.entries[0].published == datetime(2026, 11, 20, 9, tzinfo=TZ)


@pytest.mark.parametrize("body", [
    b"", b"<html><body>502 Bad Gateway</body></html>", b"{\"error\": 1}", b"{not json", b"<foo/>",
])
def test_not_a_feed(body):
    with pytest.raises(FeedError):
        parse_feed(body)


def test_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<rss version="2.0"><channel><title>t</title><item><title>a&x;</title>'
           '<link>https://example.com/1</link></item></channel></rss>')
    feed = parse_feed(doc.encode())
    assert "TOPSECRET" not in feed.entries[0].title


@pytest.mark.parametrize("raw, expected", [
    ("Fri, 20 Nov 2026 09:15:00 +0800", datetime(2026, 11, 20, 9, 15, tzinfo=TZ)),
    ("Fri, 20 Nov 2026 01:15:00 GMT", datetime(2026, 11, 20, 9, 15, tzinfo=TZ)),
    ("20 Nov 2026 09:15:00 +0800", datetime(2026, 11, 20, 9, 15, tzinfo=TZ)),
    ("2026-11-20T01:15:00Z", datetime(2026, 11, 20, 9, 15, tzinfo=TZ)),
    ("2026-11-20T09:15:00", datetime(2026, 11, 20, 9, 15, tzinfo=TZ)),
    ("2026年11月20日 09:15", datetime(2026, 11, 20, 9, 15, tzinfo=TZ)),
    ("3小时前", NOW - timedelta(hours=3)),
    ("", None), ("someday", None),
])
def test_feed_dates(raw, expected):
    assert parse_feed_date(raw, NOW) == expected
