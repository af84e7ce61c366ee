"""Text of any document a page offers: text layers first, then OCR of images and scanned PDF pages,
and old binary Word / WPS files through Debian's catdoc (antiword as a fallback).

``read_document`` is what the spider, the recheck and ``govwatch check`` call. It returns the text
with where it came from, and for OCR the lines with their boxes, so a finding can say "read from
the image, at this place". The OCR cache (by SHA-256 of the bytes) is passed in by the caller: the
same image on a thousand pages is read once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler import ocr
from crawler.attachments import AttachmentError, read_attachment_notes

LEGACY_WORD = ("doc", "wps")
OCR_SOURCE = "ocr"


@dataclass
class DocumentText:
    text: str
    source: str = "text"  # text, ocr, catdoc, antiword
    lines: list[dict] = field(default_factory=list)  # OCR lines: text, box, score, start, end, page
    notes: list[str] = field(default_factory=list)  # what was not read, in Chinese
    cached: bool = False


class OcrCache:
    """Lookup and store of OCR results by SHA-256 (the store's ``get_ocr`` / ``put_ocr``, or none)."""

    def __init__(self, get: Callable[[str], dict | None] | None = None,
                 put: Callable[[str, dict], None] | None = None):
        self._get, self._put = get, put
        self.reads = 0  # images actually run through the engine
        self.hits = 0

    def read(self, body: bytes, run: Callable[[], dict]) -> tuple[dict, bool]:
        key = hashlib.sha256(body).hexdigest()
        if self._get:
            found = self._get(key)
            if found is not None:
                self.hits += 1
                return found, True
        result = run()
        self.reads += 1
        if self._put:
            self._put(key, result)
        return result, False


def is_image(ext: str) -> bool:
    return ext.lower().lstrip(".") in ocr.IMAGE_EXTS


def readable(ext: str, cfg: dict) -> bool:
    ext = ext.lower().lstrip(".")
    from crawler.attachments import READABLE

    return ext in READABLE or ext in LEGACY_WORD or (is_image(ext) and cfg["enabled"])


def needs_pipeline_reading(ext: str, cfg: dict) -> bool:
    """What the crawl reads off the reactor thread: OCR and external tools take seconds."""
    ext = ext.lower().lstrip(".")
    return ext in LEGACY_WORD or is_image(ext) or (ext == "pdf" and bool(cfg.get("enabled") and cfg.get("available")))


def _ocr_off(cfg: dict) -> DocumentText | None:
    """Empty text with the reason when OCR is switched off or not installed; None when it can run."""
    if not cfg["enabled"]:
        return DocumentText("", OCR_SOURCE, notes=["文字识别已关闭（ocr.enabled）"])
    if not ocr.available():
        return DocumentText("", OCR_SOURCE, notes=[ocr.UNAVAILABLE_NOTICE])
    return None


def read_image_text(body: bytes, cfg: dict, cache: OcrCache | None = None) -> DocumentText:
    """OCR of one image; icons, buttons and banners are skipped (empty text, a note)."""
    if (off := _ocr_off(cfg)) is not None:
        return off
    width, height = ocr.image_size(body)
    ok, why = ocr.worth_reading(width, height, len(body), cfg)
    if not ok:
        return DocumentText("", OCR_SOURCE, notes=[f"未识别：{why}"])
    cache = cache or OcrCache()
    data, cached = cache.read(body, lambda: ocr.read_image(body, cfg).to_dict())
    result = ocr.OcrResult.from_dict(data)
    return DocumentText(result.text, OCR_SOURCE, [{**line.__dict__, "box": list(line.box), "page": 0}
                                                  for line in result.lines], cached=cached)


def read_scanned_pdf(body: bytes, cfg: dict, cache: OcrCache | None = None) -> DocumentText:
    if (off := _ocr_off(cfg)) is not None:
        return off
    cache = cache or OcrCache()
    results, all_cached = [], True
    for page_no, png in ocr.scanned_pdf_pages(body, cfg):
        data, cached = cache.read(png, lambda png=png, page_no=page_no: ocr.read_image(png, cfg, page_no).to_dict())
        all_cached &= cached
        results.append(ocr.OcrResult.from_dict({**data, "page": page_no}))
    if not results:
        return DocumentText("", OCR_SOURCE)
    text, lines = ocr.join_pages(results)
    return DocumentText(text, OCR_SOURCE, [{**line, "box": list(line["box"])} for line in lines], cached=all_cached)


def read_legacy_word(body: bytes, cfg: dict) -> DocumentText:
    """.doc / .wps through catdoc (antiword when catdoc is absent), with a time and size limit."""
    if len(body) > cfg["doc_max_bytes"]:
        raise AttachmentError(f"附件过大（{len(body)} 字节），未读取")
    tools = [(name, argv) for name, argv in (("catdoc", ["catdoc", "-d", "utf-8", "-w"]),
                                             ("antiword", ["antiword", "-m", "UTF-8.txt"]))
             if shutil.which(name)]
    if not tools:
        raise AttachmentError("未安装 catdoc 或 antiword，.doc / .wps 附件未读取（apt install catdoc antiword）")
    with tempfile.NamedTemporaryFile(suffix=".doc", delete=False) as fh:
        fh.write(body)
        path = fh.name
    try:
        errors = []
        for name, argv in tools:
            try:
                proc = subprocess.run([*argv, path], capture_output=True, timeout=cfg["doc_timeout"],
                                      stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                errors.append(f"{name} 超时")
                continue
            text = proc.stdout.decode("utf-8", "replace").strip()
            if proc.returncode == 0 and text:
                from crawler.attachments import MAX_CHARS

                return DocumentText(text[:MAX_CHARS], name)
            errors.append(f"{name} 无法读取")
        raise AttachmentError(f"无法读取旧版 Word/WPS 附件：{'；'.join(errors)}")
    finally:
        os.unlink(path)


def read_document(body: bytes, ext: str, cfg: dict, cache: OcrCache | None = None) -> DocumentText:
    """The text of an attachment or a local file, by its extension. Raises AttachmentError."""
    ext = ext.lower().lstrip(".")
    if is_image(ext):
        try:
            return read_image_text(body, cfg, cache)
        except ocr.OcrError as exc:
            raise AttachmentError(str(exc)) from exc
    if ext in LEGACY_WORD:
        return read_legacy_word(body, cfg)
    text, unread = read_attachment_notes(body, ext)  # the worker process: time and memory limits
    if ext == "pdf":
        try:
            scanned = read_scanned_pdf(body, cfg, cache)
        except ocr.OcrError as exc:
            return DocumentText(text, notes=[*unread, str(exc)])
        if scanned.text:
            # pages with a text layer come first; scanned pages follow, with their lines shifted
            offset = len(text) + 1 if text else 0
            lines = [{**line, "start": line["start"] + offset, "end": line["end"] + offset}
                     for line in scanned.lines]
            return DocumentText((text + "\n" if text else "") + scanned.text, OCR_SOURCE if not text else "text+ocr",
                                lines, [*unread, *scanned.notes], scanned.cached)
        return DocumentText(text, notes=[*unread, *scanned.notes])
    return DocumentText(text, notes=unread)
