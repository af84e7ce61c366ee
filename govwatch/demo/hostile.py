"""Hostile files and pages, built on demand (issue 19): small inputs that stall or exhaust naive
parsers.  Tests build them at test time; ``bench/hostile.py`` times them against benign inputs of
the same size.  Deterministic bytes, no randomness."""
from __future__ import annotations

import io
import zipfile
import zlib

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _zip(members: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def docx_bytes(paragraphs: list[str], filler_runs: int = 0) -> bytes:
    """A DOCX with ``paragraphs``; ``filler_runs`` empty runs (``<w:r/>``) first inflate
    ``document.xml`` to about 6 bytes each while it compresses to almost nothing."""
    body = "<w:p>" + "<w:r/>" * filler_runs + "</w:p>" if filler_runs else ""
    body += "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    return _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": xml})


def xlsx_bytes(rows: list[list[str]], *, dimension: str = "", far_cell: str = "") -> bytes:
    """A one-sheet XLSX written by hand (inline strings); ``dimension`` overrides the declared
    ``<dimension ref>``, ``far_cell`` adds one cell there (e.g. ``XFD1048576``)."""
    def col(n: int) -> str:
        s = ""
        while n:
            n, r = divmod(n - 1, 26)
            s = chr(65 + r) + s
        return s

    xml_rows = []
    for r, row in enumerate(rows, 1):
        cells = "".join(f'<c r="{col(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(row, 1))
        xml_rows.append(f'<row r="{r}">{cells}</row>')
    if far_cell:
        digits = "".join(ch for ch in far_cell if ch.isdigit())
        xml_rows.append(f'<row r="{digits}"><c r="{far_cell}" t="inlineStr"><is><t>末尾</t></is></c></row>')
    ref = dimension or f"A1:{col(max((len(r) for r in rows), default=1))}{max(len(rows), 1)}"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{S}"><dimension ref="{ref}"/>'
             f'<sheetData>{"".join(xml_rows)}</sheetData></worksheet>')
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{S}" xmlns:r="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships"><sheets><sheet name="公示" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                 '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                 '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    return _zip({"[Content_Types].xml": content_types, "_rels/.rels": root_rels, "xl/workbook.xml": workbook,
                 "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": sheet})


def pdf_bytes(pages: list[str] | None = None, *, shared_stream_bytes: int = 0, page_count: int = 10) -> bytes:
    """A PDF in a standard font: one page per string of ``pages`` (ASCII text), or, with
    ``shared_stream_bytes``, ``page_count`` pages that all use one content stream of that many
    bytes (compressed to a few kilobytes)."""
    objects: list[bytes] = []

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    contents: list[int] = []
    if shared_stream_bytes:
        op = b"BT /F1 9 Tf 20 700 Td (a) Tj ET\n"
        raw = op * (shared_stream_bytes // len(op))
        data = zlib.compress(raw, 9)
        shared = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        contents = [shared] * page_count
    else:
        for text in pages or [""]:
            lines = [text[i:i + 80] for i in range(0, len(text), 80)] or [""]
            ops = b"BT /F1 9 Tf 20 800 Td 11 TL " + b" ".join(
                b"(" + line.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                + b") Tj T*" for line in lines) + b" ET"
            data = zlib.compress(ops, 9)
            contents.append(add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"))
    pages_id = len(objects) + len(contents) + 1
    kids = []
    for c in contents:
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >>"
                        b" /Contents %d 0 R >>" % (pages_id, font, c)))
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()
