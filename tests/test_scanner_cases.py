"""The project's own content cases (tests/scanner_cases.yaml), positives and negatives.

Run as a script to print the false-alarm and miss counts:
``python tests/test_scanner_cases.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govwatch.models import SEVERITY_RANK  # noqa: E402
from scanner.content import scan_document  # noqa: E402
from scanner.lexicon import load_lexicon  # noqa: E402

CASES = yaml.safe_load((Path(__file__).parent / "scanner_cases.yaml").read_text(encoding="utf-8"))
RANK_INFO = SEVERITY_RANK["info"]


def _parse(spec: str) -> tuple[str, int]:
    rule, _, sev = spec.partition(">=")
    return rule.strip(), SEVERITY_RANK[sev.strip()] if sev else RANK_INFO - 1


def judge(lex, case) -> list[str]:
    """The problems of one case ([] when it holds)."""
    hits = scan_document(lex, title=case.get("title", ""), text=case.get("text", ""),
                         source=case.get("source", ""), images=case.get("images", ()))
    problems = []
    for spec in case.get("expect", ()):
        rule, rank = _parse(spec)
        if not any(h.rule == rule and SEVERITY_RANK.get(h.severity, 9) <= rank for h in hits):
            problems.append(f"missing {spec}")
    for spec in case.get("quiet", ()):
        rule, rank = _parse(spec)
        bad = [h for h in hits if (rule == "*" or h.rule == rule) and SEVERITY_RANK.get(h.severity, 9) <= rank]
        problems.extend(f"unwanted {h.rule}/{h.severity} “{h.match}”" for h in bad)
    return problems


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


def test_case_file_is_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 60
    for c in CASES:
        assert c.get("expect") or c.get("quiet"), c["id"]
        for spec in list(c.get("expect", ())) + list(c.get("quiet", ())):
            _parse(spec)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(lex, case):
    assert judge(lex, case) == []


def main() -> int:
    lx = load_lexicon()
    pos = [c for c in CASES if c.get("expect")]
    neg = [c for c in CASES if not c.get("expect")]
    misses = [(c["id"], judge(lx, c)) for c in pos]
    alarms = [(c["id"], judge(lx, c)) for c in neg]
    misses = [m for m in misses if m[1]]
    alarms = [a for a in alarms if a[1]]
    for cid, probs in misses + alarms:
        print(f"{cid}: {'; '.join(probs)}")
    print(f"positives={len(pos)} misses={len(misses)} negatives={len(neg)} false_alarms={len(alarms)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
