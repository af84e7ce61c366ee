"""Text inside images, scanned PDFs and old Word files: leaks in 公示 scans are found, with the box
where they were read. Images are rendered at test time (Pillow + fonts-noto-cjk); RapidOCR comes
with the `ocr` extra, which .ci/run installs; catdoc comes from Debian."""
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler import ocr

if not ocr.available():
    # the README's install has no OCR; .ci/run installs the extra and sets GOVWATCH_TEST_REQUIRE_OCR,
    # so that in CI a missing engine fails instead of skipping
    if os.environ.get("GOVWATCH_TEST_REQUIRE_OCR"):
        raise RuntimeError("GOVWATCH_TEST_REQUIRE_OCR is set but the ocr extra is not installed")
    pytest.skip("the ocr extra is not installed (pip install -e '.[ocr]')", allow_module_level=True)

from ocr_images import VALID_ID, encode, gongshi_image, scanned_pdf  # noqa: E402
from crawler.documents import OcrCache, read_document  # noqa: E402
from govwatch.models import Column, Item, Target
from govwatch.settings import DEFAULTS
from govwatch.store.sqlite import SqliteStore
from scanner.content import scan_document
from scanner.lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[1]
CFG = DEFAULTS["ocr"]
FIXTURES = Path(__file__).parent / "fixtures" / "documents"


@pytest.fixture(scope="module")
def table():
    return gongshi_image()


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon([])


def id_hits(lexicon, text):
    return [h for h in scan_document(lexicon, title="", text=text) if h.rule.startswith("privacy.") and
            h.match.replace(" ", "") == VALID_ID]


def overlaps(a, b, slack=12) -> bool:
    """Box a lies on box b, give or take a few pixels (OCR boxes hug the glyphs differently)."""
    return all(abs(x - y) <= slack for x, y in zip(a, b, strict=True))


def finding_box(lexicon, doc, url="http://site.example.gov.cn/a.png"):
    item = Item(target_id="t", url=url, text=doc.text, meta={"ocr_lines": doc.lines},
                parent_url="http://site.example.gov.cn/a.html")
    hit = id_hits(lexicon, doc.text)[0]
    from govwatch.models import Finding

    return Finding.from_hit(hit, target_id="t", item=item).evidence


def test_an_unmasked_id_in_a_gongshi_table_is_found_with_its_box(table, lexicon):
    image, boxes = table
    doc = read_document(encode(image), "png", CFG)
    assert doc.source == "ocr" and "张小明" in doc.text and "13912345678" in doc.text
    assert id_hits(lexicon, doc.text), doc.text
    evidence = finding_box(lexicon, doc)
    assert evidence["text_source"] == "ocr" and evidence["page_url"].endswith("a.html")
    assert overlaps(evidence["image_box"], boxes[VALID_ID]), (evidence["image_box"], boxes[VALID_ID])
    # the table reads row by row: the name is on the line of its ID number
    row = next(line for line in doc.text.splitlines() if VALID_ID in line)
    assert "张小明" in row and "13912345678" in row


def test_a_slightly_rotated_jpeg_at_quality_60_still_reads(table, lexicon):
    image, _ = table
    rotated = image.rotate(2.5, expand=True, fillcolor="white")
    doc = read_document(encode(rotated, "JPEG", quality=60), "jpg", CFG)
    assert id_hits(lexicon, doc.text), doc.text
    row = next(line for line in doc.text.splitlines() if VALID_ID in line)
    assert "张小明" in row


def test_a_scanned_pdf_is_read_page_by_page(table, lexicon):
    image, boxes = table
    other, _ = gongshi_image(rows=[("序号", "姓名", "联系电话"), ("1", "王建国", "13700001111")],
                             title="补贴发放名单")
    doc = read_document(scanned_pdf([other, image]), "pdf", CFG)
    assert "王建国" in doc.text and "【第 2 页】" in doc.text
    evidence = finding_box(lexicon, doc, url="http://site.example.gov.cn/scan.pdf")
    assert evidence["image_page"] == 2
    # rendered at pdf_scale from a 100-dpi page: boxes scale with it
    scale = CFG["pdf_scale"] * 72 / 100
    expected = [round(v * scale) for v in boxes[VALID_ID]]
    assert overlaps(evidence["image_box"], expected, slack=25), (evidence["image_box"], expected)


def test_icons_and_banners_are_skipped_without_reading(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(ocr, "read_image", lambda *a, **k: pytest.fail("an icon was sent to OCR"))
    icon = encode(Image.new("RGB", (48, 48), "red"))
    banner = encode(Image.effect_noise((1600, 120), 60).convert("RGB"))
    for body in (icon, banner):
        doc = read_document(body, "png", CFG)
        assert doc.text == "" and doc.notes and doc.notes[0].startswith("未识别")


def test_the_same_image_is_read_once(table, monkeypatch):
    image, _ = table
    body = encode(image)
    calls = []
    real = ocr.read_image
    monkeypatch.setattr(ocr, "read_image", lambda *a, **k: calls.append(1) or real(*a, **k))
    store = {}
    cache = OcrCache(store.get, store.__setitem__)
    texts = {read_document(body, "png", CFG, cache).text for _ in range(5)}
    assert len(calls) == 1 and cache.reads == 1 and cache.hits == 4 and len(texts) == 1


@pytest.mark.skipif(not (shutil.which("catdoc") or shutil.which("antiword")),
                    reason="catdoc/antiword not installed (.ci/run installs them)")
def test_an_old_word_attachment_is_read(lexicon):
    doc = read_document((FIXTURES / "gongshi.doc").read_bytes(), "doc", CFG)
    assert doc.source in ("catdoc", "antiword") and id_hits(lexicon, doc.text)


def test_an_old_word_file_without_the_tools_is_recorded_as_unread(monkeypatch):
    from crawler.attachments import AttachmentError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AttachmentError, match="未安装 catdoc"):
        read_document((FIXTURES / "gongshi.doc").read_bytes(), "doc", CFG)


# --- the crawl: fifty pages share one photographed 公示; a scanned PDF and a .doc attachment -------

def build_site(root: Path, table_png: bytes, pdf: bytes) -> None:
    from PIL import Image

    (root / "img").mkdir(parents=True)
    (root / "img" / "gongshi.png").write_bytes(table_png)
    (root / "img" / "logo.png").write_bytes(encode(Image.new("RGB", (40, 40), "blue")))
    (root / "files").mkdir()
    (root / "files" / "scan.pdf").write_bytes(pdf)
    (root / "files" / "gongshi.doc").write_bytes((FIXTURES / "gongshi.doc").read_bytes())
    entries = []
    for i in range(50):
        extra = ""
        if i == 0:
            extra = '<p><a href="/files/scan.pdf">附件：扫描件.pdf</a></p><p><a href="/files/gongshi.doc">附件：名单.doc</a></p>'
        (root / f"a{i}.html").write_text(
            f"<html><head><title>公示{i}</title></head><body><div class='nav'><img src='/img/logo.png'></div>"
            f"<div class='content'><h1>拟录用人员名单公示（第{i}批）</h1><p>发布时间：2026-11-2{i % 9} 09:00</p>"
            f"<p>现将拟录用人员名单公示如下，公示期五个工作日。</p><p><img src='/img/gongshi.png' alt='名单'></p>"
            f"{extra}</div></body></html>", encoding="utf-8")
        entries.append(f"<li><a href='/a{i}.html'>拟录用人员名单公示（第{i}批）</a><span>2026-11-2{i % 9}</span></li>")
    (root / "list.html").write_text(f"<html><body><ul class='list'>{''.join(entries)}</ul></body></html>",
                                    encoding="utf-8")
    (root / "index.html").write_text("<html><body><a href='/list.html'>通知公告</a>"
                                     "<div class='footer'>主办单位：示范市人社局 京ICP备12345678号</div></body></html>",
                                     encoding="utf-8")


class CountingHandler(SimpleHTTPRequestHandler):
    counts: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.counts[self.path] = self.counts.get(self.path, 0) + 1
        super().do_GET()


def test_a_crawl_reads_a_shared_image_once_and_finds_the_leaks_with_their_place(tmp_path, table):
    image, boxes = table
    site = tmp_path / "site"
    build_site(site, encode(image), scanned_pdf([image]))
    CountingHandler.counts = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    store = SqliteStore(tmp_path / "govwatch.db", snapshot_dir=tmp_path / "snapshots")
    target = Target(id="rsj", name="示范市人社局", platform="website", url=base + "/index.html", owner="示范市人社局",
                    columns=[Column(name="通知公告", url=base + "/list.html", kind="notice")])
    store.upsert_targets([target])
    env = dict(os.environ, GOVWATCH_DB=f"sqlite:///{tmp_path / 'govwatch.db'}", GOVWATCH_VAR_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT), GOVWATCH_CRAWL__LIST_PAGES="1", GOVWATCH_CRAWL__AUTOTHROTTLE="false",
               GOVWATCH_CRAWL__MAX_PAGES_PER_TARGET="200")
    try:
        proc = subprocess.run([sys.executable, "-m", "govwatch", "crawl", "--kind", "websites"], env=env,
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert CountingHandler.counts.get("/img/gongshi.png") == 1  # fetched once for fifty pages
    assert "/img/logo.png" not in CountingHandler.counts  # navigation images are not body images
    ocr_rows = store.db.execute("SELECT count(*) FROM ocr_cache").fetchone()[0]
    assert ocr_rows == 2  # the photograph and the scanned PDF, each read once
    findings = [f for f in store.list_findings() if f.rule.startswith("privacy.") and VALID_ID in f.match.replace(" ", "")]
    by_url = {f.url.rsplit("/", 1)[-1]: f for f in findings}
    assert {"gongshi.png", "scan.pdf", "gongshi.doc"} <= set(by_url), sorted(by_url)
    photo = by_url["gongshi.png"]
    assert photo.evidence["text_source"] == "ocr" and photo.evidence["page_url"].endswith(".html")
    assert overlaps(photo.evidence["image_box"], boxes[VALID_ID])
    assert store.get_snapshot(photo.evidence["snapshot"]) == encode(image)  # the evidence keeps the image


def test_check_and_extract_accept_images_and_scanned_pdfs(tmp_path, table):
    image, _ = table
    poster = tmp_path / "poster.png"
    poster.write_bytes(encode(image))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf([image]))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = partial(subprocess.run, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    checked = run([sys.executable, "-m", "govwatch", "check", str(poster), str(scan)])
    assert checked.returncode == 1, checked.stderr  # an unmasked ID number blocks publication
    assert checked.stdout.count("图片位置") >= 2 and "文字由图片识别得到" in checked.stdout
    extracted = run([sys.executable, "-m", "govwatch", "extract", str(poster)])
    assert extracted.returncode == 0 and VALID_ID in extracted.stdout
