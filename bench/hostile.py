"""Hostile inputs against benign inputs of the same size (issue 19, items 4 and 5).

Each hostile input the security review reproduced goes through the code path the crawler (or
``govwatch check``) uses for it, and so does a benign input of the same byte size (and script:
an ASCII hostile text is compared with mostly ASCII prose), in the same run:

- pages: ``crawler.extract.extract_page`` (decoding, bounded parsing, extraction) then
  ``scanner.content.scan_document`` on what it extracted, as the spider and the ingestor do;
- attachments: ``crawler.attachments.read_attachment`` (the worker process) then the scan;
- drafts: ``govwatch.commands.check.check_one`` (reading, parsing, scanning).

For each pair it prints the best-of-``--repeat`` wall time and the peak memory added while the
input was processed (resident set high-water mark of this process and of the attachment worker,
reset before each input through ``/proc/<pid>/clear_refs``; below ``MEMORY_FLOOR_MB`` the
allocator's noise dominates, so memory ratios count from that floor).  The last line is the worst
ratio, time or memory, hostile over benign: the goal is ≤ 5 (no input costs more than a few times
a normal one of its size).  Run from the repository root: ``python bench/hostile.py``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from argparse import Namespace
from pathlib import Path

from _util import timed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler import attachments  # noqa: E402
from crawler.extract import extract_page  # noqa: E402
from govwatch.demo import hostile  # noqa: E402
from scanner.content import scan_document  # noqa: E402
from scanner.lexicon import load_lexicon  # noqa: E402

MEMORY_FLOOR_MB = 16.0
URL = "http://www.example.gov.cn/art/2026/11/20/art_1_1.html"
ID = "110101199003074514"
SENTENCE = "为进一步做好民生保障工作，现将有关事项通知如下，请各单位认真贯彻落实。"


def fit(build, size: int, lo: int = 0, hi: int = 1 << 22) -> bytes:
    """``build(n)`` with the n that makes it closest to ``size`` bytes (bisection)."""
    best = build(lo)
    while lo < hi:
        mid = (lo + hi) // 2
        data = build(mid)
        if abs(len(data) - size) < abs(len(best) - size):
            best = data
        if len(data) < size:
            lo = mid + 1
        else:
            hi = mid
    return best


COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def prose(seed: int, chars: int) -> str:
    """Deterministic Chinese text that compresses about as well as real prose does."""
    import random

    rnd = random.Random(seed)
    return "".join(rnd.choice(COMMON) for _ in range(chars)) + "。"


def page(body: str, head: str = "") -> str:
    return (f"<html><head><meta charset='utf-8'><title>关于做好民生保障工作的通知_某市人民政府</title>{head}</head>"
            f"<body><div class='nav'><a href='/'>首页</a></div><div id='zoom'><p>{SENTENCE}</p>{body}"
            f"<p>联系人身份证号{ID}。</p></div></body></html>")


def benign_page(size: int) -> bytes:
    return fit(lambda n: page(f"<p>{SENTENCE}</p>" * n).encode("utf-8"), size, hi=1 << 16)


def benign_draft(size: int, latin: bool = False) -> bytes:
    """A draft of ``size`` bytes; ``latin``: mostly ASCII prose, for a hostile input that is ASCII
    (the scanner's cost is per character, and a Chinese character takes three bytes)."""
    line = "Please see the notice of the people's government for the details of the programme. " \
        if latin else SENTENCE
    return fit(lambda n: ("关于做好民生保障工作的通知\n" + (line + "\n") * n).encode("utf-8"), size, hi=1 << 16)


# ----------------------------------------------------------------------------- the inputs

def cases() -> list[tuple[str, str, bytes, bytes]]:
    """``(name, path, hostile, benign)``; ``path`` is page, evidence, attachment:EXT or draft:SUFFIX."""
    out = []
    # an XLSX of ~4.9 KB declaring A1:XFD1048576 with one cell at the last row
    rows = [[f"张三{i}", f"11010119900307{i:04d}"] for i in range(400)]
    bad = fit(lambda n: hostile.xlsx_bytes(rows[:n], dimension="A1:XFD1048576", far_cell="XFD1048576"), 4900, hi=400)
    good = fit(lambda n: hostile.xlsx_bytes([[f"张三{i}", f"11010119900307{i:04d}", "某市某区某街道"]
                                             for i in range(n)]), len(bad), hi=400)
    out.append(("xlsx_declared_whole_sheet", "attachment:xlsx", bad, good))
    # a 4.4 KB PDF of ten pages sharing one 1 MB content stream
    bad = hostile.pdf_bytes(shared_stream_bytes=1_000_000, page_count=10)
    good = fit(lambda n: hostile.pdf_bytes([f"Notice {i}: applicant Zhang San, reviewed and approved." * 3
                                            for i in range(n)]), len(bad), hi=200)
    out.append(("pdf_shared_1mb_stream", "attachment:pdf", bad, good))
    # a DOCX whose document.xml is 99 MB (about 140 KB on the wire)
    bad = hostile.docx_bytes([f"身份证号{ID}"], filler_runs=16_500_000)
    good = fit(lambda n: hostile.docx_bytes([prose(i, 60) for i in range(n)]), len(bad), hi=1 << 14)
    out.append(("docx_99mb_document_xml", "attachment:docx", bad, good))
    out.append(("docx_99mb_in_check", "draft:.docx", bad, good))
    # 60 KB of <style> without braces
    bad = page(f"<p>{SENTENCE}</p>", head="<style>" + "a" * 60_000 + "</style>").encode()
    out.append(("style_without_braces_60kb", "page", bad, benign_page(len(bad))))
    # a style block that hides with width:0 followed by a long space run
    bad = page(f"<p>{SENTENCE}</p>", head="<style>.w{width:0" + " " * 60_000 + "x}</style>").encode()
    out.append(("style_width0_space_run_60kb", "page", bad, benign_page(len(bad))))
    # 400 KB of invalid UTF-8 in a page
    bad = page("<p>" + "\ufffd" + "</p>").encode().replace("\ufffd".encode(), b"\xff\xfe\x80" * 133_000)
    out.append(("invalid_utf8_400kb", "page", bad, benign_page(len(bad))))
    # content nested deeper than libxml2's limit, with text after it
    bad = page("<div>" * 40_000 + f"<p>{SENTENCE}</p>" + "</div>" * 40_000).encode()
    out.append(("nesting_40000_deep", "page", bad, benign_page(len(bad))))
    # a line with a 100 KB space run before page furniture (trailing-furniture pattern)
    bad = page("<pre>文" + " " * 100_000 + "内容</pre>").encode()
    out.append(("space_run_in_body_100kb", "page", bad, benign_page(len(bad))))
    # 100 KB of http://a.a.a.… in text: in a page and in a draft given to govwatch check
    fake = "请访问 http://" + "a." * 50_000 + "com 了解详情。"
    bad = page(f"<p>{fake}</p>").encode()
    out.append(("link_labels_100kb_page", "page", bad, benign_page(len(bad))))
    bad = ("关于做好民生保障工作的通知\n" + fake + "\n").encode()
    out.append(("link_labels_100kb_check", "draft:.txt", bad, benign_draft(len(bad), latin=True)))
    # the whitespace pattern of check: an HTML draft with a 200 KB space run
    bad = page("<p>正文" + " " * 200_000 + "</p>").encode()
    out.append(("check_space_run_200kb", "draft:.html", bad, benign_page(len(bad))))
    # 30,000 unclosed url( in a <style>: the offline evidence copy of the monthly export
    bad = page(f"<p>{SENTENCE}</p>", head="<style>a{b:" + "url(" * 30_000 + "}</style>").encode()
    out.append(("style_url_runs_in_evidence", "evidence", bad, benign_page(len(bad))))
    return out


# ----------------------------------------------------------------------------- measuring

def _status(pid: int | str, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak(pid: int | str) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def _pids() -> list:
    worker = attachments._WORKER.proc
    return ["self"] + ([worker.pid] if worker is not None and worker.poll() is None else [])


def make_runner(path: str, lexicon, tmp: Path):
    if path == "page":
        def run(data: bytes) -> None:
            extracted = extract_page(data, URL, {"Content-Type": "text/html"})
            scan_document(lexicon, title=extracted.title, text=extracted.text, source=extracted.source)
        return run
    if path == "evidence":
        from govwatch.evidence import offline_html

        def run(data: bytes) -> None:
            offline_html(data, url=URL, fetched_at=None, sha256="0" * 64, content_type="text/html")
        return run
    if path.startswith("attachment:"):
        ext = path.split(":", 1)[1]

        def run(data: bytes) -> None:
            try:
                text = attachments.read_attachment(data, ext)
            except attachments.AttachmentError:
                text = ""  # recorded as unread by the crawler
            scan_document(lexicon, title="附件", text=text)
        return run
    suffix = path.split(":", 1)[1]
    from govwatch.commands.check import Unreadable, check_one

    args = Namespace(title=None, source=None)
    draft = tmp / f"draft{suffix}"

    def run(data: bytes) -> None:
        draft.write_bytes(data)
        try:
            check_one(lexicon, str(draft), args)
        except Unreadable:
            pass  # reported to the user with its reason
    return run


def measure(run, data: bytes, repeat: int) -> tuple[float, float]:
    run(data)  # warm: imports, the worker's start, caches
    seconds = timed(run, data, repeat=repeat)
    pids = _pids()
    base = sum(_status(p, "VmRSS") for p in pids)
    for p in pids:
        _reset_peak(p)
    run(data)
    peak = sum(_status(p, "VmHWM") for p in _pids())
    return seconds, max(0.0, peak - base)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    args = ap.parse_args()
    lexicon = load_lexicon([])
    worst = (0.0, "")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, bad, good in cases():
            if args.only and args.only not in name:
                continue
            run = make_runner(path, lexicon, Path(tmp))
            t_good, m_good = measure(run, good, args.repeat)
            t_bad, m_bad = measure(run, bad, args.repeat)
            time_ratio = t_bad / max(t_good, 1e-6)
            mem_ratio = (m_bad + MEMORY_FLOOR_MB) / (m_good + MEMORY_FLOOR_MB)
            print(f"{name:28s} {path:16s} bytes={len(bad):>8d}/{len(good):<8d} "
                  f"time={t_bad * 1000:8.1f}/{t_good * 1000:7.1f} ms ratio={time_ratio:5.2f}  "
                  f"peak_mem=+{m_bad:6.1f}/+{m_good:5.1f} MB ratio={mem_ratio:4.2f}", flush=True)
            for ratio, kind in ((time_ratio, "time"), (mem_ratio, "memory")):
                if ratio > worst[0]:
                    worst = (ratio, f"{name} ({kind})")
    attachments.stop_worker()
    print(f"worst_ratio={worst[0]:.2f} {worst[1]} (goal <= 5)")


if __name__ == "__main__":
    main()
