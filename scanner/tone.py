"""Excessive emoji (庸俗化、娱乐化); vulgar slang itself is a lexicon category (tone_vulgar.txt)."""
from __future__ import annotations

from .clickbait import find_emoji
from .hits import make_hit

TEXT_LIMIT = 5
TITLE_LIMIT = 2


def scan_emoji(text: str, field: str) -> list:
    limit = TITLE_LIMIT if field == "title" else TEXT_LIMIT
    found = find_emoji(text)
    if len(found) < limit:
        return []
    first = found[0]
    return [make_hit("tone.vulgar", text, first.start(), first.end(), field=field,
                     suggestion="减少表情符号，保持政务信息的严肃性",
                     detail=f"表情符号 {len(found)} 个（{'标题' if field == 'title' else '正文'}达到 {limit} 个即报）")]
