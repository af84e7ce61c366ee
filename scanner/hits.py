"""Building ``Hit`` objects: snippet, labels and severities of the rules that are code, not lexicon."""
from __future__ import annotations

from govwatch.models import Hit

SNIPPET = 30

# rule id -> (问题类型 label, default severity) for rules implemented in code.
RULES = {
    "secret.marker": ("涉密标识", "veto"),
    "privacy.id_number": ("泄露个人信息（身份证号）", "high"),
    "privacy.bank_card": ("泄露个人信息（银行卡号）", "high"),
    "privacy.mobile": ("泄露个人信息（手机号）", "medium"),
    "ads.contact": ("商业广告（变形联系方式）", "high"),
    "title.clickbait": ("标题党", "medium"),
    "tone.vulgar": ("庸俗化、娱乐化表达", "low"),
    "source.unauthorised": ("转载来源不规范", "medium"),
    "source.missing": ("转载未注明来源", "low"),
    "link.commercial": ("链接商业网站", "low"),
    "map.no_review_number": ("地图未标注审图号", "low"),
    "expression.leader": ("领导人姓名职务错误", "veto"),
}


def snippet(text: str, start: int, end: int) -> str:
    if start < 0:
        return text[: 2 * SNIPPET].replace("\n", " ")
    return text[max(0, start - SNIPPET):end + SNIPPET].replace("\r", " ").replace("\n", " ")


def make_hit(rule: str, text: str, start: int, end: int, *, field: str, category: str = "",
             severity: str = "", suggestion: str = "", detail: str = "", url: str = "") -> Hit:
    label, default = RULES.get(rule, (rule, "medium"))
    return Hit(
        rule=rule, category=category or label, severity=severity or default,
        match=text[start:end] if start >= 0 else "", start=start, end=end,
        snippet=snippet(text, start, end), suggestion=suggestion, field=field, detail=detail, url=url,
    )
