"""Binary files the farm serves: XLSX and PDF attachments, PNG images. All byte-for-byte deterministic."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from datetime import datetime
from functools import lru_cache


def xlsx_bytes(title: str, rows: list[list[str]], when: datetime) -> bytes:
    """A one-sheet workbook: a title row, then ``rows`` (the first is the header)."""
    from openpyxl import Workbook  # imported here: only attachment requests need it

    wb = Workbook()
    ws = wb.active
    ws.title = "公示名单"
    ws.append([title])
    for row in rows:
        ws.append(row)
    for col, width in zip("ABCDEF", (6, 10, 6, 22, 16, 14)):
        ws.column_dimensions[col].width = width
    stamp = when.replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "govwatch demo"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue(), stamp)


def _fixed_zip_times(data: bytes, stamp: datetime) -> bytes:
    """Rewrite a workbook with fixed timestamps.

    zipfile stamps members with the current time and openpyxl sets ``dcterms:modified`` to the
    time of saving; both would make the bytes (and so the ETag) change from one request to the next.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + iso + rb"\g<2>", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, body)
    return out.getvalue()


def pdf_bytes(lines: list[str], when: datetime) -> bytes:
    """A one-page PDF with Chinese text.

    The text uses the standard CJK font STSong-Light with the predefined UniGB-UCS2-H encoding: no
    embedded font file (viewers substitute a Song face), and extractors (pypdf, pdfminer) map the
    codes back to Unicode themselves. A ToUnicode map would mislead pdfminer, which applies it to CIDs.
    """
    content = ["BT", "/F1 11 Tf", "16 TL", "50 790 Td"]
    for i, line in enumerate(lines):
        size = 14 if i == 0 else 11
        content.append(f"/F1 {size} Tf <{_ucs2(line)}> Tj T*")
    content.append("ET")
    stream = "\n".join(content).encode("ascii")
    stamp = when.strftime("D:%Y%m%d%H%M%S+08'00'")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R "
        b"/DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
        f"<< /Producer (govwatch demo) /CreationDate ({stamp}) /ModDate ({stamp}) >>".encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, len(objects), xref)
    return bytes(out)


def _ucs2(text: str) -> str:
    return "".join(f"{ord(c):04X}" for c in text if ord(c) <= 0xFFFF)


@lru_cache(maxsize=16)
def png_bytes(width: int = 1, height: int = 1, rgb: tuple = (200, 30, 30)) -> bytes:
    """A plain-colour PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
