"""Text inside images and scanned PDF pages, so that leaks in 公示 scans and posters are found.

Optional: ``pip install -e '.[ocr]'`` brings RapidOCR (PaddleOCR's PP-OCR Chinese models, shipped
inside the wheel, CPU inference through onnxruntime; nothing is downloaded at run time) and
pypdfium2 to render PDF pages that have no text layer. Without them govwatch runs as before and
says once, in Chinese, that images are not read.

Pure apart from the engine: bytes in, text out. The caller (the spider, ``govwatch check``) keeps
the cache by SHA-256 and the per-crawl budget. What cannot hold a document (icons, buttons, logos,
banners) is skipped by size and aspect ratio before anything is decoded in full. Every line keeps
its bounding box and its character span in the joined text, so a finding can point at the place
in the image where the match was read.
"""
from __future__ import annotations

import functools
import importlib.util
import io
import threading
from dataclasses import asdict, dataclass, field

IMAGE_EXTS = ("jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff")
UNAVAILABLE_NOTICE = "未安装文字识别组件（pip install -e '.[ocr]'），图片和扫描件中的文字不会被检查。"


class OcrError(Exception):
    """An image that could not be read (Chinese message)."""


@dataclass
class OcrLine:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels
    score: float
    start: int = 0  # span of this line in OcrResult.text
    end: int = 0


@dataclass
class OcrResult:
    text: str = ""
    lines: list[OcrLine] = field(default_factory=list)
    width: int = 0
    height: int = 0
    page: int = 0  # 1-based page of a scanned PDF; 0 for an image

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> OcrResult:
        lines = [OcrLine(line["text"], tuple(line["box"]), line["score"], line["start"], line["end"])
                 for line in data.get("lines", [])]
        return cls(data.get("text", ""), lines, data.get("width", 0), data.get("height", 0), data.get("page", 0))

    def box_of(self, start: int, end: int) -> tuple[int, int, int, int] | None:
        """The box around every line that the character span [start, end) touches."""
        hit = [line.box for line in self.lines if line.start < end and start < line.end]
        if not hit:
            return None
        return (min(b[0] for b in hit), min(b[1] for b in hit), max(b[2] for b in hit), max(b[3] for b in hit))


@functools.cache
def available() -> bool:
    """Is the engine installed? Looked up, not imported: importing it loads onnxruntime and OpenCV,
    which every crawl start would pay even on sites without a single image."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr_onnxruntime", "pypdfium2", "PIL"))


_engine = None
_engine_lock = threading.Lock()
_run_lock = threading.Lock()


def _get_engine():
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise OcrError(UNAVAILABLE_NOTICE) from exc
            _engine = RapidOCR()
        return _engine


# --- what is worth reading --------------------------------------------------------------------------

def image_size(body: bytes) -> tuple[int, int]:
    """Width and height from the header only (Pillow decodes lazily)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(body)) as im:
            return im.size
    except Exception as exc:  # hostile or damaged bytes
        raise OcrError(f"无法识别的图片：{type(exc).__name__}") from exc


def worth_reading(width: int, height: int, nbytes: int, cfg: dict) -> tuple[bool, str]:
    """Icons, buttons, logos and banners cannot hold a 公示 table: skip them before decoding."""
    if nbytes < cfg["min_bytes"]:
        return False, f"图片过小（{nbytes} 字节）"
    if min(width, height) < cfg["min_side"]:
        return False, f"图片尺寸过小（{width}×{height}）"
    if max(width, height) > cfg["min_side"] and max(width, height) / max(1, min(width, height)) > cfg["max_aspect"]:
        return False, f"横幅或竖条图片（{width}×{height}）"
    if width * height > cfg["max_pixels"]:
        return False, f"图片像素过多（{width}×{height}）"
    return True, ""


# --- reading ---------------------------------------------------------------------------------------

def _load(body: bytes, cfg: dict):
    """RGB array, upright (EXIF), no larger than ``max_side`` on its longest side."""
    import numpy as np
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(body)) as im:
            if im.size[0] * im.size[1] > cfg["max_pixels"]:
                raise OcrError(f"图片像素过多（{im.size[0]}×{im.size[1]}）")
            im.seek(0)  # the first frame of an animated GIF
            im = ImageOps.exif_transpose(im).convert("RGB")
            scale = cfg["max_side"] / max(im.size)
            if scale < 1:
                im = im.resize((max(1, int(im.size[0] * scale)), max(1, int(im.size[1] * scale))))
            else:
                scale = 1.0
            return np.asarray(im), scale
    except OcrError:
        raise
    except Exception as exc:
        raise OcrError(f"无法解码图片：{type(exc).__name__}") from exc


def _skew(raw: list) -> float:
    """The page's rotation: the median slope of the text boxes' top edges (a photographed or
    slightly rotated scan reads row by row only once rows are straightened)."""
    import math

    angles = sorted(math.atan2(p[1][1] - p[0][1], p[1][0] - p[0][0]) for p, _, _ in raw or []
                    if abs(p[1][0] - p[0][0]) > 1)
    return angles[len(angles) // 2] if angles else 0.0


def _reading_order(raw: list, scale: float, min_score: float) -> tuple[str, list[OcrLine]]:
    """Lines top to bottom, and left to right within a row (a 公示 table reads row by row)."""
    import math

    angle = _skew(raw)
    cos, sin = math.cos(-angle), math.sin(-angle)
    boxes = []
    for points, text, score in raw or []:
        if float(score) < min_score or not str(text).strip():
            continue
        xs = [p[0] / scale for p in points]
        ys = [p[1] / scale for p in points]
        cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
        # position in the straightened page decides the order; the box stays in image pixels
        ux, uy = cx * cos - cy * sin, cx * sin + cy * cos
        height = math.dist(points[0], points[3]) / scale if len(points) > 3 else max(ys) - min(ys)
        boxes.append((ux, uy, height, (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))),
                      str(text).strip(), float(score)))
    boxes.sort(key=lambda b: b[1])
    rows: list[list[tuple]] = []
    for b in boxes:
        if rows:
            last = rows[-1]
            row_center = sum(r[1] for r in last) / len(last)
            if abs(b[1] - row_center) <= max(4.0, b[2] * 0.5):
                last.append(b)
                continue
        rows.append([b])
    lines, parts, pos = [], [], 0
    for row in rows:
        row.sort(key=lambda b: b[0])
        for i, (_, _, _, box, text, score) in enumerate(row):
            if i:
                parts.append(" ")
                pos += 1
            lines.append(OcrLine(text, box, round(score, 3), pos, pos + len(text)))
            parts.append(text)
            pos += len(text)
        parts.append("\n")
        pos += 1
    return "".join(parts).rstrip("\n"), lines


def read_image(body: bytes, cfg: dict, page: int = 0) -> OcrResult:
    array, scale = _load(body, cfg)
    engine = _get_engine()
    with _run_lock:  # one inference at a time per process: onnxruntime already uses every core
        raw, _ = engine(array)
    text, lines = _reading_order(raw, scale, cfg["min_score"])
    height, width = array.shape[:2]
    return OcrResult(text, lines, int(width / scale), int(height / scale), page)


def scanned_pdf_pages(body: bytes, cfg: dict) -> list[tuple[int, bytes]]:
    """PNG renderings of the pages of a PDF that carry no text layer (at most ``max_pdf_pages``)."""
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise OcrError(UNAVAILABLE_NOTICE) from exc
    try:
        pdf = pdfium.PdfDocument(body)
    except Exception as exc:
        raise OcrError(f"无法打开 PDF：{type(exc).__name__}") from exc
    out = []
    try:
        for index in range(min(len(pdf), cfg["max_pdf_pages"])):
            page = pdf[index]
            textpage = page.get_textpage()
            has_text = bool(textpage.get_text_range().strip())
            textpage.close()
            if has_text:
                continue
            image = page.render(scale=cfg["pdf_scale"]).to_pil()
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            out.append((index + 1, buf.getvalue()))
    finally:
        pdf.close()
    return out


def join_pages(results: list[OcrResult]) -> tuple[str, list[dict]]:
    """One text for a scanned PDF: pages in order, each line's span shifted into the joined text."""
    parts, lines, pos = [], [], 0
    for result in results:
        header = f"【第 {result.page} 页】\n"
        parts.append(header)
        pos += len(header)
        for line in result.lines:
            lines.append({**asdict(line), "start": line.start + pos, "end": line.end + pos, "page": result.page})
        parts.append(result.text + "\n")
        pos += len(result.text) + 1
    return "".join(parts), lines
