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
# Short titles written after a name (赵乐际主席): judged only on the right of a name, where they
# cannot belong to someone else (“县政协主席李强” has the title on the left).
AFTER_SHORT_TITLES = ("主席", "副主席", "委员长", "总理", "副总理", "总书记", "国务委员")
NEAR_MISS_LEN = 3  # only names of three characters: a two-character near miss is too often someone else
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


def _is_cjk_run(s: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in s)


def scan_near_misses(lexicon, norm, field: str, exact: set) -> list:
    """A name one character away from a leader's, next to that leader's own title
    (“国务院副总理刘国忠”, “张国青副总理”): a misspelt leader's name."""
    text, original = norm.text, norm.original
    names = [e for e in lexicon.leaders.values() if len(e.norm) == NEAR_MISS_LEN and _is_cjk_run(e.norm)]
    if not names:
        return []
    hits, seen = [], set()
    for title in title_vocabulary(lexicon):
        pos = text.find(title)
        while pos >= 0:
            for ns in (pos + len(title), pos - NEAR_MISS_LEN):
                cand = text[ns:ns + NEAR_MISS_LEN] if ns >= 0 else ""
                if len(cand) != NEAR_MISS_LEN or not _is_cjk_run(cand) or (ns, cand) in seen:
                    continue
                if cand in lexicon.leaders or ns in exact:
                    continue
                for entry in names:
                    diff = sum(a != b for a, b in zip(cand, entry.norm))
                    if diff == 1 and _compatible(title, _titles(entry)):
                        seen.add((ns, cand))
                        s, e = norm.span(ns, ns + NEAR_MISS_LEN)
                        hits.append(make_hit("expression.leader", original, s, e, field=field,
                                             category=entry.category.label, severity=entry.category.severity,
                                             suggestion=entry.term,
                                             detail=f"与“{title}”相邻的“{original[s:e]}”疑为{entry.term}的误写"))
                        break
            pos = text.find(title, pos + 1)
    return hits


def scan_leaders(lexicon, norm, term_hits, field: str, triggers=frozenset()) -> list:
    """``term_hits``: lexicon hits of leader.current / leader.fallen entries in this field;
    ``triggers``: the automaton's triggers (“leader_title” runs the near-miss check)."""
    text = norm.text
    original = norm.original
    vocab = None
    hits = []
    if "leader_title" in triggers:
        exact = {h.start for h in term_hits}
        hits.extend(scan_near_misses(lexicon, norm, field, exact))
    for h in term_hits:
        entry = h.entry
        s, e = norm.span(h.start, h.end)
        if entry.kind == "leaders":
            vocab = vocab or title_vocabulary(lexicon)
            titles = _titles(entry)
            before = next((t for t in vocab if text.endswith(t, 0, h.start)), "")
            after = next((t for t in vocab + AFTER_SHORT_TITLES if text.startswith(t, h.end)), "")
            for found, where in ((before, "前"), (after, "后")):
                if found and not _compatible(found, titles):
                    # Map the title's own normalised span: a removed space between title and
                    # name must not shift the reported position.
                    if where == "前":
                        ts, te = norm.span(h.start - len(found), h.end)
                    else:
                        ts, te = norm.span(h.start, h.end + len(found))
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
