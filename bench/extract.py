"""Article extraction speed: ``crawler.extract.extract_page`` against trafilatura.

Both read the same pages as bytes in the same run: the real pages in ``tests/fixtures/pages``
(list pages excluded) and the hand-written layouts in ``tests/fixtures/dates``. trafilatura runs
``bare_extraction(..., with_metadata=True)``, the comparable job (title, date, body; ours also
gathers links, attachments, images, source, author and every date candidate). Each side's best of
``--repeat`` rounds is kept. Prints pages per second for each and, last,
``ratio_vs_trafilatura=X`` (goal: X >= 1). Run from the repository root:
``python bench/extract.py [--repeat 5]``.
"""
from __future__ import annotations

import argparse
import warnings

from _util import ROOT, timed


def pages() -> list[tuple[str, bytes]]:
    found = []
    for folder in (ROOT / "tests" / "fixtures" / "pages", ROOT / "tests" / "fixtures" / "dates"):
        for path in sorted(folder.rglob("*.html")):
            if "list" in path.relative_to(folder).parts:
                continue
            found.append((path.name, path.read_bytes()))
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import trafilatura

    from crawler.extract import extract_page

    docs = pages()
    warnings.simplefilter("ignore")

    def ours():
        for _, raw in docs:
            extract_page(raw)

    def theirs():
        for _, raw in docs:
            trafilatura.bare_extraction(raw, with_metadata=True)

    ours(), theirs()  # warm-up: imports, compiled patterns
    t_ours = timed(ours, repeat=args.repeat)
    t_theirs = timed(theirs, repeat=args.repeat)
    n = len(docs)
    print(f"pages: {n} ({sum(len(raw) for _, raw in docs) / 1e6:.2f} MB)")
    print(f"govwatch extract_page:                  {n / t_ours:8.1f} pages/s")
    print(f"trafilatura bare_extraction (metadata): {n / t_theirs:8.1f} pages/s")
    print(f"ratio_vs_trafilatura={t_theirs / t_ours:.2f}")


if __name__ == "__main__":
    main()
