"""问题地图: a map shown with a caption but no 审图号 anywhere in the item (a review hint, not proof)."""
from __future__ import annotations

import re

from .hits import make_hit

MAP_RE = re.compile(
    r"(?:行政区划|区位|交通|旅游|导游|导览|地形|影像|规划|位置|线路|路线|地理)?"
    r"(?:地图|示意图|区划图|区位图|交通图|旅游图|导游图|导览图|地形图|影像图)"
)
REVIEW_RE = re.compile(r"审图号|GS\s*[（(]\s*[0-9]{4}\s*[）)]|[\u4e00-\u9fff]S\s*[（(]\s*[0-9]{4}\s*[）)]")
CAPTION_START_RE = re.compile(r"^\s*(?:[（(]?\s*图\s*[0-9一二三四五六七八九十]*|附图|▲|△|↑|【图】|图为|图片)")
CAPTION_MAX = 40
MAPISH_PREFIX = ("地图", "区划图", "区位图", "交通图", "旅游图", "导游图", "导览图", "地形图", "影像图")


def scan_maps(text: str, title: str = "") -> list:
    if "图" not in text:
        return []
    if REVIEW_RE.search(text) or REVIEW_RE.search(title):
        return []
    for m in MAP_RE.finditer(text):
        word = m.group()
        if word.endswith("示意图") and not word.startswith(("行政区划", "区位", "交通", "旅游", "位置", "线路", "路线", "地理", "规划")):
            continue  # 流程示意图 and the like are not maps
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        if len(line.strip()) <= CAPTION_MAX or CAPTION_START_RE.match(line):
            return [make_hit("map.no_review_number", text, m.start(), m.end(), field="text",
                             suggestion="公开使用的地图须经审核，在地图适当位置标注审图号（如“审图号：GS（2024）1234号”），或使用标准地图",
                             detail=f"图注“{line.strip()[:CAPTION_MAX]}”提到地图，全文未见审图号，请人工核实")]
    return []
