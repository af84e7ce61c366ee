"""Attachment text extraction (pure): the files 公示 pages link to."""
import io
import zipfile

import pytest
from openpyxl import Workbook

from crawler.attachments import AttachmentError, attachment_text

ID = "11010519491231002X"


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with one line of Helvetica text, offsets computed for a valid xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
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
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def tiny_docx(paragraphs: list[str]) -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", xml)
    return buf.getvalue()


def test_pdf_text():
    assert ID in attachment_text(tiny_pdf(f"ID {ID}"), "pdf")


def test_docx_paragraphs():
    text = attachment_text(tiny_docx(["拟表彰人员名单公示", f"张三 身份证号 {ID}"]), "docx")
    assert text.splitlines() == ["拟表彰人员名单公示", f"张三 身份证号 {ID}"]


def test_xlsx_rows():
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号码", "联系电话"])
    ws.append(["李四", ID, "13812345678"])
    buf = io.BytesIO()
    wb.save(buf)
    lines = attachment_text(buf.getvalue(), "xlsx").splitlines()
    assert lines[1].split("\t") == ["李四", ID, "13812345678"]


def test_damaged_or_unsupported_files_raise_a_chinese_error():
    with pytest.raises(AttachmentError, match="无法读取 pdf 附件"):
        attachment_text(b"%PDF-1.4 garbage", "pdf")
    with pytest.raises(AttachmentError, match="无法读取 xlsx 附件"):
        attachment_text(b"PK\x03\x04 not really", "xlsx")
    with pytest.raises(AttachmentError, match="暂不支持"):
        attachment_text(b"\xd0\xcf\x11\xe0", "doc")
