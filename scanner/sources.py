"""转载来源: the 来源 field names a self-media or commercial platform, or a reprint has none."""
from __future__ import annotations

import re

from .hits import make_hit
from .normalize import normalize_text

SOURCE_PREFIX_RE = re.compile(r"^\s*(?:来源|来源于|稿件来源|信息来源|文章来源|转自|转载自|出处)\s*[:：]?\s*")
PUNCT_RE = re.compile(r"[\s\u3000“”\"'‘’「」《》〈〉【】\[\]（）()，,。.:：;；!！?？、·\-—_|/]+")
REPRINT_MARKERS = ("转载自", "转自", "原标题：", "原标题:", "来源于", "稿件来源", "文章来源", "信息来源")
REPORTED_RE = re.compile(r"据[^。，\n]{1,12}?(?:报道|消息)")
TEXT_SOURCE_RE = re.compile(r"(?:^|\n)\s*[（(]?\s*(?:来源|稿件来源|信息来源|文章来源|转自)\s*[:：]\s*([^\n）)]{2,40})")


def source_in_text(text: str) -> str:
    """A ``来源：…`` line written in the text itself (drafts often carry one)."""
    m = TEXT_SOURCE_RE.search(text)
    return m.group(1).strip() if m else ""


def infer_reprint(text: str, source: str) -> bool:
    if source.strip():
        return True
    head, tail = text[:400], text[-400:]
    return (any(m in head or m in tail for m in REPRINT_MARKERS)
            or bool(REPORTED_RE.search(head[:120])))


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
