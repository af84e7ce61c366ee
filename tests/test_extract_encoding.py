"""crawler.encoding: header, meta, BOM, detection, and pages whose declared charset is wrong."""
from pathlib import Path

import pytest

from crawler.encoding import declared_charsets, decode_html

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SAMPLE = "<html><head><title>山西省人民政府</title></head><body><p>发布时间：2023年11月8日，来源：山西日报。</p></body></html>"


@pytest.mark.parametrize("name, expected_text", [
    ("people/1.html", "女儿出嫁，郑板桥画了几笔兰花当嫁妆"),
    ("qq/2.html", "数据业大整顿"),
])
def test_pages_declaring_gb2312_but_served_as_utf8(name, expected_text):
    body = (PAGES / name).read_bytes()
    assert declared_charsets(body) == ["gb18030"]
    text, encoding = decode_html(body)
    assert encoding == "utf-8"
    assert expected_text in text
    assert "\ufffd" not in text


def test_gbk_page_declared_in_meta():
    body = SAMPLE.replace("<head>", '<head><meta charset="gb2312">').encode("gbk")
    text, encoding = decode_html(body)
    assert encoding == "gb18030"
    assert "山西日报" in text


def test_gbk_page_whose_header_wrongly_says_utf8():
    body = SAMPLE.encode("gb18030")
    text, encoding = decode_html(body, "text/html; charset=utf-8")
    assert encoding == "gb18030"
    assert "发布时间" in text


def test_header_charset_is_used():
    body = SAMPLE.encode("big5", errors="ignore")
    text, encoding = decode_html(body, "text/html; charset=Big5")
    assert encoding == "big5hkscs"
    assert "山西" in text


def test_boms_and_utf16():
    assert decode_html(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"))[0].startswith("<html>")
    text, encoding = decode_html(SAMPLE.encode("utf-16"))
    assert encoding == "utf-16" and "山西日报" in text


def test_truncated_utf8_page_still_utf8():
    body = SAMPLE.encode("utf-8")
    body = body[: body.index("山西日报".encode()) + 2]  # cut inside a character
    text, encoding = decode_html(body)
    assert encoding == "utf-8"
    assert "来源" in text


def test_ascii_and_empty():
    assert decode_html(b"") == ("", "utf-8")
    assert decode_html(b"<html>ok</html>")[0] == "<html>ok</html>"
    assert decode_html("已经是文本") == ("已经是文本", "unicode")
