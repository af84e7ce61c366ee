"""crawler.extract on the real fixture pages and on small synthetic pages."""
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from crawler.extract import extract_list_page, extract_page, find_pagination
from extract_gold import char_f1, gold_body
from govwatch.models import TZ

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGES = FIXTURES / "pages"
EXPECTED = json.loads((FIXTURES / "extraction_expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_page_matches_what_it_shows(name):
    expected = EXPECTED[name]
    raw = (PAGES / name).read_bytes()
    item = extract_page(raw)
    assert item.title == expected["title"]
    assert item.published_at is not None and item.published_at.tzinfo is not None
    assert item.published_at.isoformat() == expected["published_at"]
    assert item.published_at_source == expected["published_at_source"]
    if "published_at_precision" in expected:
        assert item.published_at_precision == expected["published_at_precision"]
    if expected["source"] is not None:
        assert item.source == expected["source"]
    for key in ("author", "editor"):
        if key in expected:
            assert getattr(item, key) == expected[key]
    assert char_f1(item.text, gold_body(raw, expected)) >= 0.95
    assert item.state == "live"
    assert item.kind in ("article", "wechat")


def test_body_is_cleaned_of_page_furniture():
    people = extract_page((PAGES / "people/1.html").read_bytes()).text
    assert "分享到" not in people and "责编" not in people and "【1】" not in people
    qq = extract_page((PAGES / "qq/2.html").read_bytes()).text
    assert "返回腾讯网首页" not in qq and "责任编辑" not in qq
    xinhua = extract_page((PAGES / "xinhuanet/1.html").read_bytes()).text
    assert "纠错" not in xinhua and "2018-03-02" not in xinhua  # the 热帖 sidebar


def test_government_meta_tags_are_kept_with_lowercased_names():
    item = extract_page((PAGES / "shanxi/1.html").read_bytes())
    assert item.meta["siteidcode"] == "1400000045"
    assert item.meta["articletitle"] == "山西品牌丝路行（南美站）正式启动"
    assert item.meta["pubdate"] == "2019-09-18 06:23"
    assert item.meta["contentsource"] == "山西日报"


def test_links_are_absolute_with_areas():
    url = "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml"
    item = extract_page((PAGES / "shanxi/1.html").read_bytes(), url=url)
    assert item.links and all(link["url"].startswith(("http://", "https://")) for link in item.links)
    areas = Counter(link["area"] for link in item.links)
    assert areas["friend"] > 0 and areas["footer"] > 0 and areas["nav"] > 0
    friend_urls = {link["url"] for link in item.links if link["area"] == "friend"}
    assert "http://fgw.shanxi.gov.cn/" in friend_urls or "http://fgw.shanxi.gov.cn" in friend_urls


SYNTHETIC = """<html><head><meta charset="utf-8"><title>关于开展安全检查的通知_通知公告_某某市人民政府</title>
<style>.yc { display: none } #gone{visibility:hidden}</style></head>
<body><div class="nav"><a href="/">首页</a><a href="/col/col1/index.html">政务公开</a></div>
<div class="main"><h1>关于开展安全检查的通知</h1>
<div class="info">发布日期：2023年11月8日 10:30　信息来源：市应急管理局　作者：张三</div>
<div class="TRS_Editor"><p>各区县：为做好冬季安全生产工作，现就有关事项通知如下。</p>
<p>一、检查范围包括全市各类生产经营单位，各单位要高度重视。</p>
<p><img data-src="/images/a.jpg" src="data:image/gif;base64,R0lGOD" alt="现场图"></p></div>
<p>附件：<a href="/files/list.xlsx">检查名单.xlsx</a> <a href="/files/notice.pdf">通知全文</a>
<a href="download.jsp?id=1">安排表.docx</a></p>
<p>分享到：</p><p>【打印】【关闭窗口】</p>
<div style="display:none"><a href="http://casino.example.com/">娱乐城</a></div>
<div style="position:absolute; left:-9999px"><a href="http://bet.example.net/">博彩</a></div>
<span class="yc"><a href="http://hidden-by-class.example.org/">x</a></span>
<a id="gone" href="http://hidden-by-id.example.org/">y</a>
<a href="http://visible.example.org/" style="width:0;height:0;overflow:hidden">z</a>
<div class="related">相关文章<a href="/art/2022/1/5/art_1_1.html">旧文</a><span>2022-01-05</span></div>
</div>
<div class="yqlj"><h3>友情链接</h3><a href="http://www.gov.cn/">中国政府网</a><a href="http://old.example.com/">某协会</a></div>
<div class="footer">网站标识码：1234567890 <a href="/sitemap.html">网站地图</a> 2010-2023 版权所有</div>
</body></html>"""


def synthetic():
    return extract_page(SYNTHETIC.encode("utf-8"), url="http://www.example.gov.cn/art/2023/11/8/art_9_9.html")


def test_synthetic_article_fields():
    item = synthetic()
    assert item.title == "关于开展安全检查的通知"
    assert item.published_at == datetime(2023, 11, 8, 10, 30, tzinfo=TZ)
    assert item.published_at_source == "text"
    assert item.source == "市应急管理局"
    assert item.author == "张三"
    assert item.text.startswith("各区县：为做好冬季安全生产工作")
    assert "检查范围" in item.text and "分享到" not in item.text
    assert item.images == [{"url": "http://www.example.gov.cn/images/a.jpg", "alt": "现场图"}]


def test_attachments():
    attachments = {a["url"]: a for a in synthetic().attachments}
    assert attachments["http://www.example.gov.cn/files/list.xlsx"]["ext"] == "xlsx"
    assert attachments["http://www.example.gov.cn/files/notice.pdf"]["text"] == "通知全文"
    assert attachments["http://www.example.gov.cn/art/2023/11/8/download.jsp?id=1"]["ext"] == "docx"


def test_hidden_links_for_dark_link_detection():
    links = {link["url"]: link for link in synthetic().links}
    for url in ("http://casino.example.com/", "http://bet.example.net/", "http://hidden-by-class.example.org/",
                "http://hidden-by-id.example.org/", "http://visible.example.org/"):
        assert links[url]["hidden"], url
    assert not links["http://www.example.gov.cn/files/notice.pdf"]["hidden"]


def test_link_areas():
    links = {link["url"]: link for link in synthetic().links}
    assert links["http://www.example.gov.cn/col/col1/index.html"]["area"] == "nav"
    assert links["http://www.example.gov.cn/sitemap.html"]["area"] == "footer"
    assert links["http://old.example.com/"]["area"] == "friend"
    assert links["http://www.example.gov.cn/files/list.xlsx"]["area"] == "body"


def test_friend_links_in_a_select():
    page = """<html><body><h1>首页</h1><p>欢迎访问。</p><select onchange="window.open(this.value)">
    <option>--友情链接--</option><option value="http://www.example-bureau.gov.cn">某局</option>
    <option value="www.expired-domain.com">旧站</option></select></body></html>"""
    links = {link["url"]: link for link in extract_page(page).links}
    assert links["http://www.example-bureau.gov.cn"]["area"] == "friend"
    assert "http://www.expired-domain.com" in links


def test_time_near_title_beats_sidebar_and_footer_dates():
    page = """<html><head><title>通知</title></head><body>
    <div class="side"><a href="/a">旧闻一则旧闻一则</a> 2020-01-01 08:00</div>
    <h1>关于做好某项工作的通知</h1><div>2023-11-08 10:30:00 来源：办公室</div>
    <div class="content"><p>正文第一段，内容较长，用于测试。正文第一段，内容较长，用于测试。2021年5月1日起施行。</p></div>
    <div class="footer">2005-2023 版权所有 更新时间：2023-12-01</div></body></html>"""
    item = extract_page(page)
    assert item.published_at == datetime(2023, 11, 8, 10, 30, tzinfo=TZ)
    assert item.published_at_precision == "second"
    assert item.source == "办公室"


def test_meta_day_is_refined_by_the_visible_time():
    page = """<html><head><meta name="publishdate" content="2019-06-15"><title>标题甲乙丙丁</title></head>
    <body><h1>标题甲乙丙丁</h1><div>2019年06月15日08:18 来源：人民网</div><p>正文。</p></body></html>"""
    item = extract_page(page)
    assert item.published_at == datetime(2019, 6, 15, 8, 18, tzinfo=TZ)
    assert item.published_at_precision == "minute"


def test_url_date_when_the_page_shows_none():
    page = "<html><head><title>无日期页面</title></head><body><h1>无日期页面</h1><p>正文内容。</p></body></html>"
    item = extract_page(page, url="http://www.example.gov.cn/xxgk/202311/t20231108_123456.html")
    assert item.published_at == datetime(2023, 11, 8, tzinfo=TZ)
    assert item.published_at_source == "url"
    assert extract_page(page).published_at is None
    assert extract_page(page).published_at_source == "none"


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02\xff\xfe binary", b"<html><body><div><p>truncated",
                                  "<?xml version='1.0' encoding='utf-8'?><html><body><p>正文</p></body></html>"])
def test_bad_input_never_raises(body):
    item = extract_page(body)
    assert item.state in ("live", "deleted", "blocked")


def test_large_page_is_handled():
    paragraph = "<p>" + "这是一段很长的正文内容，用于测试大页面。" * 20 + "</p>"
    page = "<html><head><title>大页面测试</title></head><body><h1>大页面测试</h1>" + paragraph * 3000 + "</body></html>"
    assert len(extract_page(page.encode()).text) > 1_000_000


def test_deleted_and_blocked_site_pages():
    gone = "<html><head><title>404</title></head><body><h1>404 Not Found</h1><p>您访问的页面不存在</p></body></html>"
    assert extract_page(gone).state == "deleted"
    waf = "<html><body><p>安全验证</p><p>请输入验证码后继续访问</p></body></html>"
    assert extract_page(waf).state == "blocked"


def test_list_page_163():
    now = datetime(2020, 8, 2, 18, 0, tzinfo=TZ)
    raw = (PAGES / "list/163/1.html").read_bytes()
    items = extract_list_page(raw, "https://news.163.com/", now=now)
    assert len(items) >= 20
    by_title = {item["title"]: item for item in items}
    first = by_title["无缘清华北大的江苏文科第一名 最终申请香港大学"]
    assert first["url"] == "https://news.163.com/20/0802/16/FJ1P0UTC0001899O.html"
    assert first["date"] == datetime(2020, 8, 2, 17, 30, tzinfo=TZ)  # "30分钟前"
    assert all(item["date"].tzinfo is not None for item in items)
    assert extract_page(raw, url="https://news.163.com/").kind == "list"


def test_list_page_with_dates_beside_links():
    rows = "".join(f'<li><a href="/art/2023/11/{d}/art_1_{d}.html">关于第{d}项工作的通知公告</a><span>2023-11-{d:02d}</span></li>'
                   for d in range(1, 13))
    page = f"<html><head><title>通知公告</title></head><body><ul class='list'>{rows}</ul></body></html>"
    items = extract_list_page(page, "http://www.example.gov.cn/col/col1/index.html")
    assert len(items) == 12
    assert items[0] == {"url": "http://www.example.gov.cn/art/2023/11/1/art_1_1.html",
                        "title": "关于第1项工作的通知公告", "date": datetime(2023, 11, 1, tzinfo=TZ)}
    assert extract_page(page).kind == "list"


def test_pagination_next_link_and_trs_script():
    page = """<html><body><div class="page"><a href="index.html">首页</a><a href="index_1.html">下一页</a></div>
    <script>createPageHTML(4, 0, "index", "html");</script></body></html>"""
    pages = find_pagination(page, "http://www.example.gov.cn/xxgk/tzgg/index.html")
    assert pages == ["http://www.example.gov.cn/xxgk/tzgg/index_1.html",
                     "http://www.example.gov.cn/xxgk/tzgg/index_2.html",
                     "http://www.example.gov.cn/xxgk/tzgg/index_3.html"]
    newer = "<script>createPageHTML('page_div', 3, 1, 'index', 'shtml', 60);</script>"
    assert find_pagination(newer, "http://x.gov.cn/a/index_1.shtml") == ["http://x.gov.cn/a/index_2.shtml"]
    assert find_pagination("<html><body>无分页</body></html>", "http://x.gov.cn/") == []


def test_to_json_dict_is_json_ready():
    data = synthetic().to_json_dict()
    json.dumps(data, ensure_ascii=False)
    assert data["published_at"] == "2023-11-08T10:30:00+08:00"
    assert re.match(r"\d{4}-\d\d-\d\dT", data["published_at"])


def test_source_in_adjacent_spans_stops_before_the_next_label():
    body = "<p>" + "为进一步优化营商环境，市政府出台若干措施，涉及企业开办、不动产登记等多个领域。" * 6 + "</p>"
    html = ('<html><head><title>示范市召开优化营商环境推进会</title></head><body><h1>示范市召开优化营商环境推进会</h1>'
            '<div class="info"><span>时间：2023-11-08 09:05</span><span>来源：市政府办公室</span><span>浏览次数：</span></div>'
            f'<div class="content">{body}</div></body></html>')
    page = extract_page(html.encode(), "http://www.example.gov.cn/art/2023/11/8/art_1_1.html")
    assert page.source == "市政府办公室"
    assert page.published_at.strftime("%Y-%m-%d %H:%M") == "2023-11-08 09:05"
