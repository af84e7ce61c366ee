"""Ads that hide a contact number from filters: ``微信：9⓿二肆⁹₈③⑸⒋➃`` (digits in other scripts,
circled or styled digits, Chinese numerals mixed in).  Ad phrases themselves are lexicon terms."""
from __future__ import annotations

import re

from .hits import make_hit
from .normalize import fold_digits

DIGITISH = (
    "0-9０-９⓪-⓿①-⑳⑴-⒇⒈-⒛❶-➓㈠-㈩㊀-㊉〇零一二三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖"
    "⁰¹²³⁴-⁹₀-₉\U0001D7CE-\U0001D7FF"
)
CONTACT_RE = re.compile(
    r"(?:微信|薇信|v信|vx|wx|weixin|qq|扣扣|企鹅号|加我|私聊)\s*号?\s*[:：]?\s*"
    f"([{DIGITISH}](?:[{DIGITISH}]|[\\s\\-](?=[{DIGITISH}])){{5,24}})",
    re.IGNORECASE,
)
MIN_DIGITS = 6


def scan_contacts(text: str, field: str) -> list:
    hits = []
    for m in CONTACT_RE.finditer(text):
        raw = m.group(1)
        if all(c.isascii() for c in raw):
            continue  # a plain number is a contact line, judged by the privacy rules
        digits = fold_digits(raw)
        if len(digits) < MIN_DIGITS:
            continue
        s, e = m.start(1), m.end(1)
        hits.append(make_hit("ads.contact", text, s, e, field=field,
                             suggestion="删除变形的联系方式与导流内容",
                             detail=f"联系方式用特殊字符书写以规避审核，还原为 {digits}"))
    return hits
