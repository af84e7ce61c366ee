"""Lexicon matching (steps 2–3 of content matching): one Aho-Corasick pass, then per raw hit only
word-boundary checks (jieba in a small window), allow phrases and overlap resolution."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Entry, Lexicon
from .normalize import Normalized

WINDOW = 6  # characters of context on each side that jieba segments around a hit

# Condemnation context: a banned or ad term near these words is news about fighting it.
CONDEMNATION_RE = re.compile(
    "打击|严打|严禁|禁止|查处|查获|查办|取缔|防范|谨防|提防|警惕|举报|整治|治理|惩治|严惩|依法处理|"
    "破获|侦破|抓获|捣毁|摧毁|揭批|揭露|批判|反对|抵制|遏制|打掉|清理|清查|净化|扫黄|打非|"
    "不得|不准|严防|拒绝|远离|识破|谣言|辟谣|所谓|鼓吹|涉嫌|犯罪|违法|非法|专项行动|专项整治|"
    "判处|判决|起诉|立案|刑拘|拘留|逮捕|被骗|诈骗|骗局|反诈|防骗|宣传教育"
)
SENTENCE_END = "。！？!?\n；;"


@dataclass(frozen=True, slots=True)
class TermHit:
    entry: Entry
    start: int  # in the normalised text
    end: int


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F


class FieldMatch:
    """The lexicon hits of one field and the rule triggers the automaton saw in it."""

    __slots__ = ("hits", "triggers")

    def __init__(self, hits: list, triggers: set):
        self.hits = hits
        self.triggers = triggers


def raw_hits(lexicon: Lexicon, text: str, field: str = "text") -> tuple[list, set]:
    """One automaton pass over ``text``.

    Returns the hits of entries that apply to ``field`` and lie outside every allow phrase, as
    ``(start, end, entries)`` in character offsets, and the names of the triggers seen.  Allow
    phrases are applied in byte offsets, so only surviving hits are mapped to characters.
    """
    if not text:
        return [], set()
    b = text.encode("utf-8", "surrogatepass")
    found, allow, triggers = [], [], set()
    for end_b, (blen, nlen, entries, is_allow, trig) in lexicon.automaton.iter(b.decode("latin-1")):
        end_b += 1
        if trig:
            triggers.update(trig)
        if is_allow:
            allow.append((end_b - blen, end_b))
        if entries:
            keep = tuple(e for e in entries if field in e.category.fields)
            if keep:
                found.append((end_b - blen, end_b, nlen, keep))
    if allow and found:
        found = [f for f in found if not any(a <= f[0] and f[1] <= z for a, z in allow)]
    if not found:
        return [], triggers
    if len(b) == len(text):  # ASCII: byte offsets are character offsets
        return [(s, e, entries) for s, e, _, entries in found], triggers
    out = []
    bpos = cpos = 0
    for _, end_b, nlen, entries in found:  # in end order, as the automaton reports them
        if end_b > bpos:
            cpos += len(b[bpos:end_b].decode("utf-8", "surrogatepass"))
            bpos = end_b
        out.append((cpos - nlen, cpos, entries))
    return out, triggers


def _side_ok(text: str, pos: int, inside: str, outside_index: int) -> bool | None:
    """True when ``pos`` is plainly a boundary, False when plainly not, None when jieba must tell."""
    if outside_index < 0 or outside_index >= len(text):
        return True
    outside = text[outside_index]
    if inside.isascii() and _is_word_char(inside):
        return not (outside.isascii() and _is_word_char(outside))  # Latin term: ASCII word boundary
    if not _is_cjk(inside) or not _is_cjk(outside):
        return True
    return None


def _on_boundaries(lexicon: Lexicon, text: str, start: int, end: int, entry: Entry) -> bool:
    if entry.match == "substring":
        return True
    left = True if entry.left_free else _side_ok(text, start, text[start], start - 1)
    right = True if entry.right_free else _side_ok(text, end, text[end - 1], end)
    if left is False or right is False:
        return False
    if left and right:
        return True
    ws, we = max(0, start - WINDOW), min(len(text), end + WINDOW)
    cuts = lexicon.cuts(text[ws:we])
    return (left or (start - ws) in cuts) and (right or (end - ws) in cuts)


def find_terms(lexicon: Lexicon, norm: Normalized, field: str) -> FieldMatch:
    """Lexicon hits in one field: on word boundaries, outside allow phrases, longest per category."""
    text = norm.text
    raw, triggers = raw_hits(lexicon, text, field)
    hits = []
    for s, e, entries in raw:
        for entry in entries:
            if _on_boundaries(lexicon, text, s, e, entry):
                hits.append(TermHit(entry, s, e))
    if len(hits) > 1:
        # Within a category keep the longest of nested hits (特么的 over 特么).
        hits.sort(key=lambda h: (h.start, -(h.end - h.start), h.entry.category.id, h.entry.norm))
        kept: list[TermHit] = []
        for h in hits:
            if any(k.entry.category.id == h.entry.category.id and k.start <= h.start and h.end <= k.end
                   and (k.start, k.end) != (h.start, h.end) for k in kept[-8:]):
                continue
            kept.append(h)
        hits = kept
    return FieldMatch(hits, triggers)


def sentence_context(text: str, start: int, end: int, width: int = 15) -> tuple[str, str]:
    """Up to ``width`` characters before and after a span, cut at sentence ends."""
    left = text[max(0, start - width):start]
    for i in range(len(left) - 1, -1, -1):
        if left[i] in SENTENCE_END:
            left = left[i + 1:]
            break
    right = text[end:end + width]
    for i, ch in enumerate(right):
        if ch in SENTENCE_END:
            right = right[:i]
            break
    return left, right


def condemned(text: str, start: int, end: int) -> str:
    """The condemnation word near a hit (same sentence, outside the hit itself), or ''."""
    left, right = sentence_context(text, start, end)
    m = CONDEMNATION_RE.search(left) or CONDEMNATION_RE.search(right)
    return m.group() if m else ""
