"""Excessive emoji (庸俗化、娱乐化); vulgar slang itself is a lexicon category (tone_vulgar.txt)."""
from __future__ import annotations

import re

from govwatch.settings import DEFAULTS

from .clickbait import find_emoji
from .hits import make_hit

TEXT_LIMIT = DEFAULTS["thresholds"]["emoji_text_count"]
TITLE_LIMIT = DEFAULTS["thresholds"]["emoji_title_count"]
# “亲，…”: the shop-assistant address.  A one-character lexicon entry is impossible, so the
# address is recognised where it opens a sentence and is followed by a comma or exclamation.
ADDRESS_RE = re.compile("亲[ \t]*[，,！!~～]")
SENTENCE_OPEN = "\n。！？!?；;…~～"


def scan_emoji(text: str, field: str, *, title_limit: int = TITLE_LIMIT, text_limit: int = TEXT_LIMIT,
               astral: bool | None = None) -> list:
    limit = title_limit if field == "title" else text_limit
    found = find_emoji(text, astral)
    if len(found) < limit:
        return []
    first = found[0]
    return [make_hit("tone.vulgar", text, first.start(), first.end(), field=field,
                     suggestion="减少表情符号，保持政务信息的严肃性",
                     detail=f"表情符号 {len(found)} 个（{'标题' if field == 'title' else '正文'}达到 {limit} 个即报）")]


def scan_address(text: str, field: str) -> list:
    hits = []
    for m in ADDRESS_RE.finditer(text):
        i = m.start() - 1
        while i >= 0 and text[i] in " \t\u3000\r":
            i -= 1
        if i >= 0 and text[i] not in SENTENCE_OPEN:
            continue  # 父母亲，…: part of a word
        hits.append(make_hit("tone.vulgar", text, m.start(), m.start() + 1, field=field,
                             suggestion="政务信息不用“亲”等电商客服式称呼，改用“您”或“广大市民”",
                             detail="以“亲”开头称呼读者"))
        break
    return hits
