"""Excessive emoji (庸俗化、娱乐化); vulgar slang itself is a lexicon category (tone_vulgar.txt)."""
from __future__ import annotations

from .clickbait import EMOJI_RE
from .hits import make_hit

TEXT_LIMIT = 5
TITLE_LIMIT = 2


def scan_emoji(text: str, field: str) -> list:
    limit = TITLE_LIMIT if field == "title" else TEXT_LIMIT
    found = EMOJI_RE.findall(text)
    if len(found) < limit:
        return []
    first = EMOJI_RE.search(text)
    return [make_hit("tone.vulgar", text, first.start(), first.end(), field=field,
                     suggestion="减少表情符号，保持政务信息的严肃性",
                     detail=f"表情符号 {len(found)} 个（{'标题' if field == 'title' else '正文'}达到 {limit} 个即报）")]
