"""标题党: an explainable score over the title.

Signals: clickbait phrases from the lexicon (+2 each, or the weight of their lexicon file: the
outright sensational ones, 震惊 and 万万没想到, weigh 3), stacked exclamation or question marks
(+2), a suspense ellipsis (+1), emoji (+1).  A title scoring at least ``thresholds.clickbait_score``
(a setting, 3 by default) is reported,
with every signal and its points in ``Hit.detail``: a single emphatic word (“重磅！”) is not.
"""
from __future__ import annotations

import re

from govwatch.settings import DEFAULTS

from .hits import make_hit

THRESHOLD = DEFAULTS["thresholds"]["clickbait_score"]
POINTS = DEFAULTS["thresholds"]["clickbait_points"]  # phrase, punctuation, ellipsis, emoji
PHRASE_POINTS = POINTS["phrase"]
# Written so that sre skips ahead in C to the first candidate character (an alternation of
# repeats is tried at every position: seven times slower on a title).
STACKED_RE = re.compile(r"[!！?？][!！?？]+")  # two or more of ! ？ in a row, mixed or not
ELLIPSIS_RE = re.compile(r"…|\.\.\.|。。。")
EMOJI_RE = re.compile("[\U0001F300-\U0001FAFF\u2600-\u2604\u2607-\u27BF\u2B50\u2B55\u203C\u2049]")
# The same without astral characters: a BMP-only class scans far faster (see normalize.py).
EMOJI_BMP_RE = re.compile("[\u2600-\u2604\u2607-\u27BF\u2B50\u2B55\u203C\u2049]")
ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")


def find_emoji(text: str, astral: bool | None = None) -> list:
    """Emoji matches in ``text``, in order (``astral``: whether the text holds characters beyond the
    BMP, when the caller knows; else it is looked up)."""
    if astral is None:
        astral = ASTRAL_RE.search(text) is not None
    rx = EMOJI_RE if astral else EMOJI_BMP_RE
    return list(rx.finditer(text))


def score_title(title: str, phrases: list[tuple], points: dict | None = None) -> tuple[int, list[str]]:
    """``phrases``: (start, end, phrase[, weight]) of clickbait phrases found in the title; a phrase
    without a weight (or 0) scores ``points["phrase"]``. ``points``: the settings'
    ``thresholds.clickbait_points`` (None: the defaults)."""
    pts = {**POINTS, **(points or {})}
    signals, score = [], 0
    seen = set()
    for _, _, phrase, *rest in phrases:
        if phrase in seen:
            continue
        seen.add(phrase)
        weight = (rest[0] if rest else 0) or int(pts["phrase"])
        score += weight
        signals.append(f"“{phrase}”+{weight}")
    stacked = STACKED_RE.search(title)
    if stacked:
        score += int(pts["punctuation"])
        signals.append(f"连续标点“{stacked.group()}”+{int(pts['punctuation'])}")
    ellipsis = ELLIPSIS_RE.search(title)
    if ellipsis:
        score += int(pts["ellipsis"])
        signals.append(f"悬念省略号+{int(pts['ellipsis'])}")
    if find_emoji(title):
        score += int(pts["emoji"])
        signals.append(f"表情符号+{int(pts['emoji'])}")
    return score, signals


def scan_title(title: str, phrases: list[tuple[int, int, str]], threshold: int = THRESHOLD,
               points: dict | None = None) -> list:
    if not title:
        return []
    score, signals = score_title(title, phrases, points)
    if score < threshold:
        return []
    start = min((p[0] for p in phrases), default=0)
    end = max((p[1] for p in phrases), default=len(title))
    return [make_hit("title.clickbait", title, start, max(end, start), field="title",
                     suggestion="标题应准确概括内容，删去夸张、悬念用语和连续感叹号",
                     detail=f"标题党评分 {score}（达到 {threshold} 即报）：" + "；".join(signals))]
