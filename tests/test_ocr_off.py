"""Without OCR (switched off, or the extra not installed) images and scanned PDFs give empty text
and say why; this runs whether or not the ocr extra is installed."""
import pytest

from crawler import documents, ocr
from crawler.documents import read_image_text, read_scanned_pdf


@pytest.mark.parametrize("read", [read_image_text, read_scanned_pdf])
def test_ocr_switched_off_or_missing_reads_nothing_and_says_why(read, monkeypatch):
    def engine_must_not_run(*args, **kwargs):
        raise AssertionError("OCR ran although it cannot")

    monkeypatch.setattr(ocr, "read_image", engine_must_not_run)
    off = read(b"\x89PNG not read", {"enabled": False})
    assert off.text == "" and off.source == documents.OCR_SOURCE and off.notes == ["文字识别已关闭（ocr.enabled）"]
    monkeypatch.setattr(ocr, "available", lambda: False)
    missing = read(b"\x89PNG not read", {"enabled": True})
    assert missing.text == "" and missing.notes == [ocr.UNAVAILABLE_NOTICE]
