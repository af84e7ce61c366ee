"""The content checks of one document.

``scan_document`` is the entry point: pure, deterministic, and fast (one normalisation and one
Aho-Corasick pass per field; jieba only around raw lexicon hits; a few regex scans).
"""
from __future__ import annotations

import dataclasses
import functools
import os

from govwatch.models import SEVERITY_RANK, Hit
from govwatch.settings import DEFAULTS

from .ads import scan_contacts
from .clickbait import scan_title
from .hits import make_hit
from .leaders import scan_leaders
from .lexicon import Lexicon
from .links import scan_links
from .maps import scan_maps
from .matching import (SENTENCE_END, TOPICS, case_paragraph, condemned, discussed, find_terms, historical,
                       in_scope, prohibition_scopes, topic)
from .normalize import normalize, normalize_text
from .privacy import scan_privacy
from .secrets import scan_secrets
from .sources import scan_missing, scan_source_account, scan_source_whole
from .tone import scan_address, scan_emoji

FIELD_ORDER = {"title": 0, "text": 1, "source": 2, "url": 3}
REVIEW_SEVERITY = "info"  # condemnation context: a person looks, nobody is alerted
DEFAULT_SUGGESTIONS = {
    "banned": "删除该内容",
    "ads": "删除商业广告和导流内容",
    "secret": "涉密或不宜公开的内容不得上网，立即撤下",
    "tone": "改用规范、庄重的表述",
    "offtopic": "删除与政府工作无关的内容",
    "source": "注明具体的原发单位或媒体名称",
    "expression": "按规范表述修改",
}


COOCCUR_REACH = 80  # characters on each side of an anchor searched for the end of its sentence


class _FieldContext:
    """Lazily computed facts about one field shared by its hits."""

    __slots__ = ("value", "norm", "width", "_scopes")

    def __init__(self, value: str, norm, width: int):
        self.value = value
        self.norm = norm
        self.width = width
        self._scopes = None

    def scopes(self):
        if self._scopes is None:
            self._scopes = prohibition_scopes(self.value)
        return self._scopes


def _lower_reason(ctx: _FieldContext, cat, s: int, e: int, ns: int, ne: int) -> str:
    """Why a hit of category ``cat`` at original ``[s, e)`` (normalised ``[ns, ne)``) is reviewed
    rather than alerted."""
    if cat.context:
        word = condemned(ctx.norm.text, ns, ne, ctx.width)
        if word:
            return f"出现在“{word}”等打击、防范语境中，降为人工复核"
        head = in_scope(ctx.scopes(), s, e)
        if head:
            return f"出现在禁止性规定“{head[:16]}”所列事项中，降为人工复核"
        word = case_paragraph(ctx.norm.text, ns, ne)
        if word:
            return f"出现在案件通报段落中（“{word}”），降为人工复核"
        word = topic(ctx.norm.text, ns, ne, cat.family, ctx.width)
        if word:
            return f"出现在{TOPICS[cat.family][0]}语境中（“{word}”），降为人工复核"
    word = discussed(ctx.value, s, e, cat.family)
    if word:
        return f"引用讨论用语（“{word}”语境中的引述），降为人工复核"
    if cat.history:
        mark = historical(ctx.norm.text, ns, ne)
        if mark:
            return f"出现在1949年以前的历史叙述中（“{mark}”），降为人工复核"
    return ""


@functools.lru_cache(maxsize=256)
def _file_name(path: str) -> str:
    return os.path.basename(path)


def _lexicon_hit(ctx: _FieldContext, th, field: str, span=None) -> Hit:
    entry = th.entry
    cat = entry.category
    ns, ne = span or (th.start, th.end)
    s, e = ctx.norm.span(ns, ne)
    severity = cat.severity
    detail = f"词库 {_file_name(entry.file)}:{entry.line}"
    if entry.kind == "cooccur":
        detail = f"“{ctx.norm.text[th.start:th.end]}”与“{'、'.join(entry.context[:4])}”等同句出现；{detail}"
    if SEVERITY_RANK.get(severity, 9) < SEVERITY_RANK[REVIEW_SEVERITY]:
        reason = _lower_reason(ctx, cat, s, e, ns, ne)
        if reason:
            severity = REVIEW_SEVERITY
            detail = f"{reason}；{detail}"
    suggestion = entry.suggestion or DEFAULT_SUGGESTIONS.get(cat.family, "")
    return make_hit(cat.id, ctx.value, s, e, field=field, category=cat.label, severity=severity,
                    suggestion=suggestion, detail=detail)


def _cooccur_span(text: str, th) -> tuple[int, int] | None:
    """The span from an anchor to a context word of its rule in the same sentence, or None."""
    lo = th.start
    for i in range(th.start - 1, max(-1, th.start - COOCCUR_REACH), -1):
        if text[i] in SENTENCE_END:
            break
        lo = i
    hi = th.end
    for i in range(th.end, min(len(text), th.end + COOCCUR_REACH)):
        if text[i] in SENTENCE_END:
            break
        hi = i + 1
    best = None
    for word in th.entry.context:
        for base, part in ((th.end, text[th.end:hi]), (lo, text[lo:th.start])):
            i = part.find(word)
            if i >= 0:
                ws = base + i
                span = (min(ws, th.start), max(ws + len(word), th.end))
                if best is None or span[1] - span[0] < best[1] - best[0]:
                    best = span
    return best


def _demote(hit: Hit, reason: str) -> Hit:
    return dataclasses.replace(hit, severity=REVIEW_SEVERITY, detail=f"{reason}；{hit.detail}")


def _scan_field(lexicon: Lexicon, field: str, value: str, limits: dict) -> tuple[list[Hit], set, object]:
    norm = normalize(value)
    ctx = _FieldContext(value, norm, int(limits["condemnation_window"]))
    hits: list[Hit] = []
    clickbait, leaders = [], []
    matched = find_terms(lexicon, norm, field)
    for th in matched.hits:
        cat_id = th.entry.category.id
        if th.entry.kind in ("leaders", "fallen"):
            leaders.append(th)
        elif cat_id == "title.clickbait" or (field == "title" and cat_id == "banned.rumor"):
            # A rumour-spreading phrase in a title (紧急扩散！…) is sensational wording: it scores as
            # clickbait with the weight of the outright sensational phrases.
            s, e = norm.span(th.start, th.end)
            clickbait.append((s, e, value[s:e], th.entry.weight or (3 if cat_id == "banned.rumor" else 0)))
        elif th.entry.kind == "cooccur":
            span = _cooccur_span(norm.text, th)
            if span:
                hits.append(_lexicon_hit(ctx, th, field, span))
        else:
            hits.append(_lexicon_hit(ctx, th, field))
    hits.extend(scan_leaders(lexicon, norm, leaders, field, matched.triggers))
    if field == "title":
        hits.extend(scan_title(value, clickbait, int(limits["clickbait_score"]), limits["clickbait_points"]))
    if field in ("title", "text"):
        if "secret" in matched.triggers:
            for h in scan_secrets(value, field):
                reason = discussed(value, h.start, h.end, "secret")
                hits.append(_demote(h, f"引用讨论用语（“{reason}”语境中的引述），降为人工复核") if reason else h)
        if "contact" in matched.triggers:
            hits.extend(scan_contacts(value, field))
        hits.extend(scan_privacy(value, field, foreign="foreign_id" in matched.triggers))
        hits.extend(scan_emoji(value, field, title_limit=int(limits["emoji_title_count"]),
                               text_limit=int(limits["emoji_text_count"]), astral=norm.astral))
        hits.extend(scan_address(value, field))
    return hits, matched.triggers, norm


def scan_document(lexicon: Lexicon, *, title: str = "", text: str = "", source: str = "", links=(),
                  url: str = "", is_reprint: bool | None = None, ignore_terms=(),
                  thresholds: dict | None = None, images=(), max_chars: int | None = None) -> list[Hit]:
    """Every content finding of one document.

    Offsets are relative to the field named in ``Hit.field`` ("title", "text" or "source";
    "url" for a link given in ``links`` that the text does not contain).  ``ignore_terms``
    suppresses hits whose matched text (normalised) is one of them, e.g. confirmed false
    positives.  ``thresholds`` overrides settings' ``thresholds`` table; ``images``: the document's images
    (for the map checks); each field is scanned up to ``max_chars`` characters
    (default ``parse.max_scan_chars``).  Identical input gives identical output, in a
    deterministic order.
    """
    limits = DEFAULTS["thresholds"] if thresholds is None else {**DEFAULTS["thresholds"], **thresholds}
    # each field is scanned up to parse.max_scan_chars characters (the rest of a hostile text is not)
    cap = DEFAULTS["parse"]["max_scan_chars"] if max_chars is None else max_chars
    title, text, source = (title or "")[:cap], (text or "")[:cap], (source or "")[:cap]
    hits: list[Hit] = []
    text_triggers: set = set()
    text_norm = None
    for field, value in (("title", title), ("text", text), ("source", source)):
        if value:
            field_hits, triggers, norm = _scan_field(lexicon, field, value, limits)
            hits.extend(field_hits)
            if field == "text":
                text_triggers, text_norm = triggers, norm
    if "url" in text_triggers or links:
        if "url" in text_triggers:
            hits.extend(scan_links(lexicon, text, links, norm=text_norm))
        else:
            hits.extend(scan_links(lexicon, "", links))
    if text or images:
        hits.extend(scan_maps(text, title, images))
    hits.extend(scan_source_whole(lexicon, source))
    if source and not any(h.field == "source" and h.rule == "source.unauthorised" for h in hits):
        hits.extend(scan_source_account(source))
    hits.extend(scan_missing(text, source, is_reprint))
    ignore = {normalize_text(t).strip() for t in ignore_terms or () if t and t.strip()}
    out, seen = [], set()
    for h in sorted(hits, key=lambda h: (FIELD_ORDER.get(h.field, 9), h.start, h.end, h.rule,
                                          SEVERITY_RANK.get(h.severity, 9), h.match, h.detail)):
        key = (h.field, h.rule, h.start, h.end, h.url)
        if key in seen:
            continue
        if ignore and h.match and normalize_text(h.match).strip() in ignore:
            continue
        seen.add(key)
        out.append(h)
    return out
