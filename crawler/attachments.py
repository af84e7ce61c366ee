"""Text of attachments (pure): 公示 spreadsheets and PDFs are where ID numbers most often leak.

PDF through pypdf, DOCX through its XML (zipfile + lxml), XLSX through openpyxl in read-only mode,
XLS and WPS's ET spreadsheets through xlrd. Old binary Word (.doc) and WPS text (.wps) have no
well-kept pure-Python reader; they are recorded as unreadable rather than guessed at.
"""
from __future__ import annotations

import io
import zipfile

READABLE = ("pdf", "docx", "xlsx", "xls", "et", "txt", "csv")
MAX_CHARS = 2_000_000  # a scanned 公示 rarely exceeds this; beyond it we stop reading


class AttachmentError(Exception):
    """The attachment could not be read (Chinese message)."""


def attachment_text(body: bytes, ext: str) -> str:
    ext = ext.lower().lstrip(".")
    try:
        if ext == "pdf":
            return _pdf(body)
        if ext == "docx":
            return _docx(body)
        if ext == "xlsx":
            return _xlsx(body)
        if ext in ("xls", "et"):
            return _xls(body)
        if ext in ("txt", "csv"):
            from crawler.encoding import decode_html
            return decode_html(body)[0][:MAX_CHARS]
    except AttachmentError:
        raise
    except Exception as exc:  # a damaged file from a hostile server must not stop the crawl
        raise AttachmentError(f"无法读取 {ext} 附件：{type(exc).__name__}: {str(exc)[:100]}") from exc
    raise AttachmentError(f"暂不支持读取 .{ext} 附件")


def _pdf(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    parts, size = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_CHARS:
            break
    return "\n".join(parts)[:MAX_CHARS]


def _docx(body: bytes) -> str:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        info = zf.getinfo("word/document.xml")
        if info.file_size > 50 * MAX_CHARS:  # zip bomb guard
            raise AttachmentError("DOCX 附件过大")
        root = etree.fromstring(zf.read(info), parser=etree.XMLParser(resolve_entities=False, huge_tree=False))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{ns}t")) for p in root.iter(f"{ns}p")]
    return "\n".join(p for p in paragraphs if p)[:MAX_CHARS]


def _xlsx(body: bytes) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    lines, size = [], 0
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells = ["" if v is None else str(v) for v in row]
                if any(cells):
                    line = "\t".join(cells).rstrip()
                    lines.append(line)
                    size += len(line)
                    if size > MAX_CHARS:
                        return "\n".join(lines)[:MAX_CHARS]
    finally:
        wb.close()
    return "\n".join(lines)


def _xls(body: bytes) -> str:
    import xlrd

    book = xlrd.open_workbook(file_contents=body, on_demand=True)
    lines = []
    for sheet in book.sheets():
        for r in range(sheet.nrows):
            cells = [str(v) if v not in (None, "") else "" for v in sheet.row_values(r)]
            if any(cells):
                lines.append("\t".join(cells).rstrip())
    return "\n".join(lines)[:MAX_CHARS]
