"""Building ``Hit`` objects: snippet, and label and severity from the rule catalogue (``govwatch.rules``)."""
from __future__ import annotations

from govwatch import rules as catalogue
from govwatch.models import Hit

SNIPPET = 30

def snippet(text: str, start: int, end: int) -> str:
    if start < 0:
        return text[: 2 * SNIPPET].replace("\n", " ")
    return text[max(0, start - SNIPPET):end + SNIPPET].replace("\r", " ").replace("\n", " ")


def make_hit(rule: str, text: str, start: int, end: int, *, field: str, category: str = "",
             severity: str = "", suggestion: str = "", detail: str = "", url: str = "") -> Hit:
    declared = catalogue.rule(rule)
    label, default = declared.label, declared.severity
    return Hit(
        rule=rule, category=category or label, severity=severity or default,
        match=text[start:end] if start >= 0 else "", start=start, end=end,
        snippet=snippet(text, start, end), suggestion=suggestion, field=field, detail=detail, url=url,
    )
