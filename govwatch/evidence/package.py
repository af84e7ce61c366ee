"""The evidence package on disk: offline, script-free copies of snapshots and the sink that writes the
workbook, the snapshots and the manifest.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Protocol

from govwatch.models import (
    fmt_local,
)
from govwatch.store import Store

from govwatch.evidence.cells import COLUMN_WIDTHS, SHEETS, WORKBOOK_NAME, _ILLEGAL, safe_cell

# ---------------------------------------------------------------------------- offline snapshots

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
        "form-action 'none'; frame-src 'none'; base-uri 'none'")
_URL_ATTRS = ("src", "srcset", "data-src", "data-original", "lowsrc", "dynsrc", "poster", "background",
              "action", "formaction", "longdesc", "usemap", "codebase", "data", "ping", "manifest",
              "{http://www.w3.org/1999/xlink}href")
# [^()] and [^;@]: each attempt stops at the next "(" or "@import" (linear on "url(url(url(…")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:)[^()]*\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import[^;@]*;?", re.I)


def _kind(raw: bytes) -> str:
    head = raw[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF"):
        return "pdf"
    if b"\x00" in raw[:1024] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "bin"
    if head[:1] == b"<" or b"<html" in head.lower() or b"<body" in head.lower():
        return "html"
    return "text"


MAX_CSS_DATA_URLS = 1000  # embedded images a real stylesheet carries, with room to spare
_CSS_URL_OPEN = re.compile(r"url\((?!\s*['\"]?data:)", re.I)


def _strip_css(text: str) -> str:
    # an unclosed url( left behind is dropped too: lxml_html_clean's own CSS checks are quadratic in
    # runs of them (30,000 "url(" took ~27 s)
    text = _CSS_URL_OPEN.sub("", _CSS_URL.sub("\0", _CSS_IMPORT.sub("", text)))
    if text.lower().count("url(") > MAX_CSS_DATA_URLS:  # only data: URLs are left; this many is an attack
        text = re.sub(r"(?i)url\(", "", text)
    return text.replace("\0", "url()")


def offline_html(raw: bytes, *, url: str, fetched_at: datetime | None, sha256: str,
                 content_type: str | None = None) -> bytes:
    """The captured page made safe to open offline, with a banner saying when and where it was
    captured. Scripts, event handlers, frames, plugins, ``<link>``/``<meta>``/``<base>`` and every
    external load (``src``, ``srcset``, CSS ``url()``/``@import``) are removed; a Content-Security-
    Policy forbids whatever slipped through."""
    import lxml.html
    from lxml import etree
    from lxml_html_clean import Cleaner

    from crawler.encoding import decode_html
    from crawler.page import parse_html

    kind = _kind(raw)
    text, _ = decode_html(raw, content_type) if kind == "html" else (raw.decode("utf-8", "replace"), "")
    root = None
    if kind == "html" and text.strip():
        try:
            cleaner = Cleaner(scripts=True, javascript=True, comments=True, style=False, inline_style=False,
                              links=True, meta=True, page_structure=False, processing_instructions=True,
                              embedded=True, frames=True, forms=False, annoying_tags=True,
                              remove_unknown_tags=False, safe_attrs_only=False)
            doc = parse_html(text)  # bounded like the crawl: size, and nesting flattened past the limit
            if doc is None:
                raise ValueError("empty document")
            for el in doc.iter("style"):  # before the cleaner, which would leave @import's target behind
                el.text = _strip_css(el.text or "")
            root = cleaner.clean_html(doc)
        except (etree.ParserError, ValueError):
            root = None
    if root is None or root.tag != "html":
        root = lxml.html.document_fromstring("<html><head></head><body></body></html>")
        pre = etree.SubElement(root.find("body"), "pre")
        pre.set("style", "white-space:pre-wrap;word-break:break-all")
        pre.text = _ILLEGAL.sub("", text)
    for el in root.iter(etree.Element):
        if el.tag == "base":
            el.drop_tree()
            continue
        for attr in _URL_ATTRS:
            value = el.attrib.get(attr)
            if value is not None and not value.strip().lower().startswith("data:"):
                del el.attrib[attr]
                if attr in ("src", "srcset", "data-src", "data-original", "poster", "background"):
                    el.set("data-govwatch-" + attr.replace("{http://www.w3.org/1999/xlink}", "xlink-"), value)
        if el.get("style"):
            el.set("style", _strip_css(el.get("style")))
        if el.tag == "style" and el.text:
            el.text = _strip_css(el.text)
        if el.tag == "a" and el.get("href", "").strip().lower().startswith(("javascript:", "vbscript:")):
            del el.attrib["href"]
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    meta_charset = etree.Element("meta", charset="utf-8")
    csp = etree.Element("meta", content=_CSP)
    csp.set("http-equiv", "Content-Security-Policy")
    head.insert(0, csp)
    head.insert(0, meta_charset)
    body = root.find("body")
    if body is None:
        body = etree.SubElement(root, "body")
    banner = etree.Element("div", id="govwatch-evidence-banner")
    banner.set("style", "all:initial;display:block;margin:0 0 8px 0;padding:8px 12px;background:#fff3cd;"
                        "color:#333;border-bottom:2px solid #d39e00;font:14px/1.6 sans-serif;"
                        "word-break:break-all")
    when = f"{fmt_local(fetched_at)}（北京时间）" if fetched_at else "未知"
    banner.text = (f"govwatch 证据快照｜采集时间：{when}｜原网址：{url or '未知'}｜"
                   f"原始页面 SHA-256：{sha256}｜已移除脚本和外部资源，仅供离线查看")
    body.insert(0, banner)
    return b"<!DOCTYPE html>\n" + lxml.html.tostring(root, encoding="utf-8", method="html")


# ---------------------------------------------------------------------------- writers

class Sink(Protocol):
    """Where rows and evidence go: the workbook and the snapshots folder (bench/export.py plugs in
    a CSV sink to time the same rows)."""

    def row(self, sheet: str, values: list) -> None: ...

    def snapshot(self, sha256: str, url: str, fetched_at: datetime | None) -> str:
        """Relative path of the offline copy of snapshot ``sha256`` ("" when the store lacks it)."""

    def finding(self, record: dict) -> None:
        """Every finding of the export, as one JSON-ready record (findings.jsonl)."""


class PackageSink:
    def __init__(self, store: Store, folder: Path, progress=None):
        from openpyxl import Workbook

        self.progress = progress  # govwatch.progress.Progress, counted per finding written

        self.store = store
        self.folder = folder
        self.snap_dir = folder / "snapshots"
        self.raw_dir = self.snap_dir / "raw"
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        self.wb = Workbook(write_only=True)
        self.sheets = {}
        self.rows = Counter()
        self.written: dict[str, str] = {}
        self.missing: list[str] = []
        self._jsonl = open(folder / "findings.jsonl", "w", encoding="utf-8")
        for name, headers in SHEETS.items():
            self.sheets[name] = self._sheet(name, headers)

    def _sheet(self, name: str, headers: list[str]):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        ws = self.wb.create_sheet(name)
        for i, width in enumerate(COLUMN_WIDTHS.get(name, []), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        wrap = Alignment(wrap_text=True, vertical="center")
        cells = []
        for h in headers:
            c = WriteOnlyCell(ws, value=safe_cell(h))
            c.font, c.fill, c.alignment = bold, fill, wrap
            cells.append(c)
        ws.append(cells)
        return ws

    def row(self, sheet: str, values: list) -> None:
        self.sheets[sheet].append([safe_cell(v) for v in values])
        self.rows[sheet] += 1

    def snapshot(self, sha256: str, url: str, fetched_at: datetime | None) -> str:
        if not sha256:
            return ""
        if sha256 in self.written:
            return self.written[sha256]
        raw = self.store.get_snapshot(sha256)
        if raw is None:
            self.written[sha256] = ""
            if len(self.missing) < 1000:
                self.missing.append(sha256)
            return ""
        (self.raw_dir / f"{sha256}.raw").write_bytes(raw)
        kind = _kind(raw)
        if kind in ("pdf", "bin"):
            rel = f"snapshots/{sha256}.{kind}"
            (self.folder / rel).write_bytes(raw)
        else:
            rel = f"snapshots/{sha256}.html"
            (self.folder / rel).write_bytes(offline_html(raw, url=url, fetched_at=fetched_at, sha256=sha256))
        self.written[sha256] = rel
        return rel

    def finding(self, record: dict) -> None:
        self._jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self.progress is not None:
            self.progress.step(str(record.get("target_name") or record.get("target_id") or ""), line=False)

    def close(self) -> None:
        self._jsonl.close()
        self.wb.save(self.folder / WORKBOOK_NAME)
