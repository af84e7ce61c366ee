"""Leaders (严重表述错误): a current leader's name next to another leader's title, and a fallen
official presented as serving.  Wrong spellings of names are lexicon terms (expression_leader.txt)."""
from __future__ import annotations

from .hits import make_hit
from .matching import sentence_context

# Short forms that only ever name a national post (so “县政协主席李强” is not read as one).
NATIONAL_SHORT_TITLES = ("总书记", "国家主席", "军委主席", "总理", "副总理", "委员长", "国务委员",
                         "国家副主席", "中纪委书记")
SERVING_TITLES = ("同志", "书记", "副书记", "部长", "副部长", "主席", "副主席", "主任", "副主任", "省长",
                  "副省长", "市长", "副市长", "委员", "常委", "总理", "副总理", "国务委员", "局长", "厅长",
                  "司令员", "政委", "秘书长", "院长", "检察长")
FALLEN_MARKERS = ("原", "前", "落马", "被查", "审查", "调查", "开除", "双开", "违纪", "违法", "受贿",
                  "判处", "判决", "被捕", "免去", "撤销", "罢免", "腐败", "贪污", "立案", "起诉", "留置",
                  "通报", "警示", "反面典型", "案", "教训")


def _titles(entry) -> tuple:
    return tuple(t.strip() for t in entry.suggestion.replace("，", "、").replace(",", "、").split("、") if t.strip())


def _compatible(found: str, titles: tuple) -> bool:
    for t in titles:
        if t == found:
            return True
        if t.endswith(found) and not t[: -len(found)].endswith("副"):
            return True
    return False


def title_vocabulary(lexicon) -> tuple:
    vocab = set(NATIONAL_SHORT_TITLES)
    for entry in lexicon.leaders.values():
        vocab.update(_titles(entry))
    return tuple(sorted(vocab, key=len, reverse=True))


def scan_leaders(lexicon, norm, term_hits, field: str) -> list:
    """``term_hits``: lexicon hits of leader.current / leader.fallen entries in this field."""
    text = norm.text
    original = norm.original
    vocab = None
    hits = []
    for h in term_hits:
        entry = h.entry
        s, e = norm.span(h.start, h.end)
        if entry.kind == "leaders":
            vocab = vocab or title_vocabulary(lexicon)
            titles = _titles(entry)
            before = next((t for t in vocab if text.endswith(t, 0, h.start)), "")
            after = next((t for t in vocab if text.startswith(t, h.end)), "")
            for found, where in ((before, "前"), (after, "后")):
                if found and not _compatible(found, titles):
                    ts = s - len(found) if where == "前" else s
                    te = e if where == "前" else e + len(found)
                    ts, te = max(ts, 0), min(te, len(original))
                    hits.append(make_hit("expression.leader", original, ts, te, field=field,
                                         category=entry.category.label, severity=entry.category.severity,
                                         suggestion=f"{entry.term}的职务为：{'、'.join(titles)}",
                                         detail=f"“{found}”不是{entry.term}的职务"))
        elif entry.kind == "fallen":
            left, right = sentence_context(text, h.start, h.end, width=12)
            near = left + right
            title = next((t for t in SERVING_TITLES if left.endswith(t) or right.startswith(t)), "")
            if not title:
                continue
            if any(m in near for m in FALLEN_MARKERS):
                continue
            hits.append(make_hit("expression.leader", original, s, e, field=field,
                                 category=entry.category.label, severity=entry.category.severity,
                                 suggestion=f"{entry.term}已落马（{entry.suggestion}），不得以现任职务或“同志”称呼，核实后删改",
                                 detail=f"已落马官员与称谓“{title}”并列，且未见“原”“落马”等说明"))
    return hits
