"""OCR: images per second through govwatch's whole path (decode, filter, OCR, reading order, scan)
against RapidOCR alone on the same images in the same run (the anchor), and the website crawl's
pages per second on a site where one article in ten carries a document image, with OCR on and off.

Prints both rates and last ``ratio=X`` (whole path over RapidOCR alone; goal ≥0.8).

    python bench/ocr.py [--images 6] [--articles 60]
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _util import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from ocr_images import encode, gongshi_image, id_number  # noqa: E402

from crawler import ocr  # noqa: E402
from crawler.documents import read_document  # noqa: E402
from govwatch.models import Column, Target  # noqa: E402
from govwatch.settings import DEFAULTS  # noqa: E402
from govwatch.store.sqlite import SqliteStore  # noqa: E402
from scanner.content import scan_document  # noqa: E402
from scanner.lexicon import load_lexicon  # noqa: E402


def sample_images(n: int) -> list[bytes]:
    """Different 公示 tables (so no cache helps), as PNG and as JPEG."""
    out = []
    for i in range(n):
        rows = [("序号", "姓名", "身份证号码", "联系电话"),
                *[(str(r), f"测试{i}{r}", id_number(f"3201021985{i % 9 + 1:02d}{r + 10:02d}{i % 10}{r}{(i + r) % 10}"),
                   f"139{i:04d}{r:04d}") for r in range(1, 5)]]
        image, _ = gongshi_image(rows=rows, title=f"第{i + 1}批拟录用人员名单公示")
        out.append(encode(image) if i % 2 else encode(image, "JPEG", quality=80))
    return out


def engine_only(images: list[bytes]) -> float:
    import numpy as np
    from PIL import Image
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    engine(np.asarray(Image.open(io.BytesIO(images[0])).convert("RGB")))  # model loaded before timing
    t0 = time.perf_counter()
    for body in images:
        engine(np.asarray(Image.open(io.BytesIO(body)).convert("RGB")))
    return time.perf_counter() - t0


def whole_path(images: list[bytes], lexicon) -> tuple[float, int]:
    read_document(images[0], "png", DEFAULTS["ocr"])  # same warm start as the anchor
    found = 0
    t0 = time.perf_counter()
    for body in images:
        doc = read_document(body, "png", DEFAULTS["ocr"])
        found += sum(1 for h in scan_document(lexicon, title="", text=doc.text) if h.rule.startswith("privacy."))
    return time.perf_counter() - t0, found


def build_site(root: Path, articles: int, image: bytes) -> None:
    (root / "img").mkdir(parents=True)
    entries = []
    for i in range(articles):
        img = ""
        if i % 10 == 0:  # one article in ten publishes its 公示 as a photograph
            (root / "img" / f"g{i}.png").write_bytes(image + f"<!--{i}-->".encode())  # distinct bytes
            img = f"<p><img src='/img/g{i}.png' alt='名单'></p>"
        (root / f"a{i}.html").write_text(
            f"<html><body><div class='content'><h1>工作动态第{i}期</h1><p>发布时间：2026-11-2{i % 9} 09:00</p>"
            f"<p>{'示范市持续推进营商环境优化工作，各部门协同配合。' * 20}</p>{img}</div></body></html>",
            encoding="utf-8")
        entries.append(f"<li><a href='/a{i}.html'>工作动态第{i}期</a><span>2026-11-2{i % 9}</span></li>")
    (root / "list.html").write_text(f"<html><body><ul>{''.join(entries)}</ul></body></html>", encoding="utf-8")
    (root / "index.html").write_text("<html><body><a href='/list.html'>工作动态</a></body></html>", encoding="utf-8")


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def crawl_rate(tmp: Path, articles: int, image: bytes, ocr_on: bool) -> float:
    site = tmp / f"site-{ocr_on}"
    build_site(site, articles, image)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    db = tmp / f"gw-{ocr_on}.db"
    store = SqliteStore(db, snapshot_dir=tmp / f"snap-{ocr_on}")
    store.upsert_targets([Target(id="s", name="示范", platform="website", url=base + "/index.html", owner="示范",
                                 columns=[Column(name="工作动态", url=base + "/list.html", kind="news")])])
    store.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{db}", GOVWATCH_VAR_DIR=str(tmp),
               GOVWATCH_CRAWL__AUTOTHROTTLE="false", GOVWATCH_CRAWL__LIST_PAGES="1",
               GOVWATCH_OCR__ENABLED="true" if ocr_on else "false")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "govwatch", "crawl"], env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - t0
    server.shutdown()
    return (articles + 2) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args()
    if not ocr.available():
        raise SystemExit("the ocr extra is not installed: pip install -e '.[ocr]'")
    lexicon = load_lexicon([])
    images = sample_images(args.images)
    anchor = engine_only(images)
    whole, found = whole_path(images, lexicon)
    with tempfile.TemporaryDirectory() as tmp:
        table, _ = gongshi_image()
        image = encode(table)
        off = crawl_rate(Path(tmp), args.articles, image, ocr_on=False)
        on = crawl_rate(Path(tmp), args.articles, image, ocr_on=True)
    print(f"RapidOCR alone: {args.images / anchor:.2f} images/s ({anchor / args.images:.2f} s per image)")
    print(f"whole path (decode, filter, OCR, order, scan): {args.images / whole:.2f} images/s "
          f"({whole / args.images:.2f} s per image); privacy hits {found}")
    print(f"crawl, one article in ten with a document image: OCR off {off:.1f} pages/s, OCR on {on:.1f} pages/s")
    print(f"ratio={anchor / whole:.2f}")


if __name__ == "__main__":
    main()
