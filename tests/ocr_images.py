"""Test images made at test time: a 公示 table as a photographed or scanned page would show it,
rendered with Pillow and a CJK font from Debian (fonts-noto-cjk, installed by .ci/run)."""
from __future__ import annotations

import io
from pathlib import Path

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(base17: str) -> str:
    """A valid 18-digit ID number (GB 11643 check digit) from 17 digits."""
    return base17 + "10X98765432"[sum(int(a) * b for a, b in zip(base17, WEIGHTS, strict=True)) % 11]


VALID_ID = id_number("32010219850317241")
ROWS = [("序号", "姓名", "身份证号码", "联系电话"),
        ("1", "张小明", VALID_ID, "13912345678"),
        ("2", "李红梅", "3201**********2021", "139****5678")]


def font_path() -> str:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return path
    raise RuntimeError("no CJK font: apt install fonts-noto-cjk (.ci/run installs it)")


def gongshi_image(rows=ROWS, title="拟录用人员名单公示"):
    """A white page with a title and a ruled table; returns (PIL image, {cell text: box})."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path(), 30)
    title_font = ImageFont.truetype(font_path(), 40)
    widths = [90, 160, 420, 260]
    x0, y0, row_h = 60, 140, 64
    image = Image.new("RGB", (x0 * 2 + sum(widths), y0 + row_h * len(rows) + 120), "white")
    draw = ImageDraw.Draw(image)
    draw.text((x0, 50), title, font=title_font, fill="black")
    boxes = {}
    for r, row in enumerate(rows):
        x = x0
        for c, cell in enumerate(row):
            draw.rectangle([x, y0 + r * row_h, x + widths[c], y0 + (r + 1) * row_h], outline="black", width=2)
            draw.text((x + 12, y0 + r * row_h + 14), cell, font=font, fill="black")
            bbox = draw.textbbox((x + 12, y0 + r * row_h + 14), cell, font=font)
            boxes[cell] = bbox
            x += widths[c]
    return image, boxes


def encode(image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def scanned_pdf(images) -> bytes:
    """A PDF whose pages are images only (no text layer), as a scanner makes them."""
    buf = io.BytesIO()
    first, *rest = [im.convert("RGB") for im in images]
    first.save(buf, format="PDF", save_all=True, append_images=rest, resolution=100)
    return buf.getvalue()
