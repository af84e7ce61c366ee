"""问题地图: a map shown with a caption but no 审图号 anywhere in the item (a review hint, not proof).

Looked at: caption lines in the text (a line that opens like a caption, “图为…”, or a short line
ending with the map word), map images given to ``scan_document`` (their ``alt`` text and file
names), ``<img alt=…>`` in a draft written as HTML, and image file names in the text
(“附件：某县行政区划图.jpg”).  A sentence that merely mentions a map (“打开手机地图导航”)
is not a map.
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from .hits import make_hit

MAP_WORDS = ("地图", "示意图", "区划图", "区位图", "交通图", "旅游图", "导游图", "导览图", "地形图", "影像图",
             "规划图", "分布图")
MAP_RE = re.compile(
    r"(?:行政区划|区位|交通|旅游|导游|导览|地形|影像|规划|位置|线路|路线|地理)?"
    r"(?:地图|示意图|区划图|区位图|交通图|旅游图|导游图|导览图|地形图|影像图|规划图|分布图)"
)
REVIEW_RE = re.compile(r"审图号|GS\s*[（(]\s*[0-9]{4}\s*[）)]|[\u4e00-\u9fff]S\s*[（(]\s*[0-9]{4}\s*[）)]")
# Possessive \s*+: two adjacent \s* would split a long run every way before failing.
CAPTION_START_RE = re.compile(r"^\s*+(?:(?:[（(]\s*+)?图|附图|▲|△|↑|【图】)")
CAPTION_MAX = 40
# Apps, devices and site maps called 地图: mentioning them is not showing a map.
APP_PREFIXES = ("手机", "电子", "百度", "高德", "腾讯", "谷歌", "天地图", "在线", "导航", "网站", "站点", "思维",
                "知识")
# What may follow the map word at the end of a caption line.
CAPTION_TAIL_RE = re.compile(r"^[\s（()）\[\]【】0-9一二三四五六七八九十.．:：、，。-]*$")
IMAGE_EXT_RE = re.compile(r"\.(?:jpe?g|png|gif|bmp|tiff?|webp|svg)(?![A-Za-z0-9])", re.IGNORECASE)
IMG_TAG_RE = re.compile(r"<img\b[^<>]{0,2000}>", re.IGNORECASE)
ALT_RE = re.compile(r"\b(?:alt|title)\s*=\s*[\"']([^\"'<>]{0,200})[\"']", re.IGNORECASE)
NAME_STOP = " \t\r\n\"'<>=/\\：:，,；;（(【“"
SUGGESTION = "公开使用的地图须经审核，在地图适当位置标注审图号（如“审图号：GS（2024）1234号”），或使用标准地图"


def _is_map_word(word: str) -> bool:
    return not (word.endswith("示意图") and not word.startswith(
        ("行政区划", "区位", "交通", "旅游", "位置", "线路", "路线", "地理", "规划")))  # 流程示意图 is no map


def _map_in(value: str):
    """The first map word in ``value`` that names a map (not 网站地图, 手机地图, 流程示意图 …)."""
    for m in MAP_RE.finditer(value):
        if _is_map_word(m.group()) and not value[max(0, m.start() - 3):m.start()].endswith(APP_PREFIXES):
            return m
    return None


def _caption_hit(text: str) -> list:
    for m in MAP_RE.finditer(text):
        if not _is_map_word(m.group()) or text[max(0, m.start() - 3):m.start()].endswith(APP_PREFIXES):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        ends_line = bool(CAPTION_TAIL_RE.match(text[m.end(): line_end if line_end >= 0 else len(text)]))
        if CAPTION_START_RE.match(line) or (len(line.strip()) <= CAPTION_MAX and ends_line):
            return [make_hit("map.no_review_number", text, m.start(), m.end(), field="text", suggestion=SUGGESTION,
                             detail=f"图注“{line.strip()[:CAPTION_MAX]}”提到地图，全文未见审图号，请人工核实")]
    return []


def _file_name_hit(text: str) -> list:
    for m in IMAGE_EXT_RE.finditer(text):
        i = m.start()
        while i > 0 and m.start() - i < 80 and text[i - 1] not in NAME_STOP:
            i -= 1
        if _map_in(text[i:m.start()]):
            return [make_hit("map.no_review_number", text, i, m.end(), field="text", suggestion=SUGGESTION,
                             detail=f"图片文件“{text[i:m.end()]}”是地图，全文未见审图号，请人工核实")]
    return []


def _img_tag_hit(text: str) -> list:
    for m in IMG_TAG_RE.finditer(text):
        alt = ALT_RE.search(m.group())
        if alt and _map_in(alt.group(1)):
            s = m.start() + alt.start(1)
            return [make_hit("map.no_review_number", text, s, s + len(alt.group(1)), field="text",
                             suggestion=SUGGESTION,
                             detail=f"图片说明“{alt.group(1)[:CAPTION_MAX]}”是地图，全文未见审图号，请人工核实")]
    return []


def scan_map_images(images) -> list:
    """Map images among ``images`` ({"url", "alt"}): by alt text or file name."""
    for img in images or ():
        url, alt = str(img.get("url") or ""), str(img.get("alt") or "")
        try:
            name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        except ValueError:
            name = ""
        for what, value in (("图片说明", alt), ("图片文件名", name)):
            if _map_in(value):
                return [make_hit("map.no_review_number", "", -1, -1, field="url", url=url, suggestion=SUGGESTION,
                                 detail=f"{what}“{value[:CAPTION_MAX]}”是地图，全文未见审图号，请人工核实")]
    return []


def scan_maps(text: str, title: str = "", images=()) -> list:
    if "图" not in text and not images:
        return []
    if REVIEW_RE.search(text) or REVIEW_RE.search(title):
        return []
    if images:
        found = scan_map_images(images)
        if found:
            return found
    if "图" not in text:
        return []
    if "<img" in text or "<IMG" in text:
        found = _img_tag_hit(text)
        if found:
            return found
    return _caption_hit(text) or _file_name_hit(text)
