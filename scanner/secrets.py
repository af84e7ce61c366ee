"""Classification marks (涉密不上网): ``绝密★``, ``机密★长期``, ``秘密★5年``, ``密级：秘密``.

Other marks without a star (内部资料, 注意保密, 不得外传 …) are lexicon terms (secret_marker.txt).
"""
from __future__ import annotations

import re

from .hits import make_hit

STAR_RE = re.compile(
    r"(?:绝密|机密|秘密)[ \t\u3000]*[★☆⋆✩✪✭✮✯✰][ \t\u3000]*(?:[0-9０-９一二三四五六七八九十]+[ \t]*(?:年|个月|月)|长期)?"
)
LEVEL_RE = re.compile(r"密级\s*[:：]\s*(?:绝密|机密|秘密)")


def scan_secrets(text: str, field: str = "text") -> list:
    hits = []
    for rx in (STAR_RE, LEVEL_RE):
        for m in rx.finditer(text):
            hits.append(make_hit("secret.marker", text, m.start(), m.end(), field=field,
                                 suggestion="涉密文件不得上网，立即撤下并按保密规定处置",
                                 detail="国家秘密标志（密级★保密期限）"))
    return hits
