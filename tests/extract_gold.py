"""The body-extraction measure shared by tests/test_extract*.py and bench/extract_accuracy.py:
character F1 of the extracted text against the page's text between hand-picked first and last
words of the article."""
from __future__ import annotations

from collections import Counter

import lxml.html


def gold_body(raw: bytes, expected: dict) -> str:
    """The page's visible text from ``expected["body_start"]`` to ``expected["body_end"]``; empty when
    either is missing from the page (so any F1 against it is 0)."""
    doc = lxml.html.document_fromstring(raw.decode("utf-8"))
    for el in doc.xpath("//script|//style|//noscript|//head"):
        el.drop_tree()
    text = doc.text_content()
    start = text.find(expected["body_start"])
    end = text.find(expected["body_end"], start)
    return text[start:end + len(expected["body_end"])] if start >= 0 and end >= 0 else ""


def char_f1(predicted: str, reference: str) -> float:
    """F1 over the multiset of non-space characters."""
    pred = Counter(c for c in predicted if not c.isspace())
    ref = Counter(c for c in reference if not c.isspace())
    common = sum((pred & ref).values())
    if not common:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)
