"""Publication time on pages nobody here wrote: labels, formats, page shapes, zones, precision.

The pages in tests/fixtures/dates are hand-written imitations of common layouts (see NOTICE.md
there); the synthetic pages below isolate one label or one shape each.
"""
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest

from crawler.dates import find_dates, parse_date_match, url_date_match
from crawler.extract import extract_page
from crawler.page import parse_html
from crawler.pubtime import _too_big, neighbourhood_marks
from extract_gold import char_f1, gold_body
from govwatch.cli import main
from govwatch.models import TZ

DATES = Path(__file__).resolve().parent / "fixtures" / "dates"
EXPECTED = json.loads((DATES / "expected.json").read_text(encoding="utf-8"))


def at(*args, tz=TZ):
    return datetime(*args, tzinfo=tz)


# ----------------------------------------------------------------------------- formats

@pytest.mark.parametrize("text, expected, precision", [
    ("3/28/2013 9:15:42 AM", at(2013, 3, 28, 9, 15, 42), "second"),
    ("3/28/2013 9:15:42 PM", at(2013, 3, 28, 21, 15, 42), "second"),
    ("12/5/2013 12:05 AM", at(2013, 12, 5, 0, 5), "minute"),
    ("1/2/2014 12:30 PM", at(2014, 1, 2, 12, 30), "minute"),
    ("3/20/2013", at(2013, 3, 20), "day"),
    ("28/3/2013", at(2013, 3, 28), "day"),  # the first number cannot be a month: day first
    ("Mar 28, 2024 4:05 PM", at(2024, 3, 28, 16, 5), "minute"),
    ("December 4, 2021", at(2021, 12, 4), "day"),
    ("December 5, 2021 at 8:11 pm", at(2021, 12, 5, 20, 11), "minute"),
    ("Tue Mar 05, 2019 10:17 pm", at(2019, 3, 5, 22, 17), "minute"),
    ("Sept. 9, 2020", at(2020, 9, 9), "day"),
    ("5 March 2019", at(2019, 3, 5), "day"),
    ("2022年8月15日 下午9:13", at(2022, 8, 15, 21, 13), "minute"),
    ("2005年8月12日16:12:21", at(2005, 8, 12, 16, 12, 21), "second"),
    ("2023-11-5 21:47", at(2023, 11, 5, 21, 47), "minute"),
])
def test_formats(text, expected, precision):
    found = find_dates(text)
    assert len(found) == 1
    assert found[0].value == expected
    assert found[0].granularity == precision


@pytest.mark.parametrize("text, expected", [
    ("《经济研究月刊》1998年3月号（总第87期）", at(1998, 3, 1)),
    ("发表时间：2003年5月", at(2003, 5, 1)),
    ("刊期：2003-05", at(2003, 5, 1)),
])
def test_year_and_month_only_have_month_precision(text, expected):
    found = find_dates(text, months=True)
    assert [(d.value, d.granularity) for d in found] == [(expected, "month")]
    assert find_dates(text) == []  # only when asked


def test_month_forms_do_not_eat_full_dates():
    assert [d.granularity for d in find_dates("2019年10月15日 与 2019-10-15", months=True)] == ["day", "day"]


def test_offsets_are_kept_and_zones_applied_to_times_without_one():
    zoned = find_dates("2021-12-04T09:38:21-05:00")[0]
    assert zoned.zoned and zoned.value.utcoffset() == timedelta(hours=-5)
    minus5 = timezone(timedelta(hours=-5))
    plain = find_dates("2021-12-04 09:38", zone=minus5)[0]
    assert not plain.zoned and plain.value == at(2021, 12, 4, 9, 38, tz=minus5)
    assert find_dates("2021-12-04 09:38")[0].value.tzinfo == TZ


def test_url_dates_say_their_precision():
    assert url_date_match("http://a.gov.cn/xxgk/202311/abc.html") == (at(2023, 11, 1), "month")
    assert url_date_match("http://a.gov.cn/art/2023/11/8/art_1.html") == (at(2023, 11, 8), "day")
    assert parse_date_match("1581517074").granularity == "second"


# ----------------------------------------------------------------------------- labels

def page_with(header: str, reply: str = "", title: str = "关于老旧小区加装电梯的建议") -> str:
    """A forum-like page: headline, a header line, the post, then a reply with a later time."""
    return f"""<html><head><meta charset="utf-8"><title>{title}_论坛</title></head><body>
    <div class="nav"><a href="/">首页</a> 今天是 2026年11月29日</div>
    <h1>{title}</h1>
    <div class="info">{header}</div>
    <div class="post">我们小区是九十年代的六层楼，住着很多老人，上下楼很不方便，希望能统一加装电梯，费用按楼层分摊。</div>
    <div class="reply"><div class="info">{reply or "回复于 2015-3-20 10:00"}</div><div>支持楼主的建议，我们楼也有同样的问题。</div></div>
    </body></html>"""


@pytest.mark.parametrize("header, expected", [
    ("作者：老张 发表于 2015-3-12 09:41", at(2015, 3, 12, 9, 41)),
    ("作者：老张 发表于2015-3-12 09:41", at(2015, 3, 12, 9, 41)),
    ("作者：老张 发表于：2015-3-12 09:41", at(2015, 3, 12, 9, 41)),
    ("发表时间 2012-01-01 08:00", at(2012, 1, 1, 8, 0)),
    ("发表时间2012-01-01 08:00", at(2012, 1, 1, 8, 0)),
    ("发表时间：2012-01-01 08:00", at(2012, 1, 1, 8, 0)),
    ("本帖由 山里人 于 2005年8月12日16:12:21 发表", at(2005, 8, 12, 16, 12, 21)),
    ("张贴 @ 2006-4-1 13:20 | 评论(3)", at(2006, 4, 1, 13, 20)),
    ("楼主：东湖边上住　时间：2017-06-18 21:07:35　点击：3392", at(2017, 6, 18, 21, 7, 35)),
    ("Posted on March 5, 2019 by admin", at(2019, 3, 5)),
    ("Posted on: Mar 28, 2024 4:05 PM", at(2024, 3, 28, 16, 5)),
    ("发布时间：3/28/2013 9:15:42 AM 浏览次数：412", at(2013, 3, 28, 9, 15, 42)),
])
def test_publication_labels_in_forum_and_blog_headers(header, expected):
    item = extract_page(page_with(header))
    assert item.published_at == expected
    assert item.published_at_label  # the label it came from is said


def test_a_profile_date_before_the_post_time_is_not_the_post_time():
    item = extract_page(page_with("注册时间: Mon Jan 14, 2013 9:02 pm 帖子: 64 | 由 lee » Tue Mar 05, 2019 10:17 pm"))
    assert item.published_at == at(2019, 3, 5, 22, 17)


def test_an_edit_note_is_an_update_not_the_publication():
    item = extract_page(page_with("本帖最后由 老街坊 于 2023-11-6 08:03 编辑 发表于 2023-11-5 21:47"))
    assert item.published_at == at(2023, 11, 5, 21, 47)


def test_event_dates_near_the_headline_are_not_the_publication():
    page = """<html><head><meta charset="utf-8"><title>关于举办2023年秋季招聘会的通知</title></head><body>
    <h1>关于举办2023年秋季招聘会的通知</h1><div class="info">2023-11-08 10:30 来源：人社局</div>
    <div class="text"><p>活动时间：2023年12月1日 9:00</p><p>各用人单位：为促进高校毕业生就业，定于12月举办秋季招聘会，请按时报名。</p></div>
    </body></html>"""
    assert extract_page(page).published_at == at(2023, 11, 8, 10, 30)


def test_an_update_label_is_the_last_resort_before_the_text():
    page = """<html><head><meta charset="utf-8"><title>某县概况</title></head><body><h1>某县概况</h1>
    <div class="info">更新时间：2023-11-09 10:00</div><div><p>某县位于省境东部，面积两千平方公里，辖十个乡镇。2001年撤县设区的方案未获批准。</p></div>
    </body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2023, 11, 9, 10, 0)
    assert item.date_reason.startswith("采用标题附近的更新时间")
    # a URL day wins over it, and takes its time of day when they agree
    item = extract_page(page, url="http://a.gov.cn/xxgk/202311/t20231109_1.html")
    assert item.published_at == at(2023, 11, 9, 10, 0) and item.published_at_source == "text"
    assert extract_page(page, url="http://a.gov.cn/xxgk/202311/t20231108_1.html").published_at == at(2023, 11, 8)


def test_the_post_time_not_the_reply_time():
    item = extract_page(page_with("", reply="时间：2015-3-20 10:00"))
    # the reply is labelled, the post is not: with no post time the reply's is the page's only date
    assert item.published_at == at(2015, 3, 20, 10, 0)
    item = extract_page(page_with("时间：2015-3-12 09:41", reply="时间：2015-3-20 10:00"))
    assert item.published_at == at(2015, 3, 12, 9, 41)


def test_chengwen_and_fabu_dates_are_both_kept():
    page = """<html><head><meta charset="utf-8"><title>关于印发某办法的通知</title></head><body>
    <table class="xxgk"><tr><td>成文日期：</td><td>2023-10-20</td></tr><tr><td>发布日期：</td><td>2023-10-27</td></tr></table>
    <h1>关于印发某办法的通知</h1><div class="TRS_Editor"><p>各单位：现将办法印发给你们，请认真贯彻执行。</p>
    <p>某某区人民政府</p><p>2023年10月20日</p></div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2023, 10, 27)
    assert item.published_at_label == "发布日期"
    assert item.written_at == at(2023, 10, 20)
    assert "成文日期 2023-10-20" in item.date_reason and "发布日期" in item.date_reason


def test_only_a_chengwen_date_is_used_when_nothing_says_when_it_was_published():
    page = """<html><head><meta charset="utf-8"><title>某办法</title></head><body><h1>某办法</h1>
    <div class="footer-info">成文日期：2023-10-20</div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2023, 10, 20)
    assert item.written_at == at(2023, 10, 20)


# ----------------------------------------------------------------------------- shapes

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_own_layouts(name):
    want = EXPECTED[name]
    raw = (DATES / name).read_bytes()
    item = extract_page(raw, url=want["url"])
    assert item.title == want["title"]
    expected = datetime.fromisoformat(want["published_at"])
    assert item.published_at == expected
    assert item.published_at.utcoffset() == expected.utcoffset()  # the page's own offset is kept
    assert item.published_at_precision == want["precision"]
    if "written_at" in want:
        assert item.written_at == datetime.fromisoformat(want["written_at"])
        assert item.published_at_label == want["label"]
    assert char_f1(item.text, gold_body(raw, want)) >= 0.9
    # without the URL the page alone gives the same time
    assert extract_page(raw).published_at == expected


@pytest.mark.parametrize("name, reply_words", [
    ("discuz_x3.html", "错时共享停车场这个办法好"), ("bbs_old.html", "顶一下"),
    ("tianya_style.html", "同意楼主"), ("phpbb_prosilver.html", "几百米的偏移通常是底图"),
    ("wordpress_zh.html", "好有意义的事情"), ("wordpress_en.html", "Did anyone report"),
    ("blog_old.html", "太漂亮了"),
])
def test_the_first_post_is_the_body_not_the_replies(name, reply_words):
    item = extract_page((DATES / name).read_bytes())
    assert EXPECTED[name]["body_start"] in item.text
    assert reply_words not in item.text


def test_headline_with_a_subtitle_in_a_layout_table():
    item = extract_page((DATES / "layout_subtitle.html").read_bytes())
    assert item.published_at == at(2019, 10, 15, 16, 40)  # not the sidebar's 2019-10-08


def test_date_in_a_sidebar_classed_element_next_to_the_headline():
    page = """<html><head><meta charset="utf-8"><title>某镇召开防汛工作会议</title></head><body>
    <div class="nav"><a href="/">首页</a></div>
    <div class="titlebar"><div class="left"><b>某镇召开防汛工作会议</b></div><div class="right">2019-06-01 08:00</div></div>
    <div class="side"><a href="/1.html">其他新闻一则其他新闻</a> 2019-05-01</div>
    <div class="text"><p>6月1日上午，某镇召开防汛工作会议，部署今年的防汛备汛工作，要求各村落实责任。</p></div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2019, 6, 1, 8, 0)


def test_neighbourhood_never_climbs_to_body_or_a_big_layout_table():
    rows = "".join(f"<tr><td>第{i}行 2001-01-{i:02d}</td></tr>" for i in range(1, 20))
    root = parse_html(f"<html><body><table>{rows}<tr><td><b id='t'>某某标题某某标题</b></td></tr></table>"
                      "<p>2002-02-02</p></body></html>")
    title = root.get_element_by_id("t")
    marks = neighbourhood_marks(title)
    assert all(_tag_of(el) not in ("body", "html", "table") for el in marks)
    assert _too_big(root.find("body/table"))
    item = extract_page(lxml.html.tostring(root, encoding="unicode"))
    assert item.published_at != at(2002, 2, 2)


def _tag_of(el):
    return el.tag if isinstance(el.tag, str) else ""


def test_fallback_first_full_date_of_the_main_text_not_the_navigation_clock():
    page = """<html><head><meta charset="utf-8"><title>某校举行运动会</title></head><body>
    <div class="topbar">2018年10月20日 星期六</div><div class="menu"><a href="/">首页</a></div>
    <h2>某校举行运动会</h2><div class="meta">作者：校团委 浏览：88</div>
    <div class="content"><p>本次运动会共有二十个班级参加，比赛项目包括田径、跳绳和拔河。经过两天的角逐，高二（3）班获得团体总分第一名。</p>
    <p>运动会于2018年10月12日开幕，10月13日闭幕，全校师生参加了开幕式。</p></div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2018, 10, 12)
    assert item.published_at_precision == "day"
    assert any(c["kind"] == "text" for c in item.date_candidates)


def test_blog_date_header_with_a_weekday_right_above_the_post_title():
    page = """<html><head><meta charset="utf-8"><title>山间小记: 秋收</title></head><body>
    <div id="header"><h1>山间小记</h1><div class="today">今天是 2010年10月20日 星期三</div></div>
    <div class="date-outer"><h2 class="date-header"><span>2010年10月3日星期日</span></h2>
    <div class="post-outer"><h3 class="post-title">秋收</h3>
    <div class="post-body">地里的玉米都收完了，父亲说今年雨水好，收成比去年多两成，就是价格还不知道怎么样。</div>
    <div class="post-footer">发表者：山间 时间：<abbr class="published" title="2010-10-03T16:42:00+08:00">下午4:42</abbr></div>
    </div></div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2010, 10, 3, 16, 42)


def test_month_precision_from_a_labelled_year_and_month():
    page = """<html><head><meta charset="utf-8"><title>谈基层调研</title></head><body><h1>谈基层调研</h1>
    <p>发表时间：2003年5月　作者：王某</p><div><p>调研是谋事之基、成事之道，要沉下去，摸实情，不能走马观花。</p></div></body></html>"""
    item = extract_page(page)
    assert (item.published_at, item.published_at_precision) == (at(2003, 5, 1), "month")


def test_a_stated_page_zone_is_honoured():
    page = """<html><head><meta charset="utf-8"><title>Meeting notes of the river volunteers</title></head><body>
    <h1>Meeting notes of the river volunteers</h1><p class="author">Posted on March 5, 2019 10:17 pm</p>
    <div><p>We met at the library and agreed on the spring sampling schedule for all three points.</p></div>
    <div class="footer">所有时间均为 UTC-05:00</div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2019, 3, 5, 22, 17, tz=timezone(timedelta(hours=-5)))
    assert "UTC-05:00" in item.date_reason


def test_meta_beats_text_and_the_reason_says_so():
    page = """<html><head><meta name="PubDate" content="2019-09-18 06:23"><title>某某新闻标题甲</title></head>
    <body><h1>某某新闻标题甲</h1><div>2019-09-17 10:00</div><p>正文。</p></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2019, 9, 18, 6, 23)
    assert item.published_at_source == "meta"
    assert item.date_reason.startswith("采用meta 标签")


def test_explain_lists_candidates_and_the_reason(capsys):
    code = main(["extract", "--explain", str(DATES / "gov_xxgk.html")])
    out = capsys.readouterr().out
    assert code == 0
    assert "理由：采用标题附近的发布标注“发布日期”" in out
    assert "成文日期：2023-10-20" in out
    assert "候选（" in out and "用途：成文" in out


def test_wechat_articles_say_where_their_time_came_from():
    page = (Path(__file__).resolve().parent / "fixtures" / "pages" / "wechat" / "1.html").read_bytes()
    item = extract_page(page)
    assert item.published_at_source == "js" and item.date_reason == "微信公众号文章：采用页面脚本中的发布时间"


def test_a_content_column_classed_right_is_content_when_it_holds_the_headline():
    intro = "".join(f"<p>第{i}段：本区持续推进老旧小区改造，完善配套设施，提升居民生活品质，群众满意度不断提高。</p>" for i in range(30))
    page = f"""<html><head><meta charset="utf-8"><title>某区老旧小区改造进展</title></head><body>
    <div class="left"><a href="/1/">工作动态</a><a href="/2/">通知公告</a></div>
    <div class="right"><div class="bt">某区老旧小区改造进展</div><div class="zw">{intro}</div>
    <div class="xx">发布时间：2021-07-09 09:30</div></div></body></html>"""
    item = extract_page(page)
    assert item.published_at == at(2021, 7, 9, 9, 30)
    assert item.published_at_label == "发布时间"


def test_the_label_reported_is_the_winners_when_an_attribute_adds_the_seconds():
    item = extract_page((DATES / "discuz_x3.html").read_bytes())
    assert (item.published_at, item.published_at_label) == (at(2023, 11, 5, 21, 47, 12), "发表于")
