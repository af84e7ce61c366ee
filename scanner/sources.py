"""转载来源: the 来源 field names a self-media or commercial platform, or a reprint has none."""
from __future__ import annotations

import re

from .hits import make_hit
from .normalize import normalize_text

SOURCE_PREFIX_RE = re.compile(r"^\s*(?:来源|来源于|稿件来源|信息来源|文章来源|转自|转载自|出处)\s*[:：]?\s*")
PUNCT_RE = re.compile(r"[\s\u3000“”\"'‘’「」《》〈〉【】\[\]（）()，,。.:：;；!！?？、·\-—_|/]+")
# Every marker holds one of MARKER_CORES, so most texts are cleared by three searches.
MARKER_CORES = ("转", "来源", "原标题")
REPRINT_MARKERS = ("转载自", "转自", "原标题：", "原标题:", "来源于", "稿件来源", "文章来源", "信息来源",
                   "本文系转载", "本文为转载", "本文转载", "转载于", "系转载")
REPORTED_RE = re.compile(r"据[^。，\n]{1,12}?(?:报道|消息)")
# The value must be on the label's own line: an empty “来源：” line is not sourced by the next line.
# Possessive blanks: two adjacent runs would split a long line of spaces every way before failing.
TEXT_SOURCE_RE = re.compile(
    r"(?:^|\n)[ \t\u3000]*+[（(]?[ \t\u3000]*+(?:来源|稿件来源|信息来源|文章来源|转自)[ \t\u3000]*+[:：][ \t\u3000]*+([^\n）)]{2,40})")
EMPTY_SOURCE_RE = re.compile(
    r"(?:^|\n)[ \t\u3000]*+[（(]?[ \t\u3000]*+(?:来源|稿件来源|信息来源|文章来源)[ \t\u3000]*+[:：][ \t\u3000]*+[）)]?[ \t\u3000]*+(?:\r?\n|$)")
# A self-media account cited by its own name: “微信公众号‘娱乐八卦君’”.  An account of an
# institution carries one of these words in its name (“山西发布”微信公众号, 平安北京).
ACCOUNT_RE = re.compile("公众号|微信号|视频号|头条号|抖音号|快手号|微博号|微博账号|抖音账号|账号")
QUOTED_NAME_RE = re.compile("[“\"「『‘]([^”\"」』’]{1,30})[”\"」』’]")
INSTITUTION_RE = re.compile(
    "政府|发布|日报|晚报|早报|时报|报社|新闻|电视|广播|融媒|网信|公安|警方|平安|法院|检察|消防|气象|应急|"
    "局|委|办|厅|部|署|中心|学校|大学|学院|医院|协会|学会|联合会|研究院|研究所|电台|通讯社|杂志|出版|政务|"
    "共青团|团委|妇联|工会|人民|中国|中央|省|市|县|区|镇|乡|街道|社区|党建|纪检|监察|官方|之窗|在线|网"
)


def source_in_text(text: str) -> str:
    """A ``来源：…`` line written in the text itself (drafts often carry one)."""
    m = TEXT_SOURCE_RE.search(text)
    return m.group(1).strip() if m else ""


def infer_reprint(text: str, source: str) -> bool:
    if source.strip():
        return True
    head, tail = text[:400], text[-400:]
    ends = head + "\n" + tail
    marked = any(c in ends for c in MARKER_CORES) and any(m in ends for m in REPRINT_MARKERS)
    return (marked
            or bool(REPORTED_RE.search(head[:120]))
            or ("来源" in head and EMPTY_SOURCE_RE.search(head) is not None)
            or ("来源" in tail and EMPTY_SOURCE_RE.search(tail) is not None))


def scan_source_account(source: str) -> list:
    """A source naming a self-media account without any institution in its name."""
    if not ACCOUNT_RE.search(source):
        return []
    m = QUOTED_NAME_RE.search(source)
    name = m.group(1) if m else ACCOUNT_RE.split(SOURCE_PREFIX_RE.sub("", source))[0]
    name = PUNCT_RE.sub("", name.replace("微信", ""))
    if not name or INSTITUTION_RE.search(name):
        return []
    return [make_hit("source.unauthorised", source, 0, len(source), field="source",
                     suggestion="注明原发单位或媒体名称；不得转载自媒体账号的稿件",
                     detail=f"来源是自媒体账号“{name}”，名称中看不出任何单位或媒体")]


def scan_source_whole(lexicon, source: str) -> list:
    """Whole-field lexicon entries (``# match: whole``), such as a source that is only “网络”."""
    if not source.strip():
        return []
    core = PUNCT_RE.sub("", SOURCE_PREFIX_RE.sub("", source))
    key = normalize_text(core)
    hits = []
    for cat_id, table in sorted(lexicon.whole.items()):
        entry = table.get(key)
        if entry and "source" in entry.category.fields:
            hits.append(make_hit(cat_id if cat_id.startswith("source.") else "source.unauthorised",
                                 source, 0, len(source), field="source", category=entry.category.label,
                                 severity=entry.category.severity,
                                 suggestion=entry.suggestion or "注明具体的原发单位或媒体名称",
                                 detail=f"来源只写了“{core}”，无法核实"))
    return hits


def scan_missing(text: str, source: str, is_reprint) -> list:
    if source.strip():
        return []
    reprint = infer_reprint(text, source) if is_reprint is None else bool(is_reprint)
    if not reprint or source_in_text(text):
        return []
    return [make_hit("source.missing", "", -1, -1, field="source",
                     suggestion="转载须注明来源（原发单位或媒体名称）",
                     detail="转载稿件未注明来源" if is_reprint else "正文有转载迹象（转载自、原标题等）但未注明来源")]
