"""Excessive emoji (庸俗化、娱乐化); vulgar slang itself is a lexicon category (tone_vulgar.txt)."""
from __future__ import annotations

from govwatch.settings import DEFAULTS

from .clickbait import find_emoji
from .hits import make_hit

TEXT_LIMIT = DEFAULTS["thresholds"]["emoji_text_count"]
TITLE_LIMIT = DEFAULTS["thresholds"]["emoji_title_count"]


def scan_emoji(text: str, field: str, *, title_limit: int = TITLE_LIMIT, text_limit: int = TEXT_LIMIT) -> list:
    limit = title_limit if field == "title" else text_limit
    found = find_emoji(text)
    if len(found) < limit:
        return []
    first = found[0]
    return [make_hit("tone.vulgar", text, first.start(), first.end(), field=field,
                     suggestion="减少表情符号，保持政务信息的严肃性",
                     detail=f"表情符号 {len(found)} 个（{'标题' if field == 'title' else '正文'}达到 {limit} 个即报）")]
