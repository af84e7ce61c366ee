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


def _xlsx_with_dates(epoch=None) -> bytes:
    from datetime import date

    from openpyxl import Workbook

    wb = Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.append(["公示日期", date(2024, 12, 1)])  # numFmtId 14
    ws.append(["报名时间", datetime(2024, 12, 1, 9, 30)])  # yyyy-mm-dd h:mm:ss
    rows = [("中文日期", 'yyyy"年"m"月"d"日"'), ("斜杠日期", "d/m/yyyy;@"), ("开始钟点", "h:mm"),
            ("编号", "General"), ("金额", "#,##0.00"), ("科学计数", "0.00E+00"), ("累计时长", "[h]:mm"),
            ("早期日期", "yyyy-mm-dd")]
    values = [45627, 45627, 0.5, 45627, 45627, 45627, 45627, 59]
    for (label, fmt), value in zip(rows, values):
        ws.append([label, value])
        ws.cell(ws.max_row, 2).number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_date_cells_are_written_as_dates_by_their_number_format():
    rows = dict(line.split("\t") for line in attachment_text(_xlsx_with_dates(), "xlsx").splitlines())
    assert rows["公示日期"] == "2024-12-01" and rows["中文日期"] == "2024-12-01" and rows["斜杠日期"] == "2024-12-01"
    assert rows["报名时间"] == "2024-12-01 09:30" and rows["开始钟点"] == "12:00"
    assert rows["早期日期"] == "1900-02-28"  # before Excel's phantom 1900-02-29
    # negatives: numbers not formatted as dates stay numbers
    assert rows["编号"] == "45627" and rows["金额"] == "45627" and rows["科学计数"] == "45627"
    assert rows["累计时长"] == "45627"  # an elapsed time is no calendar date


def test_xlsx_dates_of_a_1904_workbook():
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    data = _xlsx_with_dates(CALENDAR_MAC_1904)
    assert b'date1904="1"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    rows = dict(line.split("\t") for line in attachment_text(data, "xlsx").splitlines())
    assert rows["公示日期"] == "2024-12-01" and rows["报名时间"] == "2024-12-01 09:30"
    assert rows["中文日期"] == "2028-12-02"  # the serial 45627 itself, counted from 1904


def test_a_pdf_page_over_the_inflation_limit_is_noted_not_silently_skipped():
    """A legitimate page (a form line of dots, 40 KB of drawing operators compressing 100-fold) is
    over the inflation bound: it stays unread, and the text, the worker's answer, the document
    reader, the crawled item and its findings' evidence all say which page and why."""
    from crawler.attachments import attachment_read, read_attachment_notes
    from crawler.documents import read_document
    from crawler.pipelines import item_from_attachment
    from govwatch.demo.hostile import pdf_bytes as plain_pdf
    from govwatch.models import Finding, Hit
    from govwatch.settings import DEFAULTS

    number = "110101199003074514"
    data = plain_pdf([f"Name Zhang San ID {number}", "Sign here .......... " * 2000, "page three end"])
    text, notes = attachment_read(data, "pdf")
    assert number in text and "page three end" in text and "Sign here" not in text
    assert len(notes) == 1 and notes[0].startswith("第 2 页未读取：") and "parse.max_pdf_inflation" in notes[0]
    assert read_attachment_notes(data, "pdf") == (text, notes)  # the worker process says the same
    doc = read_document(data, "pdf", {**DEFAULTS["ocr"], "enabled": False})
    assert doc.text == text and doc.notes[0] == notes[0]
    item = item_from_attachment({"target_id": "t", "platform": "website", "url": "http://a.gov.cn/gs.pdf",
                                 "title": "公示", "ext": "pdf", "text": text, "notes": notes}, "snap")
    hit = Hit("privacy.id_number", "个人信息", "high", match=number, start=text.index(number),
              end=text.index(number) + 18)
    assert Finding.from_hit(hit, target_id="t", item=item).evidence["unread"] == notes

    # negatives: an ordinary PDF has no note; a page limit is said too
    ordinary = plain_pdf([f"ID {number}", "page two"])
    assert attachment_read(ordinary, "pdf")[1] == []
    plain_item = item_from_attachment({"target_id": "t", "platform": "website", "url": "u", "title": "t",
                                       "ext": "pdf", "text": "x", "notes": []}, "snap")
    assert "unread" not in plain_item.meta and "unread" not in Finding.from_hit(hit, target_id="t", item=plain_item).evidence
    from crawler.bounds import ParseLimits

    _, capped = attachment_read(plain_pdf(["one", "two", "three"]), "pdf", ParseLimits(max_pdf_pages=2))
    assert capped == ["共 3 页，只读取前 2 页（parse.max_pdf_pages），第 3 页未读取"]
