"""The content checks of one document.

``scan_document`` is the entry point: pure, deterministic, and fast (one normalisation and one
Aho-Corasick pass per field; jieba only around raw lexicon hits; a few regex scans).
"""
from __future__ import annotations

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
from .matching import condemned, find_terms
from .normalize import normalize, normalize_text
from .privacy import scan_privacy
from .secrets import scan_secrets
from .sources import scan_missing, scan_source_whole
from .tone import scan_emoji

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


def _lexicon_hit(value: str, norm, th, field: str) -> Hit:
    entry = th.entry
    cat = entry.category
    s, e = norm.span(th.start, th.end)
    severity = cat.severity
    detail = f"词库 {os.path.basename(entry.file)}:{entry.line}"
    if cat.context and SEVERITY_RANK.get(severity, 9) < SEVERITY_RANK[REVIEW_SEVERITY]:
        word = condemned(norm.text, th.start, th.end)
        if word:
            severity = REVIEW_SEVERITY
            detail = f"出现在“{word}”等打击、防范语境中，降为人工复核；{detail}"
    suggestion = entry.suggestion or DEFAULT_SUGGESTIONS.get(cat.family, "")
    return make_hit(cat.id, value, s, e, field=field, category=cat.label, severity=severity,
                    suggestion=suggestion, detail=detail)


def _scan_field(lexicon: Lexicon, field: str, value: str, limits: dict) -> tuple[list[Hit], set, object]:
    norm = normalize(value)
    hits: list[Hit] = []
    clickbait, leaders = [], []
    matched = find_terms(lexicon, norm, field)
    for th in matched.hits:
        if th.entry.kind in ("leaders", "fallen"):
            leaders.append(th)
        elif th.entry.category.id == "title.clickbait":
            s, e = norm.span(th.start, th.end)
            clickbait.append((s, e, value[s:e], th.entry.weight))
        else:
            hits.append(_lexicon_hit(value, norm, th, field))
    if leaders:
        hits.extend(scan_leaders(lexicon, norm, leaders, field))
    if field == "title":
        hits.extend(scan_title(value, clickbait, int(limits["clickbait_score"])))
    if field in ("title", "text"):
        if "secret" in matched.triggers:
            hits.extend(scan_secrets(value, field))
        if "contact" in matched.triggers:
            hits.extend(scan_contacts(value, field))
        hits.extend(scan_privacy(value, field))
        hits.extend(scan_emoji(value, field, title_limit=int(limits["emoji_title_count"]),
                               text_limit=int(limits["emoji_text_count"])))
    return hits, matched.triggers, norm


def scan_document(lexicon: Lexicon, *, title: str = "", text: str = "", source: str = "", links=(),
                  url: str = "", is_reprint: bool | None = None, ignore_terms=(),
                  thresholds: dict | None = None) -> list[Hit]:
    """Every content finding of one document.

    Offsets are relative to the field named in ``Hit.field`` ("title", "text" or "source";
    "url" for a link given in ``links`` that the text does not contain).  ``ignore_terms``
    suppresses hits whose matched text (normalised) is one of them, e.g. confirmed false
    positives.  ``thresholds``: the settings' thresholds (None: the defaults).  Identical input
    gives identical output, in a deterministic order.
    """
    limits = DEFAULTS["thresholds"] if thresholds is None else {**DEFAULTS["thresholds"], **thresholds}
    title, text, source = title or "", text or "", source or ""
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
    if text:
        hits.extend(scan_maps(text, title))
    hits.extend(scan_source_whole(lexicon, source))
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
