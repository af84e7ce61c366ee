"""Hostile crawled inputs (issue 19, items 4 and 5): each is built at test time, large enough to
stall a quadratic pattern or an unbounded parser, and checked for what it must still yield.

No timing assertions here: bench/hostile.py measures time and memory against benign inputs."""
from __future__ import annotations

from crawler import bounds
from crawler.encoding import decode_html
from crawler.extract import clean_body, extract_page
from crawler.page import _css_rules, _HiddenRules, parse_html

ID = "110101199003074514"
PARA = "<p>为进一步做好民生保障工作，现将有关事项通知如下，请各单位认真贯彻落实。</p>"


def article(body: str, head: str = "") -> str:
    return (f"<html><head><title>关于做好民生保障工作的通知</title>{head}</head>"
            f"<body><div id='zoom'>{PARA}{body}{PARA}</div></body></html>")


# --------------------------------------------------------------------------- encodings

def test_utf8_page_declaring_utf16_in_meta_is_read_as_utf8():
    html = article(f"<p>公示名单：张三，身份证号{ID}，法轮功。</p>", head='<meta charset="utf-16">')
    text, codec = decode_html(html.encode("utf-8"))
    assert codec == "utf-8" and ID in text and "法轮功" in text
    page = extract_page(html.encode("utf-8"), "http://www.example.gov.cn/a/1.html")
    assert ID in page.text and "法轮功" in page.text
    # the http-equiv form, and an all-ASCII page: the same rule
    html2 = '<meta http-equiv="Content-Type" content="text/html; charset=UTF-16LE"><p>plain</p>'
    assert decode_html(html2.encode("ascii")) == (html2, "utf-8")


def test_utf8_page_declaring_utf16_is_scanned(tmp_path):
    from scanner.content import scan_document
    from scanner.lexicon import load_lexicon

    html = article(f"<p>公示名单：张三，身份证号{ID}。</p>", head='<meta charset="utf-16">')
    page = extract_page(html.encode("utf-8"), "http://www.example.gov.cn/a/1.html")
    hits = scan_document(load_lexicon([]), title=page.title, text=page.text)
    assert any(h.rule.startswith("privacy.") and h.match.replace(" ", "") == ID for h in hits)


def test_bom_wins_and_http_utf16_is_honoured():
    body = "<p>标题 政府</p>".encode("utf-16-le")
    assert decode_html(b"\xff\xfe" + body)[0] == "<p>标题 政府</p>"
    assert decode_html(body, "text/html; charset=utf-16le") == ("<p>标题 政府</p>", "utf-16-le")
    # a UTF-8 BOM beats a header that says otherwise
    assert decode_html(b"\xef\xbb\xbf" + "政府".encode(), "text/html; charset=gbk") == ("政府", "utf-8")


def test_meta_prescan_then_strict_utf8_then_declared():
    gbk = ('<html><head><meta charset="gb2312"></head><body>政府信息公开</body></html>').encode("gbk")
    assert decode_html(gbk) == (gbk.decode("gbk"), "gb18030")


def test_invalid_bytes_decode_to_something_of_the_right_size():
    body = b"<html><body><p>" + b"\xff\xfe\x80" * 140_000 + "政府信息".encode() + b"</p></body></html>"
    text, codec = decode_html(body)
    assert codec and len(text) >= 140_000  # every byte becomes a character, nothing is dropped wholesale
    page = extract_page(body, "http://www.example.gov.cn/a/1.html")
    assert page.state == "live"


# --------------------------------------------------------------------------- HTML nesting and size

def test_content_after_nesting_deeper_than_libxml2_limit_is_kept():
    for depth, tag in ((300, "div"), (3000, "div"), (20_000, "span"), (5000, "b")):
        deep = f"<{tag}>" * depth + PARA + f"</{tag}>" * depth
        html = article(deep + f"<p>公示名单：张三，身份证号{ID}，特此公示。</p>")
        page = extract_page(html.encode(), "http://www.example.gov.cn/a/1.html")
        assert ID in page.text, (depth, tag)
        assert page.text.count("民生保障") == 3


def test_depth_guard_leaves_ordinary_pages_alone():
    html = article("<table>" + "<tr><td>一<td>二<td>三" * 400 + "</table>" + "<p>段落" * 600)
    assert bounds.limit_depth(html, 512) == (html, 0)
    nested = "<div>" * 600 + "x" + "</div>" * 600
    flat, dropped = bounds.limit_depth(nested, 512)
    assert dropped == 2 * 88 and flat.count("<div>") == 512 and "x" in flat


def test_depth_guard_does_not_trust_misplaced_end_tags():
    # </b> cannot close a <div> in libxml2: these levels must still be counted
    html = "<body>" + "<b><div></b>" * 1500 + PARA + f"<p>{ID}</p>" + "</div>" * 1500 + "</body>"
    root = parse_html(html)
    assert ID in root.text_content()


def test_html_is_cut_at_the_configured_size():
    old = bounds.limits()
    try:
        bounds.configure({"max_html_chars": 100_000})
        root = parse_html("<html><body><p>" + "政" * 300_000 + "</p></body></html>")
        assert len(root.text_content()) <= 100_000
    finally:
        bounds.configure(old)


# --------------------------------------------------------------------------- linear patterns

def test_style_without_braces_and_hidden_rules():
    css = "a" * 60_000 + " .hid { display : none } #x{visibility:hidden} .ok{color:red} " + "b{" * 20_000
    assert [s.strip() for s, _ in _css_rules(css)] == ["a" * 60_000 + " .hid", "#x", ".ok"]
    root = parse_html(f"<html><head><style>.w{{width:0{' ' * 60_000}x}} .h{{display:none}}</style>"
                      f"<style>{'a' * 60_000}</style></head><body><p class=h>x</p></body></html>")
    rules = _HiddenRules(root)
    assert rules.classes == {"h"}
    page = extract_page(article("<p class=h>隐藏的内容</p>", head="<style>.h{display:none}" + "a" * 60_000 + "</style>"),
                        "http://www.example.gov.cn/a/1.html")
    assert "民生保障" in page.text


def test_long_space_runs_in_lines_and_titles():
    line = "文" + " " * 100_000 + "内容 返回首页>>"
    assert clean_body(line + "\n第二行 [打印]") == "文" + " " * 100_000 + "内容\n第二行"
    from crawler.extract import _split_head_title
    assert _split_head_title("通知标题" + " " * 100_000 + "x_某某市人民政府") == "通知标题" + " " * 100_000 + "x"


def test_link_pattern_on_a_hundred_kilobytes_of_labels():
    from scanner.content import scan_document
    from scanner.lexicon import load_lexicon

    text = "请访问 http://" + "a." * 50_000 + "com 了解详情。另见 http://www.taobao.com/x 。"
    hits = [h for h in scan_document(load_lexicon([]), text=text) if h.rule == "link.commercial"]
    assert len(hits) == 2
    assert hits[0].start == text.index("http://a.") and len(hits[0].detail) < 200
    assert "taobao.com" in hits[1].detail


# --------------------------------------------------------------------------- govwatch check

def test_check_collapses_blank_lines_line_by_line():
    from govwatch.commands.check import collapse_blank_lines

    assert collapse_blank_lines("标题  \n \n\u00a0\n\n  正文\n下一行 \n结尾") == "标题\n  正文\n下一行 \n结尾"
    spaces = " " * 200_000
    assert collapse_blank_lines(spaces + "正文" + spaces) == "正文"
    assert collapse_blank_lines("a" + spaces + "\n" + spaces + "\nb") == "a\nb"


def test_check_reads_a_spaced_out_html_draft_with_a_long_fake_url(tmp_path, capsys):
    import json

    from govwatch.cli import main

    draft = tmp_path / "draft.html"
    body = ("<html><head><title>关于开展专项整治的通知</title></head><body><p>正文" + " " * 200_000
            + f"</p><p>联系人身份证号{ID}</p><p>http://" + "a." * 50_000 + "com</p></body></html>")
    draft.write_text(body, encoding="utf-8")
    rc = main(["check", "--format", "json", str(draft)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["title"] == "关于开展专项整治的通知"
    rules = {f["rule"] for f in out["findings"]}
    assert any(r.startswith("privacy.") for r in rules) and "link.commercial" in rules


# --------------------------------------------------------------------------- attachments

def test_xlsx_declaring_the_whole_sheet_reads_only_its_cells():
    from crawler.attachments import attachment_text
    from govwatch.demo.hostile import xlsx_bytes

    data = xlsx_bytes([["姓名", "身份证号"], ["张三", ID]], dimension="A1:XFD1048576", far_cell="XFD1048576")
    assert len(data) < 5000
    lines = attachment_text(data, "xlsx").splitlines()
    assert lines == ["姓名\t身份证号", f"张三\t{ID}"]  # the far cell is beyond rows and columns read
    near = xlsx_bytes([["张三", ID]], dimension="A1:XFD1048576", far_cell="C900")
    assert attachment_text(near, "xlsx").splitlines() == [f"张三\t{ID}", "\t\t末尾"]
    few = bounds.ParseLimits(max_sheet_cols=1)
    assert attachment_text(near, "xlsx", few).splitlines() == ["张三"]


def test_pdf_pages_sharing_one_huge_content_stream_are_skipped_not_read():
    from crawler.attachments import attachment_text
    from govwatch.demo.hostile import pdf_bytes

    data = pdf_bytes(shared_stream_bytes=1_000_000, page_count=10)
    assert len(data) < 6000
    assert attachment_text(data, "pdf") == ""
    # the same stream within the limits is read once for the ten pages that share it
    loose = bounds.ParseLimits(max_pdf_inflation=1000)
    small = pdf_bytes(shared_stream_bytes=3_000, page_count=10)
    assert attachment_text(small, "pdf", loose).count("a") == attachment_text(pdf_bytes(
        shared_stream_bytes=3_000, page_count=1), "pdf", loose).count("a") > 50
    ordinary = pdf_bytes([f"Name Zhang San ID {ID}", "page two"] * 3)
    text = attachment_text(ordinary, "pdf", bounds.ParseLimits(max_pdf_pages=2))
    assert ID in text and "page two" in text and text.count(ID) == 1


def test_docx_bomb_is_refused_and_a_large_docx_is_streamed():
    import pytest

    from crawler.attachments import AttachmentError, read_attachment
    from govwatch.demo.hostile import docx_bytes

    bomb = docx_bytes([f"身份证号{ID}"], filler_runs=16_500_000)  # document.xml of 99 MB
    with pytest.raises(AttachmentError, match="压缩炸弹"):
        read_attachment(bomb, "docx")
    # allowed through the ratio guard, 30 MB of XML is read in a 250 MB worker: streamed, not built
    # as a tree (five million runs in one paragraph take over 500 MB as a tree)
    big = docx_bytes([f"身份证号{ID}"], filler_runs=5_000_000)
    loose = bounds.ParseLimits(max_zip_ratio=10_000, worker_memory_mb=250)
    assert read_attachment(big, "docx", loose) == f"身份证号{ID}"
    # and cut at max_xml_bytes: what comes after is not read
    cut = bounds.ParseLimits(max_zip_ratio=10_000, max_xml_bytes=1024 * 1024)
    assert read_attachment(big, "docx", cut) == ""


def test_worker_failures_cost_one_file():
    import pytest

    from crawler.attachments import AttachmentError, read_attachment
    from govwatch.demo.hostile import pdf_bytes

    hostile = pdf_bytes(shared_stream_bytes=4_000_000, page_count=1)
    slow = bounds.ParseLimits(max_pdf_inflation=100_000, max_pdf_page_bytes=10**9, worker_timeout=0.5)
    with pytest.raises(AttachmentError, match="超时"):
        read_attachment(hostile, "pdf", slow)
    starved = bounds.ParseLimits(max_pdf_inflation=100_000, max_pdf_page_bytes=10**9, worker_memory_mb=200)
    assert ID in read_attachment(pdf_bytes([f"ID {ID}"]), "pdf", starved)  # enough for an ordinary file
    with pytest.raises(AttachmentError, match="内存|进程"):
        read_attachment(pdf_bytes(shared_stream_bytes=60_000_000, page_count=1), "pdf", starved)
    # the next file is read as usual
    assert ID in read_attachment(pdf_bytes([f"ID {ID}"]), "pdf")


def test_check_reads_docx_through_the_guarded_reader(tmp_path, capsys):
    from govwatch.cli import main
    from govwatch.demo.hostile import docx_bytes

    good = tmp_path / "good.docx"
    good.write_bytes(docx_bytes(["关于公示的通知", f"张三身份证号{ID}"]))
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(docx_bytes(["x"], filler_runs=2_000_000))
    rc = main(["check", str(good), str(bomb)])
    captured = capsys.readouterr()
    assert rc == 2 and "压缩炸弹" in captured.err and "bomb.docx" in captured.err
    assert "身份证" in captured.out


# --------------------------------------------------------------------------- patterns reviewed later

def test_dates_after_long_runs_of_spaces_and_digits():
    from datetime import datetime

    from crawler.dates import find_dates
    from govwatch.models import TZ

    now = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
    text = "今天" + "\u2000" * 100_000 + "x 发布于 2026-11-18 10:30，" + "1" * 100_000 + "天前；3天前更新"
    found = find_dates(text, now, relative=True)
    values = [m.value.date().isoformat() for m in found]
    assert "2026-11-18" in values and "2026-11-17" in values
    assert any(m.value.hour == 10 and m.value.minute == 30 for m in found)
    # a time after the spaces still belongs to its date
    assert find_dates("2026-11-18" + "\u2000" * 5 + "10:30", now)[0].value.minute == 30


def test_furniture_lines_with_long_runs_of_unusual_spaces():
    body = "\n".join(["正文第一段内容很长很长。", "来源" + "\u2000" * 100_000 + "x", "来源：", "1" + "\u2000" * 100_000,
                      "编辑" + "\u2000" * 100_000 + "：张三"])
    assert clean_body(body).split("\n") == ["正文第一段内容很长很长。", "来源" + "\u2000" * 100_000 + "x"]


def test_weibo_html_with_unclosed_tags_and_space_runs():
    from crawler.weibo import strip_html

    text, _ = strip_html("<" * 100_000 + "b>正文<br/>" + "\u00a0" * 100_000 + "\n\n\n第二行 ")
    assert text.endswith("正文\n第二行")


def test_map_captions_and_source_lines_after_long_blank_runs():
    from scanner.maps import CAPTION_START_RE
    from scanner.sources import source_in_text

    assert CAPTION_START_RE.match("\u00a0" * 100_000 + "（ 图1 行政区划图") is not None
    assert CAPTION_START_RE.match("\u00a0" * 100_000 + "!") is None
    assert source_in_text("正文\n" + " " * 100_000 + "x\n" + "\n" * 100_000 + "（来源：新华社）") == "新华社"


def test_evidence_copy_of_a_hostile_page_keeps_what_follows_deep_nesting():
    from datetime import datetime

    from govwatch.evidence import offline_html
    from govwatch.models import TZ

    from govwatch.evidence import _strip_css

    raw = article("<div>" * 5000 + PARA + "</div>" * 5000 + f"<p>身份证号{ID}</p>",
                  head="<style>@import url(http://evil.example/x.css); .a{background:url(http://evil.example/a.png)}</style>")
    html = offline_html(raw.encode(), url="http://www.example.gov.cn/a/1.html",
                        fetched_at=datetime(2026, 11, 20, tzinfo=TZ), sha256="0" * 64).decode("utf-8")
    assert ID in html and "evil.example" not in html
    css = "url(" * 30_000 + "@import" * 10_000 + ".b{background:url('http://evil.example/b.png')}"
    assert "evil.example" not in _strip_css(css) and "@import" not in _strip_css(css)


def test_the_offline_evidence_copy_drops_runs_of_unclosed_url():
    """30,000 "url(" in a <style> kept lxml_html_clean busy for ~27 s: they go before it looks."""
    from govwatch.evidence import _strip_css, offline_html

    page = ("<html><head><style>a{b:" + "url(" * 30_000 + "}</style></head><body><p>公示正文</p></body></html>").encode()
    out = offline_html(page, url="http://www.example.gov.cn/a.html", fetched_at=None, sha256="0" * 64)
    assert "公示正文".encode() in out and out.count(b"url(") < 10
    kept = _strip_css("a{background:url(http://evil/x.png)} b{c:url(data:image/png;base64,AAAA)}")
    assert "url()" in kept and "url(data:image/png;base64,AAAA)" in kept and "evil" not in kept
    assert "url(" not in _strip_css("x{" + "url(data:," * 2000 + "}")


# --------------------------------------------------------------------------- feeds (crawler/feeds.py)

def _rss(items: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<rss version="2.0"><channel><title>示范发布</title>'
            f"<link>https://b.example.cn/</link>{items}</channel></rss>").encode("utf-8")


def _item(n: int, body: str = "") -> str:
    return (f"<item><title>第{n}条通知</title><link>https://b.example.cn/{n}</link>"
            f"<pubDate>Mon, 02 Nov 2026 08:00:00 +0800</pubDate><description>正文{n}{body}</description></item>")


def test_a_billion_laughs_feed_expands_nothing_and_keeps_its_entries():
    from crawler.feeds import parse_feed

    refs = ["&lol;"] + [f"&lol{i};" for i in range(1, 9)]
    lol = '<!ENTITY lol "lol">' + "".join(f'<!ENTITY lol{i} "{refs[i - 1] * 10}">' for i in range(1, 10))
    feed = parse_feed(_rss(_item(1, " &lol9;") + _item(2), f"<!DOCTYPE rss [{lol}]>"))
    assert [e.title for e in feed.entries] == ["第1条通知", "第2条通知"]  # the entries are still read
    everything = repr(feed)
    assert "lollol" not in everything and len(everything) < 5000  # no entity was expanded
    # a "]>" inside an entity value does not end the declaration early
    tricky = parse_feed(_rss(_item(3), '<!DOCTYPE rss [<!ENTITY a "]>&lt;x&gt;"> <!-- ]> -->]>'))
    assert [e.title for e in tricky.entries] == ["第3条通知"] and "]>" not in repr(tricky)


def test_an_external_entity_feed_reads_no_file(tmp_path):
    from pathlib import Path

    from crawler.feeds import parse_feed

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-7f3a9c-本机文件内容", encoding="utf-8")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">', encoding="utf-8")
    hostname = Path("/etc/hostname").read_text(encoding="utf-8").strip() if Path("/etc/hostname").exists() else ""
    cases = [
        ('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>', "&xxe;"),
        (f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>', "&xxe;"),
        (f'<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">', "&leak;"),
        (f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]>', "&leak;"),
    ]
    for prolog, ref in cases:
        feed = parse_feed(_rss(f"<item><title>标题{ref}</title><link>https://b.example.cn/1</link>"
                               f"<description>正文{ref}</description></item>", prolog))
        everything = repr(feed)
        assert [e.link for e in feed.entries] == ["https://b.example.cn/1"], prolog
        assert "SECRET-7f3a9c" not in everything, prolog
        if len(hostname) >= 4:  # a very short host name could occur in the feed by chance
            assert hostname not in everything, prolog
        assert feed.entries[0].title.startswith("标题")


def test_a_fifty_thousand_entry_feed_is_bounded():
    from crawler.feeds import parse_feed

    body = _rss("".join(_item(n) for n in range(50_000)))
    feed = parse_feed(body)
    assert len(feed.entries) == bounds.limits().max_feed_entries == 1000
    assert feed.entries[-1].title == "第999条通知"
    assert [e.title for e in parse_feed(body, max_entries=3).entries] == ["第0条通知", "第1条通知", "第2条通知"]
    # bytes: a document longer than max_feed_bytes is read up to the cut, the entry cut through dropped
    old = bounds.limits()
    try:
        bounds.configure(bounds.ParseLimits(max_feed_bytes=len(_rss(_item(0) + _item(1))) + 40))
        cut = parse_feed(body)
        assert [e.title for e in cut.entries] == ["第0条通知", "第1条通知"]
        assert all(e.text.startswith("正文") for e in cut.entries)
        import pytest
        from crawler.feeds import FeedError

        with pytest.raises(FeedError, match="超过"):
            parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b'{"id": "1"},' * 2000 + b'{}]}')
    finally:
        bounds.configure(old)
def test_long_runs_of_spelled_letters_are_joined_in_bounded_pieces():
    """``a a a … b.com``: every start of a spelled-out run backtracks at most SPELLED_MAX letters."""
    import re

    from scanner.normalize import SPELLED_MAX, normalize

    text = "见 " + "a " * 60000 + "b.com 法 轮 功"
    n = normalize(text)
    assert n.text.endswith("b.com 法轮功")
    assert max(len(w) for w in re.findall("[a-z]+", n.text)) <= SPELLED_MAX
    s = n.text.index("法轮功")
    assert n.original[slice(*n.span(s, s + 3))] == "法 轮 功"
