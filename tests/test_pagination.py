"""Pagination families (crawler/pagination.py), hidden-link evidence (crawler/sitecrawl.py) and
short list titles, on small pages written here."""
from crawler.extract import extract_list_page
from crawler.page import parse_html
from crawler.pagination import hanweb_records, paginate
from crawler.sitecrawl import suspect_links

BASE = "http://www.example.gov.cn/col/col1234/"


def urls(html, url=BASE + "index.html"):
    return paginate(html, url).urls


def test_trs_numbered_window_is_filled_in_up_to_the_last_page():
    pager = ('<span>1</span> <a href="index_1.html">2</a> <a href="index_2.html">3</a> …'
             ' <a href="index_1.html">下一页</a> <a href="index_8.html">尾页</a>')
    assert urls(pager) == [f"{BASE}index_{n}.html" for n in range(1, 9)]
    # on a later page the first page keeps its own name (index.html, never index_0.html)
    later = '<a href="index.html">1</a> <span>2</span> <a href="index_2.html">3</a> <a href="index_3.html">尾页</a>'
    assert urls(later, BASE + "index_1.html") == [BASE + "index.html", BASE + "index_2.html", BASE + "index_3.html"]


def test_query_slash_and_list_patterns_with_printed_totals():
    q = '<a href="list.jsp?cid=5&page=2">2</a> <a href="list.jsp?cid=5&page=3">3</a> 共 5 页'
    assert urls(q, BASE + "list.jsp?cid=5") == [f"{BASE}list.jsp?cid=5&page={n}" for n in range(2, 6)]
    s = '<a href="/news/2.html">2</a><a href="/news/3.html">3</a><a href="/news/4.html">末页</a>'
    assert urls(s, "http://x.gov.cn/news/") == [f"http://x.gov.cn/news/{n}.html" for n in (2, 3, 4)]
    lst = '<a href="list_2.html">2</a> 第 1/4 页'
    assert urls(lst, BASE + "list.html") == [f"{BASE}list_{n}.html" for n in (2, 3, 4)]
    pn = '<a href="?pageNum=2">2</a><a href="?curpage=9">x</a> 页次：1/3'
    assert urls(pn, BASE + "a.jsp") == [BASE + "a.jsp?pageNum=2", BASE + "a.jsp?pageNum=3"]


def test_trs_scripts_and_count_variables():
    assert urls('<script>createPageHTML(3, 0, "index", "shtml");</script>', BASE + "index.shtml") == \
        [BASE + "index_1.shtml", BASE + "index_2.shtml"]
    counted = '<script>var countPage = 3;var currentPage = 0;createPageHTML(countPage, currentPage, "index", "htm");</script>'
    assert urls(counted, BASE + "index.htm") == [BASE + "index_1.htm", BASE + "index_2.htm"]
    assert paginate(counted, BASE + "index.htm").total == 3


def test_page_number_form_with_printed_total():
    form = ('<span>共 3 页</span><form action="list.do" method="get"><input type="hidden" name="cid" value="7">'
            '跳转到<input type="text" name="pageNum">页<input type="submit" value="GO"></form>')
    assert urls(form, BASE + "list.do?cid=7") == [BASE + "list.do?cid=7&pageNum=2", BASE + "list.do?cid=7&pageNum=3"]
    assert urls(form.replace("共 3 页", "")) == []  # no count: nothing guessed


def test_hanweb_datastore_records_and_proxy_pages():
    records = "".join(f"<record><![CDATA[<li><a href='/art/2026/11/{d}/art_1234_{d}.html' title='第{d}条工作动态信息'>"
                      f"第{d}条工作动态信息</a><span>2026-11-{d:02d}</span></li>]]></record>" for d in range(1, 16))
    page = ('<div id="div5"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
            'dataproxy.jsp?page=1&webid=3&columnid=1234&unitid=5&permissiontype=0"></a>]]></nextgroup>'
            f"<recordset>{records}</recordset></datastore></script></div>"
            "<script>$('#div5').jpage({dataStore:dataStore,proxyUrl:'/module/web/jpage/dataproxy.jsp',"
            "perPage:5,totalRecord:38,groupSize:3});</script>")
    assert len(hanweb_records(page)) == 15
    items = extract_list_page(page, BASE + "index.html")
    assert len(items) == 15 and items[0]["title"] == "第1条工作动态信息"
    got = paginate(page, BASE + "index.html")
    assert got.family == "hanweb" and got.total == 8
    assert got.urls == [
        "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=5"
        "&webid=3&columnid=1234&unitid=5&permissiontype=0",
        "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=31&endrecord=38&perpage=5"
        "&webid=3&columnid=1234&unitid=5&permissiontype=0"]


def test_short_titles_with_their_own_date_are_entries_but_banners_and_more_links_are_not():
    page = ('<html><body><div class="today">今天是2026年11月27日 <a href="/login">登录</a></div>'
            '<ul class="updates"><li><a href="/col/yw/">要闻</a><span>2026-11-27</span></li>'
            '<li><a href="/col/tz/">通知</a> 2026-11-20</li><li><a href="/more">更多</a> 2026-11-20</li></ul></body></html>')
    got = [(e["title"], e["date"].day) for e in extract_list_page(page, "http://x.gov.cn/")]
    assert got == [("要闻", 27), ("通知", 20)]


def test_hidden_links_carry_their_reason_and_menus_are_not_hidden():
    page = parse_html(
        '<html><head><style>.gone{display:none}.menu li:hover ul{display:block}.menu ul{display:none}'
        '@media (max-width:768px){.pc-footer{display:none}}</style></head><body bgcolor="#FFFFFF">'
        '<div class="gone"><a href="http://a.example/">a</a></div>'
        '<ul class="menu"><li>新媒体<ul><li><a href="https://weibo.com/x">微博</a></li></ul></li></ul>'
        '<div class="pc-footer"><a href="http://beian.example/">备案</a></div>'
        '<div style="position:absolute;left:-9999px"><a href="http://b.example/">b</a></div>'
        '<marquee width="1" height="1"><a href="http://c.example/">c</a></marquee>'
        '<p><font color="#fff"><a href="http://d.example/">d</a></font></p>'
        '<div style="width:0;height:0;overflow:hidden"><a href="http://e.example/">e</a></div>'
        '<a href="http://visible.example/">v</a></body></html>')
    got = {link["url"]: link["how"] for link in suspect_links(page, "http://x.gov.cn/")}
    assert got == {"http://a.example/": "display:none 隐藏", "http://b.example/": "移出可视区域",
                   "http://c.example/": "marquee 滚动隐藏", "http://d.example/": "文字颜色与背景相同",
                   "http://e.example/": "尺寸为零"}


def test_numbered_links_that_are_not_a_pager_are_ignored():
    carousel = "".join(f'<a href="/art/2026/11/{d}/art_1234_{5000 + d}.html">{d}</a>' for d in range(1, 5))
    assert urls(carousel) == []
