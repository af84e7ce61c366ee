"""Extraction accuracy on the labelled pages in tests/fixtures (not a speed benchmark).

    .venv/bin/python bench/extract_accuracy.py [-v]

Two sets: the real pages (``tests/fixtures/pages`` with ``extraction_expected.json``) and the
hand-written layouts (``tests/fixtures/dates`` with ``expected.json``). A time is right when it
equals the expected instant to the minute, or to the expected precision when that is coarser
(day, month). Body: character F1 against the page's text between the expected first and last
words (the measure of tests/test_extract.py).
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "tests"):  # the project, and the tests' extraction measure (extract_gold)
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from crawler.extract import extract_page  # noqa: E402
from extract_gold import char_f1, gold_body  # noqa: E402
from govwatch.models import TZ  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
SETS = (("real pages (GNE fixtures)", FIXTURES / "pages", FIXTURES / "extraction_expected.json"),
        ("own layouts", FIXTURES / "dates", FIXTURES / "dates" / "expected.json"))


def same_time(got: datetime | None, expected: str, precision: str) -> bool:
    if got is None:
        return False
    want = datetime.fromisoformat(expected).astimezone(TZ)
    got = got.astimezone(TZ)
    if precision == "month":
        return (got.year, got.month) == (want.year, want.month)
    if precision == "day":
        return got.date() == want.date()
    return got.replace(second=0, microsecond=0) == want.replace(second=0, microsecond=0)


def main(verbose: bool) -> int:
    for name, pages, labels in SETS:
        expected = json.loads(labels.read_text(encoding="utf-8"))
        right = 0
        f1s = []
        for page, want in sorted(expected.items()):
            raw = (pages / page).read_bytes()
            item = extract_page(raw, url=want.get("url", ""))
            ok = same_time(item.published_at, want["published_at"],
                           want.get("precision") or want.get("published_at_precision") or "minute")
            right += ok
            f1 = char_f1(item.text, gold_body(raw, want))
            f1s.append(f1)
            if verbose or not ok:
                got = item.published_at.isoformat() if item.published_at else None
                print(f"  {'ok  ' if ok else 'MISS'} {page:28} {got} (want {want['published_at']}) "
                      f"F1 {f1:.3f}")
        print(f"{name}: time right {right}/{len(expected)} ({100 * right / len(expected):.0f} %), "
              f"body char F1 mean {sum(f1s) / len(f1s):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv[1:]))
