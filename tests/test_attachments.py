"""Attachment text extraction (pure): the files 公示 pages link to."""
import io
import zipfile

from datetime import datetime

import pytest

from crawler.attachments import AttachmentError, attachment_text
from govwatch.demo.files import pdf_bytes, xlsx_bytes
from govwatch.models import TZ

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)

ID = "11010519491231002X"


def tiny_docx(paragraphs: list[str]) -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", xml)
    return buf.getvalue()


def test_pdf_text():
    # the farm's PDF writer: Chinese text in a CID font, as government 公示 PDFs carry it
    text = attachment_text(pdf_bytes(["拟表彰人员名单公示", f"张三 身份证号 {ID}"], WHEN), "pdf")
    assert "拟表彰人员名单公示" in text and ID in text


def test_docx_paragraphs():
    text = attachment_text(tiny_docx(["拟表彰人员名单公示", f"张三 身份证号 {ID}"]), "docx")
    assert text.splitlines() == ["拟表彰人员名单公示", f"张三 身份证号 {ID}"]


def test_xlsx_rows():
    data = xlsx_bytes("公示名单", [["姓名", "身份证号码", "联系电话"], ["李四", ID, "13812345678"]], WHEN)
    lines = attachment_text(data, "xlsx").splitlines()
    assert ["李四", ID, "13812345678"] in [line.split("\t") for line in lines]


def test_damaged_or_unsupported_files_raise_a_chinese_error():
    with pytest.raises(AttachmentError, match="无法读取 pdf 附件"):
        attachment_text(b"%PDF-1.4 garbage", "pdf")
    with pytest.raises(AttachmentError, match="无法读取 xlsx 附件"):
        attachment_text(b"PK\x03\x04 not really", "xlsx")
    with pytest.raises(AttachmentError, match="暂不支持"):
        attachment_text(b"\xd0\xcf\x11\xe0", "doc")
