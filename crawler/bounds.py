"""Bounds on every parser of crawled bytes (the ``[parse]`` settings) and the HTML depth guard.

Crawled content is hostile: a few kilobytes can declare a million-row sheet or a billion laughs
in a feed's DTD, a zip can inflate a thousandfold, a PDF can make ten pages of one megabyte stream, and HTML nested deeper than
libxml2's limit (256 levels, 2048 with ``huge_tree``) silently loses everything after the deep
part.  The limits live here so that the crawler, ``govwatch check`` and the attachment worker read
the same values; ``configure`` installs the ``[parse]`` section of the settings for this process.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from govwatch.settings import DEFAULTS

LIBXML2_HUGE_DEPTH = 2048  # libxml2's nesting limit with XML_PARSE_HUGE (lxml's huge_tree)


_D = DEFAULTS["parse"]


@dataclass(frozen=True)
class ParseLimits:
    """The ``[parse]`` settings (declared, with units and help, in govwatch.settings)."""
    max_html_chars: int = _D["max_html_chars"]
    max_html_depth: int = _D["max_html_depth"]
    max_scan_chars: int = _D["max_scan_chars"]
    max_attachment_chars: int = _D["max_attachment_chars"]
    max_zip_entries: int = _D["max_zip_entries"]
    max_zip_bytes: int = _D["max_zip_bytes"]
    max_zip_ratio: int = _D["max_zip_ratio"]
    max_xml_bytes: int = _D["max_xml_bytes"]
    max_feed_bytes: int = _D["max_feed_bytes"]
    max_feed_entries: int = _D["max_feed_entries"]
    max_sheet_rows: int = _D["max_sheet_rows"]
    max_sheet_cols: int = _D["max_sheet_cols"]
    max_sheet_cells: int = _D["max_sheet_cells"]
    max_pdf_pages: int = _D["max_pdf_pages"]
    max_pdf_page_bytes: int = _D["max_pdf_page_bytes"]
    max_pdf_inflation: int = _D["max_pdf_inflation"]
    worker_timeout: float = _D["worker_timeout"]
    worker_memory_mb: int = _D["worker_memory_mb"]

    @classmethod
    def from_settings(cls, section: dict | None) -> ParseLimits:
        known = {f.name: f.type for f in fields(cls)}
        values = {}
        for key, value in (section or {}).items():
            if key in known:
                values[key] = float(value) if key == "worker_timeout" else int(value)
        limits = replace(cls(), **values)
        if not 16 <= limits.max_html_depth < LIBXML2_HUGE_DEPTH - 16:
            raise ValueError(f"parse.max_html_depth 必须在 16 到 {LIBXML2_HUGE_DEPTH - 17} 之间")
        return limits

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_current = ParseLimits()


def configure(section: dict | ParseLimits | None) -> ParseLimits:
    """Install the ``[parse]`` settings for this process; returns them."""
    global _current
    _current = section if isinstance(section, ParseLimits) else ParseLimits.from_settings(section)
    return _current


def limits() -> ParseLimits:
    return _current


# ----------------------------------------------------------------------------- HTML nesting

# A tag: ``<name …>`` or ``</name …>``; attributes may not contain ``<`` (keeps the scan linear:
# each match attempt stops at the next ``<``).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]{0,63})((?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)(>)?")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
                       "plaintext"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                  "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen", "image", "isindex",
                  "spacer", "nobr"})
# What libxml2 does with tags, as far as depth goes (HTMLparser.c): an opening tag closes the
# current element when they are siblings of this kind; an end tag closes the elements above its
# match only when none of them has a higher end priority (else it is ignored).
_CLOSES_TOP = {"p": {"p"}, "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "option": {"option"},
               "td": {"td", "th"}, "th": {"td", "th"}, "tr": {"tr", "td", "th"}}
_END_PRIORITY = {"div": 150, "td": 160, "th": 160, "tr": 170, "thead": 180, "tbody": 180, "tfoot": 180,
                 "table": 190, "head": 200, "body": 200, "html": 220}
_END_SCAN = 64  # an end tag looks this far down the stack for its element (bounds the pass)


def limit_depth(html: str, max_depth: int) -> tuple[str, int]:
    """``html`` with elements nested deeper than ``max_depth`` flattened (their tags dropped, their
    text kept), and how many tags were dropped.

    One pass over the tags with a stack that follows libxml2's implied closing conservatively (it
    closes no more than libxml2 does, so the depth counted here is never below the parser's);
    amortised linear.  A page within the bound is returned unchanged."""
    if html.count("<") <= max_depth:
        return html, 0
    stack: list[str] = []
    open_count: dict[str, int] = {}
    dropped: dict[str, int] = {}
    cuts: list[tuple[int, int]] = []
    raw_until = None

    def pop() -> None:
        name = stack.pop()
        open_count[name] -= 1

    for m in _TAG.finditer(html):
        closing, name = m.group(1), m.group(2).lower()
        if raw_until is not None:
            if closing and name == raw_until:
                raw_until = None
                pop()
            continue
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
                cuts.append(m.span())
            elif open_count.get(name):
                priority = _END_PRIORITY.get(name, 100)
                i, floor = len(stack) - 1, max(0, len(stack) - _END_SCAN)
                while i > floor and stack[i] != name and _END_PRIORITY.get(stack[i], 100) <= priority:
                    i -= 1
                if stack[i] == name:  # else ignored (or too far down: keeping it open only overcounts)
                    while len(stack) > i:
                        pop()
            continue
        if name in VOID or (m.group(3) or "").rstrip().endswith("/"):
            continue
        closes = _CLOSES_TOP.get(name)
        while closes and stack and stack[-1] in closes:
            pop()
        if len(stack) >= max_depth:
            dropped[name] = dropped.get(name, 0) + 1
            cuts.append(m.span())
            continue
        stack.append(name)
        open_count[name] = open_count.get(name, 0) + 1
        if name in _RAW_TEXT:
            raw_until = name
    if not cuts:
        return html, 0
    parts, last = [], 0
    for start, end in cuts:
        parts.append(html[last:start])
        last = end
    parts.append(html[last:])
    return "".join(parts), len(cuts)
